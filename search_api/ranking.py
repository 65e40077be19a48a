"""Post-processing of the fused ranking: collapse duplicates, group by document, count
facets."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from indexer.fields import FACETS
from indexer.postings import member
from search_api.preferences import Preferences
from search_api.rows import LightTable


@dataclass
class Candidate:
    """A ranked passage before it is read whole."""

    passage_id: int
    score: float
    row: sqlite3.Row  # its document's light row: document_id, source, doc_* (rows.py)
    also_in: list[str] = field(default_factory=list)

    @property
    def document_id(self) -> str:
        return self.row["document_id"]


def collapse(
    table: LightTable, ids: np.ndarray, scores: np.ndarray, limit: int | None = None
) -> list[Candidate]:
    """One candidate per passage text (a PDF and a text rendition of one communiqué say the
    same), and no two overlapping passages of one document (a long section is split with
    overlap): the better one stands for both. `ids`, `scores`: the ranking, best first.
    With `limit`, the first `limit` candidates only (a page that needs neither facets nor
    re-ordering): the rest of the ranking is read only for other renditions of those
    (`also_in`), and only their documents' rows are read."""
    if not len(ids):
        return []
    documents = table.document[ids].tolist()
    starts, ends = table.start[ids].tolist(), table.end[ids].tolist()
    keys = table.text_key[ids]
    kept: list[int] = []  # positions in the ranking
    by_text: dict[int, int] = {}  # text key -> its kept position
    renditions: dict[int, list[int]] = {}  # kept position -> documents saying the same
    taken: dict[int, list[tuple[int, int]]] = {}
    for i, key in enumerate(keys.tolist()):
        same = by_text.get(key)
        if same is not None:
            renditions.setdefault(same, []).append(documents[i])
            continue
        if limit is not None and len(kept) >= limit:
            # only renditions of what is kept matter now: found in one pass over the keys
            for j in np.flatnonzero(np.isin(keys[i:], list(by_text))).tolist():
                renditions.setdefault(by_text[int(keys[i + j])], []).append(documents[i + j])
            break
        document, start, end = documents[i], starts[i], ends[i]
        seen = taken.setdefault(document, [])
        if any(start < e and s < end for s, e in seen):
            continue
        seen.append((start, end))
        by_text[key] = i
        kept.append(i)
    rows = table.documents([documents[i] for i in kept]
                           + [d for others in renditions.values() for d in others])  # fmt: skip
    pids, values = ids.tolist(), scores.tolist()
    out = []
    for i in kept:
        candidate = Candidate(pids[i], values[i], rows[documents[i]])
        for document in renditions.get(i, []):
            _also(candidate, rows[document]["source"])
        out.append(candidate)
    return out


def _also(candidate: Candidate, source: str) -> None:
    """`source` holds the candidate's text too (another rendition of its document)."""
    if source not in candidate.also_in and source != candidate.row["source"]:
        candidate.also_in.append(source)


def group(candidates: list[Candidate], per_document: int) -> list[list[Candidate]]:
    """Candidates grouped by document, groups in the order of their best candidate. A
    document that says the same as another (a PDF and a text rendition of one communiqué,
    found by a passage they share: `also_in`) or that is a second copy of a resolution is
    one group with it, not a group of its own."""
    one: dict[str, str] = {}  # a source -> the source standing for the documents it is one with

    def root(source: str) -> str:
        while one.get(source, source) != source:
            source = one[source]
        return source

    def join(a: str, b: str) -> None:
        a, b = root(a), root(b)
        if a != b:
            one[b] = a

    holders: dict[str, str] = {}  # a document id -> its source
    for candidate in candidates:
        holders.setdefault(candidate.document_id, candidate.row["source"])
    for candidate in candidates:
        source = candidate.row["source"]
        for other in candidate.also_in:
            join(source, other)
        holder = candidate.row["doc_copy_of"]
        if holder is not None:
            join(holders.get(holder, "id:" + holder), source)
    groups: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        members = groups.setdefault(root(candidate.row["source"]), [])
        if len(members) < per_document:
            members.append(candidate)
    return list(groups.values())


def by_year(
    candidates: list[Candidate],
    per_year: int,
    order: str = "desc",
    asked: np.ndarray | None = None,
) -> list[tuple[int | None, int, list[Candidate]]]:
    """(year, matching documents, its best candidates): every year among the candidates,
    newest first (or oldest, `order="asc"`), undated documents last; the years of the
    documents a question's year reading matches (`asked`: their rowids, Preferences) before
    the others: "arms embargo in 1977" by year opens on 1977."""
    years: dict[int | None, list[Candidate]] = {}
    documents: dict[int | None, set[str]] = {}
    for candidate in candidates:
        year = candidate.row["doc_year"]
        documents.setdefault(year, set()).add(candidate.document_id)
        members = years.setdefault(year, [])
        if len(members) < per_year:
            members.append(candidate)
    dated = sorted((y for y in years if y is not None), reverse=order == "desc")
    if asked is not None and candidates:
        rowids = np.array([c.row["rowid"] for c in candidates], dtype=np.int64)
        matched = member(rowids, asked)
        first = {c.row["doc_year"] for c, m in zip(candidates, matched, strict=True) if m}
        dated.sort(key=lambda year: year not in first)  # stable: the order within each
    ordered = [*dated, *([None] if None in years else [])]
    return [(year, len(documents[year]), years[year]) for year in ordered]


def facets(candidates: list[Candidate]) -> dict[str, dict[str, int]]:
    """Documents among the matches, counted by each facet field's values."""
    documents = {c.document_id: c.row for c in candidates}
    out: dict[str, dict[str, int]] = {}
    for name in FACETS:
        counts: dict[str, int] = {}
        for row in documents.values():
            value = row[f"doc_{name}"]
            if value is None:
                continue
            # a resolution about Iraq and Kuwait counts for each
            for each in str(value).split(",") if name == "countries" else [str(value)]:
                counts[each] = counts.get(each, 0) + 1
        out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def prefer(
    table: LightTable,
    preferences: Preferences,
    ids: np.ndarray,
    scores: np.ndarray,
    preferred: dict,
    boost: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The fused ranking (ids, scores) re-ordered so that passages of documents matching
    what the question's words say move up: each gains `boost` times the share of understood
    fields its document matches. Nothing is dropped: a wrong reading costs places, not the
    answer. Done before `collapse`, so that collapsing can stop at the page (a document's
    passages all gain alike: of overlapping ones, it keeps the same)."""
    if not len(ids):
        return ids, scores
    scores = scores + boost * preferences.shares(table.document[ids], preferred)
    order = np.argsort(-scores, kind="stable")  # ties keep the fused order
    return ids[order], scores[order]
