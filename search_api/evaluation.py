"""Retrieval evaluation over a labelled question set.

Each question names the document(s) that answer it and evidence phrases; a returned passage
is correct when it comes from one of those documents (or says the same as one, `also_in`)
and contains an evidence phrase. Metrics per question kind and per mode: Recall@1/5/10 (the
share of questions with a correct passage in the top k), MRR@10 and nDCG@10 (binary gains,
ideal ranking from the number of distinct correct passages in the index).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from search_api.query import Query
from search_api.results import Hit
from search_api.search import Searcher
from search_api.statistics import interval, paired

KINDS_ORDER = ("paraphrase", "descriptive", "exact", "reference", "filtered", "natural")
# Doc@1: the first result comes from a document that answers (a named resolution first).
METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "Doc@1")
INTERVALS = ("R@5", "MRR@10")  # the metrics shown with their 95 % intervals


@dataclass
class Question:
    id: str
    kind: str
    question: str
    documents: list[str]
    evidence: list[str]
    filters: dict | None = None
    split: str = "dev"  # dev: tune on it; test: only ever reported


@dataclass
class Outcome:
    question: Question
    mode: str
    ranks: list[int] = field(default_factory=list)  # 1-based ranks of correct results
    relevant_total: int = 1
    document_first: bool = False  # the first result comes from an answering document

    def metrics(self) -> dict[str, float]:
        first = min(self.ranks) if self.ranks else None
        dcg = sum(1 / math.log2(r + 1) for r in self.ranks if r <= 10)
        ideal = sum(1 / math.log2(r + 1) for r in range(1, min(self.relevant_total, 10) + 1))
        return {
            "R@1": float(first is not None and first <= 1),
            "R@5": float(first is not None and first <= 5),
            "R@10": float(first is not None and first <= 10),
            "MRR@10": 1 / first if first and first <= 10 else 0.0,
            "nDCG@10": dcg / ideal if ideal else 0.0,
            "Doc@1": float(self.document_first),
        }


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(
                Question(
                    id=str(data["id"]),
                    kind=data["kind"],
                    question=data["question"],
                    documents=list(data["documents"]),
                    evidence=list(data["evidence"]),
                    filters=data.get("filters"),
                    split=data.get("split", "dev"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} line {number}: not a question ({exc})") from exc
    return questions


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").split()).lower()


def is_correct(hit: Hit, question: Question) -> bool:
    sources = {hit.source, *hit.also_in}
    if not sources & set(question.documents):
        return False
    text = _norm(hit.text)
    return any(_norm(phrase) in text for phrase in question.evidence)


def relevant_total(searcher: Searcher, question: Question) -> int:
    """Distinct passages in the index that count as correct (the ideal ranking's length)."""
    marks = ",".join("?" for _ in question.documents)
    rows = searcher.generation.query(
        f"SELECT p.text, p.text_sha FROM passages p JOIN documents d ON d.id = p.document_id "
        f"WHERE d.source IN ({marks})",
        question.documents,
    )
    phrases = [_norm(p) for p in question.evidence]
    return max(1, len({sha for text, sha in rows if any(p in _norm(text) for p in phrases)}))


def evaluate(
    searcher: Searcher, questions: Iterable[Question], modes: Iterable[str], k: int = 10
) -> list[Outcome]:
    outcomes = []
    for question in questions:
        total = relevant_total(searcher, question)
        for mode in modes:
            query = Query(question.question, k=k, filters=question.filters, mode=mode)
            hits = searcher.search(query).hits
            ranks = [rank for rank, hit in enumerate(hits, start=1) if is_correct(hit, question)]
            first = bool(hits) and bool(
                {hits[0].source, *hits[0].also_in} & set(question.documents)
            )
            outcomes.append(Outcome(question, mode, ranks, total, first))
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, dict]]:
    """{kind (and "all", and "in:FOLDER" for each collection): {mode: {metric: mean}}},
    with "n" the number of questions and "ci" each metric's 95 % bootstrap interval."""
    buckets: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for outcome in outcomes:
        metrics = outcome.metrics()
        buckets[(outcome.question.kind, outcome.mode)].append(metrics)
        buckets[(f"in:{collection(outcome.question)}", outcome.mode)].append(metrics)
        buckets[("all", outcome.mode)].append(metrics)
    table: dict[str, dict[str, dict]] = defaultdict(dict)
    for (kind, mode), rows in buckets.items():
        means = {m: sum(r[m] for r in rows) / len(rows) for m in METRICS}
        ci = {m: list(interval([r[m] for r in rows])) for m in INTERVALS}
        table[kind][mode] = {**means, "n": len(rows), "ci": ci}
    return dict(table)


def compare(before: list[Outcome], after: list[Outcome]) -> dict[str, dict[str, dict]]:
    """{mode: {kind and "all": {metric: paired difference after − before}}} over the
    questions both runs answered."""
    earlier = {(o.question.id, o.mode): o for o in before}
    pairs = [(earlier[(o.question.id, o.mode)], o) for o in after
             if (o.question.id, o.mode) in earlier]  # fmt: skip
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for a, b in pairs:
        groups[(b.mode, b.question.kind)].append((a, b))
        groups[(b.mode, "all")].append((a, b))
    for (mode, kind), members in groups.items():
        out[mode][kind] = {
            m: paired([a.metrics()[m] for a, _ in members], [b.metrics()[m] for _, b in members])
            for m in INTERVALS
        }
    return dict(out)


def save(outcomes: list[Outcome], path: Path) -> None:
    """Each question's outcome, to compare a later run against (`confsearch eval --against`)."""
    lines = [
        json.dumps({"id": o.question.id, "kind": o.question.kind, "split": o.question.split,
                    "mode": o.mode, "ranks": o.ranks, "relevant_total": o.relevant_total,
                    "document_first": o.document_first})
        for o in outcomes
    ]  # fmt: skip
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_outcomes(path: Path, questions: list[Question]) -> list[Outcome]:
    by_id = {q.id: q for q in questions}
    outcomes = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            if data["id"] in by_id:
                outcomes.append(Outcome(by_id[data["id"]], data["mode"], data["ranks"],
                                        data["relevant_total"],
                                        data.get("document_first", False)))  # fmt: skip
    return outcomes


def collection(question: Question) -> str:
    """The corpus folder of the documents that answer: ungdc-pacific, unsc-resolutions, …"""
    return question.documents[0].split("/", 1)[0] if question.documents else "-"


def _kinds(table: dict) -> list[str]:
    known = [k for k in KINDS_ORDER if k in table]
    rest = sorted(k for k in table if k not in known and k != "all" and not k.startswith("in:"))
    return [*known, *rest, *sorted(k for k in table if k.startswith("in:")), "all"]


def format_table(table: dict, modes: list[str], markdown: bool = False) -> str:
    header = ["kind", "n", "mode", *METRICS, *(f"{m} 95% CI" for m in INTERVALS)]
    rows = []
    for kind in _kinds(table):
        for mode in modes:
            cell = table[kind].get(mode)
            if cell:
                ci = [f"{lo:.2f}–{hi:.2f}" for lo, hi in (cell["ci"][m] for m in INTERVALS)]
                rows.append([kind, str(cell["n"]), mode, *(f"{cell[m]:.3f}" for m in METRICS),
                             *ci])  # fmt: skip
    return _render(header, rows, markdown)


def format_comparison(differences: dict, markdown: bool = False) -> str:
    """Each mode's and kind's paired differences: the mean, its interval, better/worse
    questions, and whether it is noise."""
    header = ["mode", "kind", "metric", "Δ", "95% CI", "better", "worse", "sign p", "verdict"]
    rows = []
    for mode, kinds in differences.items():
        for kind in sorted(kinds, key=lambda k: (k == "all", k)):
            for metric, d in kinds[kind].items():
                verdict = "noise" if d.noise else ("better" if d.mean > 0 else "worse")
                rows.append([mode, kind, metric, f"{d.mean:+.3f}", f"{d.low:+.3f}…{d.high:+.3f}",
                             str(d.better), str(d.worse), f"{d.p_sign:.3f}", verdict])  # fmt: skip
    return _render(header, rows, markdown)


def _render(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *rows]
    )


def misses(outcomes: list[Outcome], mode: str, cutoff: int = 5) -> list[str]:
    """Questions whose first correct passage is not in the top `cutoff`, for inspection."""
    out = []
    for o in outcomes:
        if o.mode == mode and not (o.ranks and min(o.ranks) <= cutoff):
            first = min(o.ranks) if o.ranks else "-"
            out.append(f"{o.question.id} [{o.question.kind}] rank {first}: {o.question.question}")
    return out
