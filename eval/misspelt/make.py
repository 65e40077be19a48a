"""Writes eval/misspelt/questions.jsonl: the natural questions of the shipped set and of the
held-out sets whose country is read from a name of five letters or more, with two letters in
the middle of that name swapped (bench.understanding.misspelt), evidence unchanged.

    .venv/bin/python -m eval.misspelt.make     # needs the index of corpus/ (make index)
"""

from __future__ import annotations

from bench.understanding import misspelt
from eval.derived import write
from indexer.store import Generation
from search_api import understanding
from search_api.settings import Settings

SETS = ["eval/questions.jsonl", "eval/heldout/questions.jsonl", "eval/heldout2/questions.jsonl",
        "eval/heldout3/questions.jsonl"]  # fmt: skip


def main() -> None:
    generation = Generation.open_current(Settings().index_dir)
    reader = understanding.Reader(understanding.vocabulary(generation))
    write("misspelt", SETS, lambda q: q["kind"] == "natural" and misspelt(reader, q["question"]))


if __name__ == "__main__":
    main()
