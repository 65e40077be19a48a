"""Question sets derived from the shipped and held-out ones: each question's words changed
(a name misspelt, a typo), its documents and evidence kept (eval/misspelt, eval/typos)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write(folder: str, sets: list[str], typed: Callable[[dict], str | None]) -> None:
    """eval/`folder`/questions.jsonl: each question of `sets` (paths under the repository)
    that `typed` gives other words for, as "<id>-typo"."""
    lines = []
    for name in sets:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            text = typed(question)
            if text:
                lines.append(json.dumps({**question, "id": f"{question['id']}-typo",
                                         "question": text}, ensure_ascii=False))  # fmt: skip
    out = ROOT / "eval" / folder / "questions.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} questions → {out.relative_to(ROOT)}")
