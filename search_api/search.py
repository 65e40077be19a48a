"""The searcher: filters, dense retrieval, collapsing of duplicates, highlights.

Filters select candidate passages in SQLite *before* ranking, so a filtered question returns
k passages whenever k exist (post-filtering the top N of a vector search comes back short).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from indexer.embedding import Embedder
from indexer.store import Generation, current_generation
from indexer.vector_index import search_parameters
from search_api.fusion import reciprocal_rank
from search_api.keyword import fts_queries, terms
from search_api.query_embedding import QueryEmbedder

log = logging.getLogger(__name__)

# Filterable document fields and their type.
FILTER_FIELDS: dict[str, type] = {
    "year": int,
    "country": str,
    "doc_type": str,
    "organisation": str,
    "conference": str,
    "place": str,
    "language": str,
    "document_id": str,
}
_COLUMNS = {"document_id": "d.id"}
EXACT_SCAN_LIMIT = 20_000  # below this many candidates, score them directly
MODES = ("hybrid", "semantic", "keyword")


class QueryError(ValueError):
    """A question or filter the searcher cannot run; the message says how to fix it."""


class NotFound(LookupError):
    pass


def check_query(query: str, max_chars: int | None = None) -> str:
    """The query with its whitespace collapsed, or a QueryError saying what is wrong."""
    query = " ".join(query.split())
    if not query:
        raise QueryError("the query is empty: type a question or some words")
    if max_chars is not None and len(query) > max_chars:
        raise QueryError(f"the query is longer than {max_chars} characters")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the query is not valid text (unpaired surrogate)") from None
    return query


@dataclass
class Hit:
    passage_id: int
    score: float
    row: dict
    highlight: str = ""
    highlight_start: int = 0
    highlight_end: int = 0
    also_in: list[str] = field(default_factory=list)
    similarity: float | None = None

    def to_dict(self) -> dict:
        r = self.row
        return {
            "id": f"{r['document_id']}#{r['ordinal']}",
            "text": r["text"],
            "score": round(float(self.score), 5),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "source": r["source"],
            "section": r["section"],
            "page": r["page"],
            "page_end": r["page_end"],
            "start": r["start"],
            "end": r["end"],
            "highlight": self.highlight,
            "highlight_offsets": [self.highlight_start, self.highlight_end],
            "also_in": self.also_in,
            "document": document_dict(r, prefix="doc_"),
        }


def _best_sentences(rows, qv: np.ndarray) -> dict[int, float]:
    """Passage id → similarity of its best sentence, in one matrix product."""
    blobs = [(r[0], r[1]) for r in rows if r[1] and len(r[1]) % (2 * len(qv)) == 0]
    if not blobs:
        return {}
    vectors = np.frombuffer(b"".join(b for _, b in blobs), dtype=np.float16)
    scores = vectors.reshape(-1, len(qv)).astype(np.float32) @ qv
    counts = [len(b) // (2 * len(qv)) for _, b in blobs]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return dict(
        zip((pid for pid, _ in blobs), np.maximum.reduceat(scores, starts).tolist(), strict=True)
    )


def _group(hits: list[Hit], per_document: int) -> list[list[Hit]]:
    """Hits grouped by document, groups in the order of their best hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        group = groups.setdefault(hit.row["document_id"], [])
        if len(group) < per_document:
            group.append(hit)
    return list(groups.values())


def _facets(hits: list[Hit]) -> dict[str, dict[str, int]]:
    """Documents among the matches, counted by doc_type, year and country."""
    documents = {h.row["document_id"]: h.row for h in hits}
    out: dict[str, dict[str, int]] = {}
    for name in ("doc_type", "year", "country"):
        counts: dict[str, int] = {}
        for row in documents.values():
            value = row[f"doc_{name}"]
            if value is not None:
                counts[str(value)] = counts.get(str(value), 0) + 1
        out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def document_dict(row: Any, prefix: str = "") -> dict:
    def get(name: str):
        return row[prefix + name]

    return {
        "id": get("id"),
        "title": get("title"),
        "doc_type": get("doc_type"),
        "year": get("year"),
        "date": get("date"),
        "organisation": get("organisation"),
        "conference": get("conference"),
        "place": get("place"),
        "country": get("country"),
        "country_name": get("country_name"),
        "language": get("language"),
        "source": get("source"),
        **json.loads(get("extra") or "{}"),
    }


def parse_filters(filters: dict | None) -> tuple[str, list]:
    """SQL condition on documents `d` for {field: value | [values] | {"gte": x, "lte": y}}."""
    if not filters:
        return "", []
    clauses, params = [], []
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            allowed = ", ".join(sorted(FILTER_FIELDS))
            raise QueryError(f"unknown filter field {name!r}; filter on one of: {allowed}")
        kind = FILTER_FIELDS[name]
        column = _COLUMNS.get(name, f"d.{name}")
        collate = " COLLATE NOCASE" if kind is str else ""
        if isinstance(value, dict):
            unknown = set(value) - {"gte", "lte", "gt", "lt"}
            if unknown or not value:
                raise QueryError(
                    f"filter {name!r}: a range takes gte, lte, gt or lt, not {sorted(unknown)}"
                )
            ops = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<"}
            for op, bound in value.items():
                clauses.append(f"{column} {ops[op]} ?")
                params.append(_coerce(name, kind, bound))
        elif isinstance(value, list):
            if not value:
                raise QueryError(f"filter {name!r}: the list of values is empty")
            marks = ", ".join("?" for _ in value)
            clauses.append(f"{column}{collate} IN ({marks})")
            params.extend(_coerce(name, kind, v) for v in value)
        else:
            clauses.append(f"{column} = ?{collate}")
            params.append(_coerce(name, kind, value))
    return " AND ".join(clauses), params


def _coerce(name: str, kind: type, value: Any):
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise QueryError(f"filter {name!r}: {value!r} is not a valid value")
    if kind is int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise QueryError(f"filter {name!r}: {value!r} is not a whole number") from None
        if not -(2**63) <= number < 2**63:
            raise QueryError(f"filter {name!r}: {value!r} is out of range")
        return number
    text = str(value).strip()
    if not text:
        raise QueryError(f"filter {name!r}: the value is empty")
    return text


_ROW_SQL = """
SELECT p.id AS passage_id, p.document_id, p.ordinal, p.section, p.page, p.page_end,
       p.start, p."end", p.text, p.text_sha, p.sentences, p.sentence_vectors,
       d.source, d.id AS doc_id, d.title AS doc_title, d.doc_type AS doc_doc_type,
       d.year AS doc_year, d.date AS doc_date, d.organisation AS doc_organisation,
       d.conference AS doc_conference, d.place AS doc_place, d.country AS doc_country,
       d.country_name AS doc_country_name, d.language AS doc_language,
       d.source AS doc_source, d.extra AS doc_extra
FROM passages p JOIN documents d ON d.id = p.document_id
"""
# What collapsing, grouping and facets need of every candidate; the page's hits alone are
# then read whole (text, sentence vectors, metadata).
_LIGHT_SQL = """
SELECT p.id AS passage_id, p.document_id, p.start, p."end", p.text_sha, d.source,
       d.doc_type AS doc_doc_type, d.year AS doc_year, d.country AS doc_country
FROM passages p JOIN documents d ON d.id = p.document_id
"""


class Searcher:
    """Answers questions from the published index generation, switching to a newer one when
    the indexer publishes it."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        reload_check_seconds: float = 1.0,
        depth: int = 100,
        rrf_k: int = 5,
        sentence_weight: float = 0.5,
    ):
        self.index_dir = Path(index_dir)
        self.queries = QueryEmbedder(embedder)
        # Chosen on eval/questions.jsonl (docs/evaluation.md): each leg brings `depth`
        # candidates; a small RRF k lets the top of each leg count; the dense score mixes
        # passage and best-sentence similarity.
        self.depth = depth
        self.rrf_k = rrf_k
        self.sentence_weight = sentence_weight
        self.embedder = embedder
        self.reload_check_seconds = reload_check_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._rejected: Path | None = None
        self._generation = Generation.open_current(self.index_dir)
        self._check_model(self._generation)
        self._vocabulary: tuple[Path, bool] | None = None  # has this generation passages_vocab

    def _check_model(self, generation: Generation) -> None:
        built_with = generation.manifest.get("model")
        if built_with != self.embedder.name or generation.manifest["dimension"] != (
            self.embedder.dimension
        ):
            raise QueryError(
                f"the index was built with model {built_with!r} but the server uses "
                f"{self.embedder.name!r}: rebuild the index or set CONFSEARCH_MODEL={built_with}"
            )

    @property
    def generation(self) -> Generation:
        now = time.monotonic()
        if now - self._checked >= self.reload_check_seconds:
            self._checked = now
            latest = current_generation(self.index_dir)
            if latest is not None and latest not in (self._generation.path, self._rejected):
                with self._lock:
                    if latest != self._generation.path:
                        self._switch(latest)
        return self._generation

    def _switch(self, path: Path) -> None:
        try:
            fresh = Generation.open(path)
            self._check_model(fresh)
        except Exception as exc:  # keep serving the generation we have
            log.error("new index generation %s not opened, still serving %s: %s",
                      path.name, self._generation.name, exc)  # fmt: skip
            self._rejected = path  # not retried (and re-hashed) every second
            return
        log.info("switched to index generation %s", fresh.name)
        self._generation = fresh  # the old one is closed by the garbage collector

    def refresh(self) -> str:
        """Look for a newly published generation now; the name of the one served."""
        self._checked = float("-inf")
        return self.generation.name

    def close(self) -> None:
        self.queries.close()
        self._generation.close()

    # -- search -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        filters: dict | None = None,
        offset: int = 0,
        mode: str = "hybrid",
        group_by: str | None = None,
        per_document: int = 3,
        facets: bool = False,
    ) -> dict:
        """Passages answering `query`, best first. `mode`: hybrid (dense + keyword, fused),
        semantic or keyword. `group_by="document"` returns k documents, each with up to
        `per_document` passages. `facets` counts documents by doc_type, year and country
        among the matches."""
        started = time.perf_counter()
        query = check_query(query)
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if group_by not in (None, "document"):
            raise QueryError(f"group_by must be 'document', not {group_by!r}")
        where, params = parse_filters(filters)
        words = terms(query)
        if mode == "keyword" and not words:
            raise QueryError("the query has no word to search for; try mode=semantic")
        gen = self.generation
        wanted = offset + k
        depth = max(self.depth, 2 * wanted + 10)
        # The model thread embeds the question while this one runs the SQL legs: on 2 cores
        # a lone question's latency is the longer of the two, not their sum.
        pending = self.queries.submit(query) if mode != "keyword" else None
        candidates = self._candidates(gen, where, params)
        matches = self._fts_queries(gen, query) if words and mode != "semantic" else []
        keyword = self._keyword(gen, matches, depth, where, params) if matches else None
        qv = pending.result() if pending is not None else None
        while True:
            legs, exhausted = [], True
            if qv is not None:
                ids = self._dense_leg(gen, qv, depth, candidates)
                legs.append(ids)
                exhausted &= len(ids) < depth
            if matches:
                if keyword is None:  # a deeper round
                    keyword = self._keyword(gen, matches, depth, where, params)
                ids, keyword = keyword, None
                legs.append(ids)
                exhausted &= len(ids) < depth
            fused = reciprocal_rank(legs, k=self.rrf_k)
            hits = self._collapse(gen, fused)
            units = _group(hits, per_document) if group_by else hits
            if len(units) >= wanted or exhausted:
                break
            depth *= 4
        if qv is not None and hits:
            similarities = np.asarray(gen.embeddings[[h.passage_id for h in hits]]) @ qv
            for hit, similarity in zip(hits, similarities.tolist(), strict=True):
                hit.similarity = similarity
        page = units[offset:wanted]
        shown = [h for unit in page for h in (unit if group_by else [unit])]
        marks = ",".join(str(h.passage_id) for h in shown)
        full = {r["passage_id"]: dict(r) for r in gen.query(f"{_ROW_SQL} WHERE p.id IN ({marks})")}
        for hit in shown:
            hit.row = full[hit.passage_id]
            self._highlight(hit, qv, words)
        response: dict[str, Any] = {"query": query, "mode": mode, "took_ms": 0.0}
        response.update({"offset": offset, "k": k})
        if group_by:
            response["groups"] = [
                {"document": g[0].to_dict()["document"], "results": [h.to_dict() for h in g]}
                for g in page
            ]
            response["results"] = [h.to_dict() for g in page for h in g]
        else:
            response["results"] = [h.to_dict() for h in page]
        if facets:
            response["facets"] = _facets(hits)
        response["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return response

    def _fts_queries(self, gen: Generation, query: str) -> list[str]:
        """The keyword leg's expressions, cut to the question's rarest words when it would
        score too many passages (search_api/keyword.py); a generation written before
        passages_vocab existed gets the whole question."""
        known = self._vocabulary
        if known is None or known[0] != gen.path:
            found = gen.query_one("SELECT 1 FROM sqlite_master WHERE name = 'passages_vocab'")
            self._vocabulary = known = (gen.path, found is not None)
        if not known[1]:
            return fts_queries(query)

        def doc_counts(tokens) -> dict[str, int]:
            marks = ",".join("?" for _ in tokens)
            sql = f"SELECT term, docs FROM passages_vocab WHERE term IN ({marks})"
            return {term: docs for term, docs in gen.query(sql, list(tokens))} if tokens else {}

        return fts_queries(query, doc_counts, gen.manifest["counts"]["passages"])

    def _keyword(
        self, gen: Generation, matches: list[str], n: int, where: str, params: list
    ) -> list[int]:
        """Passage ids by bm25 (the title weighs less than section and text), with the
        filters inside the same query. Each expression's passages follow the previous ones'
        until there are `n` (a cut question's rarest words together, then the rarest alone)."""
        rank = "bm25(passages_fts, 0.3, 1.0, 1.0)"
        if where:
            sql = (
                "SELECT f.rowid FROM passages_fts f JOIN passages p ON p.id = f.rowid "
                "JOIN documents d ON d.id = p.document_id "
                f"WHERE passages_fts MATCH ? AND {where} ORDER BY {rank} LIMIT ?"
            )
        else:
            sql = (
                f"SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY {rank} LIMIT ?"
            )
        ids: dict[int, None] = {}
        for match in matches:
            ids.update((r[0], None) for r in gen.query(sql, [match, *params, n]))
            if len(ids) >= n:
                break
        return list(ids)[:n]

    def _dense_leg(self, gen: Generation, qv: np.ndarray, n: int, candidates) -> list[int]:
        """Passage ids by meaning. The nearest passages are re-scored with their best
        sentence: a passage whose one sentence answers precisely should not lose to one
        that is vaguely about the topic throughout (measured in docs/evaluation.md)."""
        ids, scores = self._dense(gen, qv, 2 * n, candidates)
        if self.sentence_weight <= 0 or len(ids) == 0:
            return ids[:n].tolist()
        marks = ",".join(str(int(i)) for i in ids)
        rows = gen.query(f"SELECT id, sentence_vectors FROM passages WHERE id IN ({marks})")
        best = _best_sentences(rows, qv)
        w = self.sentence_weight
        mixed = [
            ((1 - w) * score + w * best.get(pid, score), pid)
            for pid, score in zip(ids.tolist(), scores.tolist(), strict=True)
        ]
        mixed.sort(key=lambda pair: -pair[0])
        return [pid for _, pid in mixed[:n]]

    def _candidates(self, gen: Generation, where: str, params: list) -> np.ndarray | None:
        if not where:
            return None
        rows = gen.query(
            f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}",
            params,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def _dense(self, gen, qv, n, candidates) -> tuple[np.ndarray, np.ndarray]:
        """Nearest passages by inner product; with a filter, among its candidates only."""
        if n <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = gen.manifest.get("index", {"type": "flat"})
        if candidates is None:
            scores, ids = gen.index.search(qv[None, :], n, params=search_parameters(params))
            keep = ids[0] >= 0
            return ids[0][keep], scores[0][keep]
        if len(candidates) > EXACT_SCAN_LIMIT:
            selector = faiss.IDSelectorBatch(candidates)
            search = search_parameters(params, selector, depth=4)
            scores, ids = gen.index.search(qv[None, :], n, params=search)
            keep = ids[0] >= 0
            if keep.sum() >= min(n, len(candidates)) or params.get("type") == "flat":
                return ids[0][keep], scores[0][keep]
        # Few candidates (or an approximate index that found too few of them): score them
        # exactly from the float32 vectors on disk.
        ordered = np.sort(candidates)
        scores = np.empty(len(ordered), dtype=np.float32)
        for start in range(0, len(ordered), EXACT_SCAN_LIMIT):
            chunk = ordered[start : start + EXACT_SCAN_LIMIT]
            scores[start : start + len(chunk)] = np.asarray(gen.embeddings[chunk]) @ qv
        top = np.argsort(-scores, kind="stable")[:n]
        return ordered[top], scores[top]

    def _collapse(self, gen: Generation, ranked: list[tuple[int, float]]) -> list[Hit]:
        """One hit per passage text (a PDF and a text rendition of one communiqué say the
        same), and no two overlapping passages of one document (a long section is split with
        overlap): the better one stands for both."""
        if not ranked:
            return []
        marks = ",".join(str(int(i)) for i, _ in ranked)
        rows = {r["passage_id"]: r for r in gen.query(f"{_LIGHT_SQL} WHERE p.id IN ({marks})")}
        hits: list[Hit] = []
        by_text: dict[str, Hit] = {}
        taken: dict[str, list[tuple[int, int]]] = {}
        for pid, score in ranked:
            row = rows[pid]
            same = by_text.get(row["text_sha"])
            if same is not None:
                if row["source"] not in same.also_in and row["source"] != same.row["source"]:
                    same.also_in.append(row["source"])
                continue
            spans = taken.setdefault(row["document_id"], [])
            if any(row["start"] < e and s < row["end"] for s, e in spans):
                continue
            spans.append((row["start"], row["end"]))
            hit = Hit(pid, score, row)
            by_text[row["text_sha"]] = hit
            hits.append(hit)
        return hits

    def _highlight(self, hit: Hit, qv: np.ndarray | None, words: list[str]) -> None:
        """The sentence (or two adjacent ones) of the passage that best answers: closest to
        the question's vector, with a bonus for the question's words."""
        row = hit.row
        text = row["text"]
        spans = json.loads(row["sentences"])
        if not spans:
            hit.highlight, hit.highlight_start, hit.highlight_end = text, 0, len(text)
            return
        scores = np.zeros(len(spans), dtype=np.float32)
        vectors = np.frombuffer(row["sentence_vectors"], dtype=np.float16)
        if qv is not None and vectors.size == len(spans) * len(qv):
            scores += vectors.reshape(len(spans), -1).astype(np.float32) @ qv
        if words:
            for i, (s, e) in enumerate(spans):
                sentence = text[s:e].lower()
                scores[i] += 0.15 * sum(w in sentence for w in words) / len(words)
        best = int(np.argmax(scores))
        start, end = spans[best]
        # A short best sentence often needs its neighbour to make sense.
        if end - start < 120 and len(spans) > 1:
            neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(spans)]
            other = max(neighbours, key=lambda i: scores[i])
            if scores[other] >= scores[best] - 0.05:
                start, end = min(start, spans[other][0]), max(end, spans[other][1])
        hit.highlight = text[start:end]
        hit.highlight_start, hit.highlight_end = start, end

    # -- documents ----------------------------------------------------------------------

    def documents(self, offset: int = 0, limit: int = 50, filters: dict | None = None) -> dict:
        where, params = parse_filters(filters)
        clause = f"WHERE {where}" if where else ""
        gen = self.generation
        total = gen.query_one(f"SELECT count(*) FROM documents d {clause}", params)[0]
        rows = gen.query(
            f"SELECT * FROM documents d {clause} ORDER BY d.year DESC, d.title LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return {
            "total": total,
            "offset": offset,
            "limit": limit,
            "documents": [{**document_dict(r), "passage_count": r["passage_count"]} for r in rows],
        }

    def document(self, doc_id: str, include_text: bool = False) -> dict:
        row = self.generation.query_one("SELECT * FROM documents WHERE id = ?", (doc_id,))
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}; list them with GET /documents")
        out = {**document_dict(row), "passage_count": row["passage_count"]}
        if include_text:
            out["text"] = row["text"]
        return out

    def health(self) -> dict:
        gen = self.generation
        return {
            "status": "ok",
            "generation": gen.name,
            "model": gen.manifest.get("model"),
            "documents": gen.manifest["counts"].get("documents"),
            "passages": gen.manifest["counts"].get("passages"),
            "created": gen.manifest.get("created"),
        }
