"""Section: what reading a question's years and countries costs (target: at most 1 ms a
query), against the same searches with understanding off, in the same run and process."""

from __future__ import annotations

import functools
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


def misspelt(reader, question: str) -> str | None:
    """The question with two letters in the middle of its country's name swapped ("Tuvalu"
    → "Tuavlu"), as typed in haste; None when no country is read from a name of five
    letters or more. (eval/misspelt/ is made with it.)"""
    country = next((r for r in reader.read(question).readings if r.field == "country"), None)
    if country is None:
        return None
    start, end = country.spans[0]
    name = question[start:end]
    word = max(name.split(), key=len)
    if len(word) < 5 or not word.isalpha():
        return None
    return swapped(question, name.index(word) + start, len(word))


def swapped(text: str, start: int, length: int) -> str:
    """`text` with the two letters in the middle of its word at `start` (of `length`
    letters) swapped, as typed in haste."""
    at = start + length // 2
    return text[: at - 1] + text[at] + text[at - 1] + text[at + 1 :]


def _paired(searcher, questions: list[str]) -> tuple[list[float], list[float]]:
    """Each question searched with understanding on and off, in turn (the order alternating),
    so that the machine's drift falls on both alike: (on, off) times in ms."""
    from search_api.query import Query

    times: tuple[list[float], list[float]] = ([], [])
    for round_ in range(ROUNDS):
        for i, question in enumerate(questions):
            for on in (True, False) if (i + round_) % 2 else (False, True):
                started = time.perf_counter()
                searcher.search(Query(question, 10, understand=on))
                times[not on].append((time.perf_counter() - started) * 1000)
    return times


def run(ctx: Context) -> Section:
    import torch
    from threadpoolctl import threadpool_limits

    from bench.common import MODEL
    from search_api import understanding
    from search_api.lifecycle import make_embedder, make_searcher
    from search_api.query import Query
    from search_api.settings import Settings

    section = Section("Query understanding")
    named, others = _questions()
    threads = torch.get_num_threads()
    blas = threadpool_limits(limits=None, user_api="blas")  # remembers OpenBLAS's count
    # As a worker opens its searcher: the question model (int8 where the CPU suits it) on its
    # own thread count (one), so that the work done while it embeds a question runs beside
    # it as in a worker, and OpenBLAS held to one thread. Both counts are the process's: put
    # back at the end.
    settings = Settings(model=MODEL, index_dir=ctx.corpus_index.path)
    embedder = make_embedder(settings, threads=settings.query_threads)
    searcher = make_searcher(settings, embedder)
    reader = understanding.Reader(understanding.vocabulary(searcher.generation))
    # as the searcher reads: a word the index lacks may be a name misspelt
    known = functools.partial(searcher.keyword.words_of_their_own, searcher.generation)
    plain = [q for q in others if not reader.read(q, known=known)]  # names no year, country…
    typos = [m for m in (misspelt(reader, q) for q in named) if m]
    for question in named + plain:  # warm: the query vectors are cached after this
        searcher.search(Query(question, 10))
    say(f"understanding: reading {len(named) + len(plain)} questions, then searches on/off")
    for label, questions in (("a question (years, countries, organisations, types)",
                              named + plain),
                             ("a question with a country's name misspelt", typos)):  # fmt: skip
        reads = []
        for _ in range(20):
            for question in questions:
                started = time.perf_counter()
                reader.read(question, known=known)
                reads.append((time.perf_counter() - started) * 1000)
        read = percentiles(reads)
        section.rows.append(Row(
            f"reading {label}",
            f"p50 {read[50] * 1000:.0f} · p99 {read[99] * 1000:.0f} µs",
            "≤ 1 ms", read[99] <= 1.0,
            f"{len(reads)} reads of {len(questions)} " + (
                "shipped questions" if questions is not typos
                else "natural questions, two letters of the name swapped"),
        ))  # fmt: skip
    # A word typed wrong, found and corrected before the search (search_api/typos.py)
    lines = (REPO / "eval" / "typos" / "questions.jsonl").read_text("utf-8").splitlines()
    typed = [json.loads(line)["question"] for line in lines]
    for label, questions in (("as written", named + plain), ("with a typo", typed)):
        times = []
        for _ in range(2):
            for question in questions:
                started = time.perf_counter()
                searcher.spelling(Query(question, 10))
                times.append((time.perf_counter() - started) * 1000)
        took = percentiles(times)
        section.rows.append(Row(
            f"finding the words typed wrong in a question {label}",
            f"p50 {took[50] * 1000:.0f} · p99 {took[99] * 1000:.0f} µs", "≤ 1 ms",
            took[50] <= 1.0, f"{len(times)} questions" + (
                " of eval/typos" if questions is typed else " of the shipped set"),
        ))  # fmt: skip
    # First with the question vectors cached (the CPU understanding adds), then with every
    # question embedded as a new one is (the time it waits).
    for embedded in (False, True):
        if embedded:
            searcher.close()
            searcher = make_searcher(settings, embedder)
            searcher.queries.cache_size = 0
            searcher.warm_up()
        for label, questions in (("naming a year or country", named), ("naming none", plain)):
            on, off = map(percentiles, _paired(searcher, questions))
            added = on[50] - off[50]
            section.rows.append(Row(
                f"in-process search, questions {label}: understanding on vs off, "
                + ("each question embedded (the time a new question waits)" if embedded
                   else "vectors cached (the CPU it adds)"),
                f"p50 {on[50]:.2f} vs {off[50]:.2f} ms ({added:+.2f} ms)",
                "≤ +1 ms" if embedded else "", added <= 1.0 if embedded else None,
                f"{ROUNDS} rounds of {len(questions)} questions"
                + (", the real model" if embedded else ""),
            ))  # fmt: skip
    section.notes.append(
        "Reading is the understanding's own cost. Questions that name a year or country also "
        "run both legs again within the matching documents (the preference legs, a retrieval "
        "technique measured in docs/evaluation.md): the extra CPU of their cached row. Their "
        "filter and keyword round run while the model embeds the question, so a new question "
        "waits only for the rest (its dense leg within those documents and a larger fusion)."
    )
    searcher.close()
    torch.set_num_threads(threads)
    blas.restore_original_limits()
    return section
