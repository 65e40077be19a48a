"""Writes eval/typos/questions.jsonl: the questions of the shipped set and of the held-out
sets (all but references) with a typo in their longest lower-case word of six letters or
more: two letters in its middle swapped (bench.understanding.swapped), when that makes a
word English does not know; evidence unchanged.

    .venv/bin/python -m eval.typos.make
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.understanding import swapped
from search_api.typos import english

ROOT = Path(__file__).resolve().parents[2]
SETS = ["eval/questions.jsonl", *(f"eval/heldout{n}/questions.jsonl" for n in ("", 2, 3, 4))]
_WORD = re.compile(r"(?<![\w'’-])[a-z]{6,}(?![\w'’-])")


def main() -> None:
    lines = []
    for name in SETS:
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            if question["kind"] == "reference":
                continue
            text = question["question"]
            words = sorted(_WORD.finditer(text), key=lambda m: (-len(m.group()), m.start()))
            if not words:
                continue
            typed = swapped(text, words[0].start(), len(words[0].group()))
            if english().known([typed[words[0].start() : words[0].end()]]):
                continue  # a word of its own ("from" → "form"): no typo anyone could tell
            lines.append(json.dumps({**question, "id": f"{question['id']}-typo",
                                     "question": typed}, ensure_ascii=False))  # fmt: skip
    out = ROOT / "eval" / "typos" / "questions.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} questions → {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
