"""Section: what reading a question's years and countries costs (target: at most 1 ms a
query), against the same searches with understanding off, in the same run and process."""

from __future__ import annotations

import json
import time

from bench.common import REPO, Context, percentiles, say
from bench.report import Row, Section

ROUNDS = 3


def _questions() -> tuple[list[str], list[str]]:
    """(the natural questions, which name a year, country, …; the paraphrase and exact
    ones, most of which name none), from the shipped set."""
    lines = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    named = [q["question"] for q in questions if q["kind"] == "natural"]
    plain = [q["question"] for q in questions if q["kind"] in ("paraphrase", "exact")]
    return named, plain


def _timed(searcher, questions: list[str], understand: bool) -> list[float]:
    from search_api.query import Query

    out = []
    for _ in range(ROUNDS):
        for question in questions:
            started = time.perf_counter()
            searcher.search(Query(question, 10, understand=understand))
            out.append((time.perf_counter() - started) * 1000)
    return out


def run(ctx: Context) -> Section:
    from search_api import understanding
    from search_api.query import Query
    from search_api.search import Searcher

    section = Section("Query understanding")
    named, others = _questions()
    searcher = Searcher(ctx.corpus_index.path, ctx.embedder)
    reader = understanding.Reader(understanding.vocabulary(searcher.generation))
    plain = [q for q in others if not reader.read(q)]  # names no year, country, …
    for question in named + plain:  # warm: the query vectors are cached after this
        searcher.search(Query(question, 10))
    say(f"understanding: reading {len(named) + len(plain)} questions, then searches on/off")
    reads = []
    for _ in range(20):
        for question in named + plain:
            started = time.perf_counter()
            reader.read(question)
            reads.append((time.perf_counter() - started) * 1000)
    read = percentiles(reads)
    section.rows.append(Row(
        "reading a question (years, countries, organisations, types)",
        f"p50 {read[50] * 1000:.0f} · p99 {read[99] * 1000:.0f} µs",
        "≤ 1 ms", read[99] <= 1.0, f"{len(reads)} reads of the shipped questions",
    ))  # fmt: skip
    for label, questions in (("naming a year or country", named), ("naming none", plain)):
        on = percentiles(_timed(searcher, questions, True))
        off = percentiles(_timed(searcher, questions, False))
        added = on[50] - off[50]
        section.rows.append(Row(
            f"in-process search, questions {label}: understanding on vs off",
            f"p50 {on[50]:.2f} vs {off[50]:.2f} ms (+{added:.2f} ms)",
            "≤ +1 ms" if label == "naming none" else "",
            added <= 1.0 if label == "naming none" else None,
            f"{ROUNDS} rounds of {len(questions)} questions, vectors cached",
        ))  # fmt: skip
    section.notes.append(
        "Reading is the understanding's own cost. Questions that name a year or country also "
        "run both legs again within the matching documents (the preference legs, a retrieval "
        "technique measured in docs/evaluation.md): that is the extra time of their row."
    )
    searcher.close()
    return section
