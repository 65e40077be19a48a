"""Writes eval/misspelt/questions.jsonl: the natural questions of the shipped set and of the
held-out sets whose country is read from a name of five letters or more, with two letters in
the middle of that name swapped (bench.understanding.misspelt), evidence unchanged.

    .venv/bin/python -m eval.misspelt.make     # needs the index of corpus/ (make index)
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.understanding import misspelt
from indexer.store import Generation
from search_api import understanding
from search_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETS = ["eval/questions.jsonl", "eval/heldout/questions.jsonl", "eval/heldout2/questions.jsonl",
        "eval/heldout3/questions.jsonl"]  # fmt: skip


def main() -> None:
    generation = Generation.open_current(Settings().index_dir)
    reader = understanding.Reader(understanding.vocabulary(generation))
    lines = []
    for name in SETS:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            natural = question["kind"] == "natural"
            typed = misspelt(reader, question["question"]) if natural else None
            if typed:
                lines.append(json.dumps({**question, "id": f"{question['id']}-typo",
                                         "question": typed}, ensure_ascii=False))  # fmt: skip
    out = ROOT / "eval" / "misspelt" / "questions.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} questions → {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
