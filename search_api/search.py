"""The searcher: a question in, typed results out.

`Searcher.search` is a pipeline: check the query against the limits, turn filters into SQL,
run the dense leg (search_api/dense.py) and the keyword leg (search_api/keyword.py), fuse
them (search_api/fusion.py), collapse duplicates and group (search_api/ranking.py), deepen
when a page is not full yet, then read the page's passages whole and mark the sentence that
answers (search_api/highlight.py).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder
from indexer.folding import folded
from indexer.store import Generation
from search_api import catalogue, clauses, ranking, references, typos, understanding, wording
from search_api.dense import DenseLeg, as_float32, sentence_scores
from search_api.filters import Condition, allowed_passages, parse_filters
from search_api.fusion import reciprocal_rank
from search_api.highlight import best_span, paragraph_span
from search_api.keyword import KeywordLeg, terms
from search_api.metrics import record, stage, timed_search
from search_api.preferences import Preferences
from search_api.query import Query, QueryError, QueryLimits
from search_api.query_embedding import QueryEmbedder
from search_api.ranking import Candidate
from search_api.results import DocumentInfo, Group, Hit, SearchResult, YearGroup
from search_api.rows import LightTable, read_full
from search_api.watcher import GenerationWatcher

PINNED_PER_QUESTION = 3  # passages of a named resolution put first when more is asked
# How much a passage gains for its document matching what the question's words say (the
# share of understood fields it matches, times this), on the fused score's scale: a top
# rank in one leg is worth 1/6. Chosen on the dev questions (docs/evaluation.md).
PREFERENCE_BOOST = 0.1
# The readings that select documents by what they are, of which "the latest" is the newest
_OF_DOCUMENTS = ("country", "region", "organisation", "doc_type", "conference")
PREFERENCE_LEG_WEIGHT = 0.5  # weight of the legs re-run within the preferences (0: off)
# The preference legs' keyword round asks the rest of the question anew when their passages
# lie within this many rowids (one document's are one range): FTS5 reads only that range.
# Beyond (a year's speeches among a million passages) a new query reads whole posting lists,
# so the round selects from the open round's kept scores instead.
REST_SPAN = 50_000
# The keyword leg's weight in the fusion for a question matched clause by clause: a
# description in other words shares few of the passage's words, and the clauses' dense leg
# ranks it better (docs/evaluation.md: chosen on dev).
CLAUSE_KEYWORD_WEIGHT = 0.5
# A symbol or number typed alone ("77/276", "A/RES/77/276"): the model embeds it near any
# resolution of a like number, so the dense leg only orders what the keyword leg leaves.
CODE_DENSE_WEIGHT = 0.01


@dataclass
class _Legs:
    """One question's retrieval: its filter's candidates, keyword expressions, vector."""

    gen: Generation
    condition: Condition
    candidates: np.ndarray | None
    matches: list[str]
    first_keyword: list[int] | None  # the keyword leg's first round, run while embedding
    qv: np.ndarray | None
    pinned: list[references.Pin]  # passages of the resolutions the question names
    pin_limit: int
    by_rank: bool  # the question asks more than names: pinned passages by their rank
    preferred: dict  # understood from the words: {field: value} documents should match
    # the passages the filters and every preference (as filters) allow; None: no strict round
    strict_candidates: np.ndarray | None = None
    first_strict_keyword: list[int] | None = None  # the keyword leg's first round within it
    strict_matches: list = field(default_factory=list)  # its queries there: the words not read
    strict_scores: dict | None = None  # their kept scores: None when scored within it alone
    keyword_scores: dict = field(default_factory=dict)  # each keyword query's, for its rounds
    clauses: np.ndarray | None = None  # the vectors of a long question's clauses (clauses.py)
    code: bool = False  # only a symbol or number ("77/276"): the keyword leg's to rank


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
        limits: QueryLimits | None = None,
        clause_matching: str = "pooled",
    ) -> None:
        # depth, rrf_k and sentence_weight were chosen on eval/questions.jsonl
        # (docs/evaluation.md): each leg brings `depth` candidates; a small RRF k lets the
        # top of each leg count; the dense score mixes passage and best-sentence similarity.
        self.embedder = embedder
        self.watcher = GenerationWatcher(
            index_dir, embedder.name, embedder.dimension, reload_check_seconds
        )
        self.queries = QueryEmbedder(embedder)
        self.dense = DenseLeg(sentence_weight)
        self.keyword = KeywordLeg()
        self.limits = limits or QueryLimits()
        self.depth = depth
        self.rrf_k = rrf_k
        self.preference_boost = PREFERENCE_BOOST
        self.preference_leg_weight = PREFERENCE_LEG_WEIGHT
        self.clause_matching = clause_matching  # pooled, separate or off (settings.py)
        self._readers: dict[Path, understanding.Reader] = {}
        self._preferences_of: dict[Path, Preferences] = {}
        self._tables: dict[Path, LightTable] = {}
        self._tables_lock = threading.Lock()

    @property
    def generation(self) -> Generation:
        return self.watcher.current()

    def refresh(self) -> str:
        """Look for a newly published generation now; the name of the one served."""
        return self.watcher.refresh()

    def warm_up(self) -> None:
        """Load the model, import what the dense leg re-scores with (torch, imported late so
        that `confsearch index` never pays for it) and read the served generation's light
        table now, not at the first question."""
        self.queries.embed("warm up")
        as_float32(np.zeros((1, 1), dtype=np.float16))
        self._light(self.generation)

    def close(self) -> None:
        self.queries.close()
        self.watcher.close()

    @timed_search  # each stage's time (search_api/metrics.py)
    def search(self, query: Query) -> SearchResult:
        """Passages answering `query.text`, best first (search_api/query.py says how)."""
        query = typed = self.limits.check(query)
        spelling = self.spelling(query)
        if spelling is not None:  # searched as it should be; the response keeps the words typed
            query = replace(query, text=typos.apply(query.text, spelling[1]))
        words = terms(query.text)
        named = [] if "resolution" in query.ignore else references.find(query.text)
        if query.mode == "keyword" and not words and not named:
            raise QueryError("the query has no word to search for; try mode=semantic")
        legs, understood = self._start(query, words, named)
        if legs.pinned:
            value, text, spans = references.named(query.text, named, legs.pinned)
            understood = [*understood, understanding.Reading("resolution", value, text, spans)]
        if spelling is not None:
            understood = [*understood, spelling[0]]
        counted, units = self._rank(legs, query)
        page = units[query.offset : query.wanted]
        facets = ranking.facets(counted) if query.facets else None
        result = SearchResult(typed, [], facets=facets, understood=understood)
        if query.group_by == "year":
            hits = self._read(legs, [c for _, _, unit in page for c in unit], words)
            result.years = [YearGroup(year, count, [hits[c.passage_id] for c in unit])
                            for year, count, unit in page]  # fmt: skip
            result.hits = [h for y in result.years for h in y.hits]
        elif query.group_by:
            hits = self._read(legs, [c for unit in page for c in unit], words)
            result.groups = [
                Group(hits[unit[0].passage_id].document, [hits[c.passage_id] for c in unit])
                for unit in page
            ]
            result.hits = [h for g in result.groups for h in g.hits]
        else:
            hits = self._read(legs, page, words)
            result.hits = [hits[c.passage_id] for c in page]
        return result

    def spelling(
        self, query: Query
    ) -> tuple[understanding.Reading, list[tuple[int, int, str]]] | None:
        """The words of the question typed wrong (search_api/typos.py), as read and as
        corrections, but those the reader takes for a name misspelt ("Tuvalau"); None when
        there is none, or when the words are to be searched as typed."""
        if not query.understand or "spelling" in query.ignore:
            return None
        gen = self.generation
        counts = partial(self.keyword.passages_holding, gen)
        fixes = typos.corrections(query.text, counts)
        if not fixes:
            return None
        reader = self._reader(gen)
        if any(reader.close_to_a_name(query.text[s:e].lower()) for s, e, _ in fixes):
            names = [span for r in reader.read(query.text, (),
                     partial(self.keyword.words_of_their_own, gen)).readings if r.read_as
                     for span in r.spans]  # fmt: skip
            fixes = [(s, e, w) for s, e, w in fixes if not any(a < e and s < b for a, b in names)]
        if not fixes:
            return None
        reading = understanding.Reading(
            "spelling",
            ", ".join(w for _, _, w in fixes),
            ", ".join(query.text[s:e] for s, e, _ in fixes),
            tuple((s, e) for s, e, _ in fixes),
            ", ".join(w for _, _, w in fixes),
        )
        return reading, fixes

    def _reader(self, gen: Generation) -> understanding.Reader:
        reader = self._readers.get(gen.path)
        if reader is None:
            self._readers = {gen.path: understanding.Reader(understanding.vocabulary(gen))}
            reader = self._readers[gen.path]
        return reader

    def _understand(
        self, gen: Generation, query: Query, named: list[references.Reference]
    ) -> list[understanding.Reading]:
        """What the question's words say of years, countries, organisations and document
        types, less what explicit filters or `ignore` already decide."""
        if not query.understand:
            return []
        reader = self._reader(gen)
        decided = {*(query.filters or {}), *query.ignore}
        if "year" in (query.filters or {}):
            decided.add("date")  # a month of another year than the one filtered on

        def kept(reading: understanding.Reading) -> bool:
            if reading.value == understanding.LATEST:  # of the years a filter allows
                return reading.field not in query.ignore and not named  # "660 latest": 1990
            return reading.field not in decided

        # a word the index lacks may be a name misspelt ("Tuvalau")
        known = partial(self.keyword.words_of_their_own, gen)
        readings = [r for r in reader.read(query.text, named, known).readings if kept(r)]
        dated = [self._dated(gen, r, readings, query) for r in readings]
        return [r for r in dated if r.value is not None]

    def _dated(
        self, gen: Generation, reading: understanding.Reading, readings: list, query: Query
    ) -> understanding.Reading:
        """A reading of "the latest" as the newest year of the documents the other readings
        and the filters select ("Tuvalu's latest speech": Tuvalu's newest), said as read:
        `{"value": 2024, "text": "latest", "read_as": "2024"}`; any other reading as read."""
        if reading.field != "year" or reading.value != understanding.LATEST:
            return reading
        others = {r.field: r.value for r in readings if r.field in _OF_DOCUMENTS}
        year = self._preferences(gen).newest_year(others, query.filters)
        return replace(reading, value=year, read_as=None if year is None else str(year))

    def _start(
        self, query: Query, words: list[str], named: list[references.Reference]
    ) -> tuple[_Legs, list[understanding.Reading]]:
        """Everything each leg needs, and what needs no question vector: the keyword leg's
        first round, what the words say and both legs' candidates within it. The model
        thread embeds the question meanwhile: a lone question waits for the longer of the
        two, not their sum. A question that only names resolutions gets them whole first,
        in reading order (references.reading_order); one that asks more of them, their
        three best passages. A question in several clauses, none of its words read as a year,
        country or the like, gets each clause's vector too: pooled from its own forward pass,
        or embedded in the same batch."""
        condition = parse_filters(query.filters)
        gen = self.generation
        pending: Future | None = None
        parts: list[Future] = []
        pooled = False
        content, spans = "", []
        if query.mode != "keyword":
            content = wording.content(folded(query.text))  # "ﬁsheries" means fisheries
            spans = clauses.spans(content) if self.clause_matching != "off" else []
            if not spans:  # its vector alone, whatever its words say: asked for at once
                pending = self.queries.submit(content)
        understood = self._understand(gen, query, named)
        if query.mode != "keyword" and pending is None:
            # What the words say ranks the questions that name a country or a year (the
            # preference legs); clauses are for descriptions (docs/evaluation.md).
            # A region ("a Gulf emirate") is how a description names no country: it keeps them.
            spans = [] if any(r.field != "region" for r in understood) else spans
            pooled = bool(spans) and self.clause_matching == "pooled"
            if pooled:
                pending = self.queries.submit_pooled(content, spans)
            else:
                clause_texts = [content[start:end] for start, end in spans]
                pending, *parts = self.queries.submit_all([content, *clause_texts])
        only_names = not terms(references.remainder(query.text, named))
        legs = _Legs(gen, condition, None, [], None, None, [], 0, not only_names, {})
        with stage("filter"):
            legs.candidates = allowed_passages(self._light(gen), condition)
        depth = self._depth_for(self._bounds(query)[0], self.depth)
        if words and query.mode != "semantic":
            with stage("keyword"):
                legs.matches = self.keyword.queries(gen, query.text)
                if legs.matches:
                    legs.first_keyword = self.keyword.search(
                        gen, legs.matches, depth, legs.candidates, legs.keyword_scores
                    )
        legs.preferred = {r.field: r.value for r in understood}
        legs.code = not understood and wording.is_code(query.text)
        kept: dict = {}  # the preferences the strict condition holds
        if legs.preferred and self.preference_leg_weight > 0:
            with stage("filter"):
                strict = self._strict(gen, condition, legs.preferred)
            if strict is not None:
                kept, legs.strict_candidates = strict
        if legs.strict_candidates is not None and legs.matches:
            with stage("keyword"):
                # Within the documents the readings select, "Tonga" or "78th session" select
                # nothing more: there the rest of the question ranks (docs/evaluation.md).
                rest = []
                if _narrow(legs.strict_candidates):
                    # the words of a reading let go ("Security Council seats") stay: a topic
                    held = [r for r in understood if r.field in kept]
                    rest = self.keyword.queries(gen, understanding.remainder(query.text, held))
                legs.strict_matches = rest or legs.matches
                legs.strict_scores = None if rest else legs.keyword_scores
                legs.first_strict_keyword = self.keyword.search(
                    gen, legs.strict_matches, depth, legs.strict_candidates, legs.strict_scores
                )
        legs.pinned = references.pins(gen, named, condition) if named else []
        legs.pin_limit = len(legs.pinned) if only_names else PINNED_PER_QUESTION
        if pending is not None:
            with stage("embedding"):  # what is left to wait for the question's vector
                legs.qv = pending.result()
                if pooled:  # the question's vector, then its clauses'
                    legs.qv, legs.clauses = legs.qv[0], legs.qv[1:]
                elif parts:
                    legs.clauses = np.vstack([part.result() for part in parts])
            record("model", pending.model_seconds)  # the forward pass, overlapped or not
        return legs, understood

    def _light(self, gen: Generation) -> LightTable:
        """The generation's light table, read once (older generations' let go)."""
        table = self._tables.get(gen.path)
        if table is None:
            with self._tables_lock:
                table = self._tables.get(gen.path)
                if table is None:
                    table = LightTable(gen)
                    # the one before stays for the questions still answered from it
                    self._tables = {**dict(list(self._tables.items())[-1:]), gen.path: table}
        return table

    def _bounds(self, query: Query) -> list[int]:
        """How deep each round ranks: the first `depth` candidates a leg rank the first
        (depth - 10) / 2 results, four times as many the next ones, and so on to the page
        asked for. Each position is ranked by the round its bound falls in, whatever page
        is asked for, so that pages join up: no result twice, none skipped, while the first
        page pays for a shallow pool only. What is counted (facets, documents per year) is
        the first round's, so that counts do not follow k or the page either."""
        bounds = [max(1, (self.depth - 10) // 2)]
        if query.group_by != "year":  # every year of one round's pool: no deeper round
            while bounds[-1] < query.wanted:
                bounds.append(4 * bounds[-1] + 15)
        return bounds

    @staticmethod
    def _depth_for(bound: int, depth: int) -> int:
        return max(depth, 2 * bound + 10)

    def _rank(self, legs: _Legs, query: Query) -> tuple[list[Candidate], list]:
        """The candidates counted (the first round's fused, collapsed pool) and the units of
        the ranking down to the page (candidates, or groups of them), each position ranked
        by the round of its bound (`_bounds`)."""
        counted: list[Candidate] | None = None
        units: list = []
        placed: set = set()
        for bound in self._bounds(query):
            pool, found = self._round(legs, query, self._depth_for(bound, self.depth), bound)
            counted = pool if counted is None else counted
            if query.group_by == "year":
                return counted, found
            for unit in found:
                if len(units) >= bound:
                    break
                key = unit[0].document_id if query.group_by else unit.passage_id
                if key not in placed:
                    placed.add(key)
                    units.append(unit)
        return counted, units

    def _round(
        self, legs: _Legs, query: Query, depth: int, wanted: int
    ) -> tuple[list[Candidate], list]:
        """One round: the candidates counted and the first `wanted` units at least, each leg
        bringing `depth` candidates, four times more while too few units come out and a leg
        has more to give."""
        counted: list[Candidate] | None = None
        while True:
            ranked = self._legs(legs, depth, legs.candidates, legs.matches, legs.first_keyword,
                                legs.keyword_scores)  # fmt: skip
            legs.first_keyword = None
            weights = [1.0] * len(ranked)
            if legs.clauses is not None and len(ranked) == 2:  # dense, keyword
                weights[1] = CLAUSE_KEYWORD_WEIGHT
            if legs.code and legs.qv is not None and len(ranked) == 2 and len(ranked[1]):
                # what the model makes of digits only follows what the words match
                weights[0] = CODE_DENSE_WEIGHT
            if legs.strict_candidates is not None:
                # The legs again, among the documents that match every preference: a
                # matching document's passages come into the pool even when the open legs
                # rank them too low to reach it.
                strict = legs.strict_candidates
                ranked += self._legs(legs, depth, strict, legs.strict_matches,
                                     legs.first_strict_keyword, legs.strict_scores)  # fmt: skip
                legs.first_strict_keyword = None
                weights += [self.preference_leg_weight] * (len(ranked) - len(weights))
            with stage("fusion"):
                ids, scores = reciprocal_rank(ranked, weights, k=self.rrf_k)
                ids, scores = references.pin(ids, scores, legs.pinned, legs.pin_limit,
                                             legs.by_rank)  # fmt: skip
                table = self._light(legs.gen)
                if legs.preferred:
                    ids, scores = ranking.prefer(table, self._preferences(legs.gen), ids,
                                                 scores, legs.preferred,
                                                 self.preference_boost)  # fmt: skip
                # the whole pool where facets or groups read it; else down to the page
                limit = None if query.facets or query.group_by else wanted
                candidates = ranking.collapse(table, ids, scores, limit)
            counted = candidates if counted is None else counted
            if query.group_by == "year":  # every year of one round's pool: no deepening
                year = legs.preferred.get("year")
                asked = self._preferences(legs.gen).documents("year", year) if year else None
                return counted, ranking.by_year(candidates, query.per_document, query.order,
                                                asked)  # fmt: skip
            units = ranking.group(candidates, query.per_document) if query.group_by else candidates
            if len(units) >= wanted or all(len(ids) < depth for ids in ranked):
                return counted, units
            depth *= 4

    def _strict(
        self, gen: Generation, filters: Condition, preferred: dict
    ) -> tuple[dict, np.ndarray] | None:
        """The preferences kept and the passages that match them all and the filters; when
        no document matches all of them, the organisation and document type read (the
        readings most often wrong: "Security Council seats" in a speech) are let go, then
        all."""
        firm = {k: v for k, v in preferred.items() if k in ("year", "date", "country")}
        for reading in (preferred, firm):
            if not reading:
                continue
            documents = self._preferences(gen).matching_all(reading, filters)
            if len(documents):
                return reading, self._light(gen).passages_of(documents)
        return None

    def _preferences(self, gen: Generation) -> Preferences:
        """The generation's documents of each reading, as read (older generations' let go)."""
        preferences = self._preferences_of.get(gen.path)
        if preferences is None:
            preferences = Preferences(gen)
            self._preferences_of = {gen.path: preferences}
        return preferences

    def _legs(
        self,
        legs: _Legs,
        depth: int,
        allowed: np.ndarray | None,
        matches: list,
        keyword: list[int] | None,
        scored: dict | None,
    ) -> list[list[int]]:
        """Each leg's `depth` best passage ids among the passages `allowed` (None: all);
        `matches`: the keyword leg's queries; `keyword`: its ids when already found;
        `scored`: their scores over the whole index, kept for the next round (None: scored
        within `allowed` alone)."""
        out = []
        if legs.qv is not None:
            with stage("dense"):
                out.append(self.dense.search(legs.gen, legs.qv, depth, allowed, legs.clauses))
        if matches:
            if keyword is None:
                with stage("keyword"):
                    keyword = self.keyword.search(legs.gen, matches, depth, allowed, scored)
            out.append(keyword)
        return out

    @stage("read")
    def _read(self, legs: _Legs, shown: list[Candidate], words: list[str]) -> dict[int, Hit]:
        """The shown candidates as hits: read whole, with their similarity to the question
        and the sentence that answers best."""
        ids = [c.passage_id for c in shown]
        rows = read_full(legs.gen, ids)
        similarities: list = [None] * len(ids)
        per_sentence: list = [None] * len(ids)
        if legs.qv is not None and ids:
            similarities = self.dense.similarities(legs.gen, legs.qv, ids)
            # every shown passage's sentences in one product, not one per passage
            scores, counts = sentence_scores(legs.gen, np.asarray(ids), legs.qv)
            per_sentence = np.split(scores, np.cumsum(counts)[:-1])
        asked = {p.passage_id: p.paragraphs for p in legs.pinned if p.asked}
        # a question that only names resolutions: their passages' highlight is what they decided
        named = {p.passage_id for p in legs.pinned} if not legs.by_rank else set()
        hits = {}
        for c, sentences, similarity in zip(shown, per_sentence, similarities, strict=True):
            pid = c.passage_id
            hits[pid] = _hit(c, rows[pid], sentences, similarity, words, asked.get(pid),
                             pid in named)  # fmt: skip
        return hits

    # -- documents and health -----------------------------------------------------------

    def documents(
        self, filters: dict | None = None, offset: int = 0, limit: int = 50, sort: str = "-year"
    ) -> catalogue.DocumentPage:
        condition = parse_filters(filters)
        return catalogue.list_documents(self.generation, condition, offset, limit, sort)

    def document(self, doc_id: str, include_text: bool = False) -> DocumentInfo:
        return catalogue.get_document(self.generation, doc_id, include_text)

    def lineage(
        self, doc_id: str, direction: str = "cited_by", depth: int = 2, limit: int = 200
    ) -> catalogue.Lineage:
        return catalogue.lineage(self.generation, doc_id, direction, depth, limit)

    def health(self) -> dict:
        gen = self.generation
        counts = gen.manifest["counts"]
        return {
            "status": "ok",
            "generation": gen.name,
            "model": gen.manifest.get("model"),
            "query_precision": getattr(self.embedder, "precision", None),
            "documents": counts.get("documents"),
            "passages": counts.get("passages"),
            "created": gen.manifest.get("created"),
        }


def _narrow(passages: np.ndarray | None) -> bool:
    """Whether the sorted passage ids lie within REST_SPAN rowids."""
    return passages is not None and len(passages) > 0 and passages[-1] - passages[0] < REST_SPAN


def _hit(
    candidate: Candidate,
    row,
    sentences: np.ndarray | None,
    similarity: float | None,
    words: list[str],
    asked: str | None = None,
    named: bool = False,
) -> Hit:
    """`sentences`: each of the passage's sentences' similarity to the question (or None);
    `asked`: the paragraphs of it the question names; `named`: the question only names its
    resolution."""
    spans = [tuple(span) for span in json.loads(row["sentences"])]
    numbered = [n for n in references.paragraph_numbers(asked) if n.isdigit()]
    first_asked = min(numbered, key=int, default=None)
    opening = paragraph_span(row["text"], spans, first_asked) if named else None
    start, end = opening or best_span(row["text"], spans, sentences, words)
    return Hit(
        passage_id=candidate.passage_id,
        ordinal=row["ordinal"],
        score=candidate.score,
        text=row["text"],
        section=row["section"],
        page=row["page"],
        page_end=row["page_end"],
        start=row["start"],
        end=row["end"],
        document=DocumentInfo.from_row(row, prefix="doc_"),
        highlight_start=start,
        highlight_end=end,
        similarity=similarity,
        also_in=candidate.also_in,
        paragraphs=row["paragraphs"],
        asked=asked,
    )
