"""The keyword leg: user text never becomes FTS5 syntax."""

from __future__ import annotations

import itertools
import shutil
import sqlite3

import numpy as np
import pytest

from indexer import postings, store
from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from search_api import keyword
from search_api.filters import allowed_passages, parse_filters
from search_api.keyword import fts_queries, fts_query, fts_tokens, terms
from search_api.rows import LightTable, Runs
from tests.conftest import CORPUS, copy_corpus

HOSTILE = [
    "e-commerce",
    'say "hello',
    "Tuvalu's climate",
    "AND OR NOT",
    "fish NEAR(sea, 2)",
    "title: customs",
    "custom*",
    "HS 2022",
    "^start",
    "(unbalanced",
    "a - b + c",
    "{col1 col2}: x",
    '"""',
    "NEAR",
    "' OR 1=1 --",
]


@pytest.fixture
def fts() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, section, text, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    rows = [
        ("Communique", "Session Four", "the growth of e-commerce and its impact"),
        ("Speech", None, "Tuvalu's climate is changing; fish and sea"),
        ("Speech", None, "implementation of the HS 2022 amendments"),
        ("Speech", None, "AND OR NOT are words here: customs title"),
    ]
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return db


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_query_text_never_raises_in_fts5(fts: sqlite3.Connection, text: str):
    query = fts_query(text)
    if query is not None:
        fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()


def test_hyphenated_word_matches_as_a_phrase(fts: sqlite3.Connection):
    rows = fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query("e-commerce"),))
    assert [r[0] for r in rows] == [1]


def test_operators_are_searched_as_words_not_obeyed(fts: sqlite3.Connection):
    # "NOT" must not exclude anything: as a word it is a stopword and dropped, the rest
    # matches literally.
    rows = fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query("customs NOT fish"),))
    assert {r[0] for r in rows} == {2, 4}


def test_column_filter_syntax_is_plain_text(fts: sqlite3.Connection):
    rows = fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query("title: customs"),))
    assert {r[0] for r in rows} == {4}


def test_digits_and_codes_are_kept():
    assert terms("HS 2022 amendments") == ["hs", "2022", "amendments"]
    assert '"hs 2022"' in fts_query("HS 2022")


def test_question_words_alone_give_no_query():
    assert fts_query("what did they say about it?") is None
    assert terms("What was said on e-commerce?") == ["e-commerce"]


# -- the cut to the rarest words at scale ----------------------------------------------------

# The expressions of the whole question, as fts_query wrote them before the cut existed.
WHOLE = {
    "MDA intelligence tools maritime security": (
        '"mda" OR "intelligence" OR "tools" OR "maritime" OR "security" OR '
        '"intelligence tools" OR "maritime security" OR "mda intelligence" OR "tools maritime"'
    ),
    "What happened when a storm hit in the middle of the pandemic?": (
        '"happened" OR "storm" OR "hit" OR "middle" OR "pandemic" OR "storm hit"'
    ),
    "How did Fiji describe e-commerce and the HS 2022 amendments?": (
        '"fiji" OR "describe" OR "e-commerce" OR "hs" OR "2022" OR "amendments" OR '
        '"2022 amendments" OR "describe e-commerce" OR "fiji describe" OR "hs 2022"'
    ),
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """An index in the store's schema: "pacific" in 301 passages, "tuna" and "licence" in
    120 each (20 of them together), "Falepili Union Treaty" in one."""
    db = sqlite3.connect(":memory:")
    db.executescript(store.SCHEMA)
    rows = [f"the pacific ocean and its islands, part {i}" for i in range(300)]
    rows += [f"tuna catch report {i}" for i in range(100)]
    rows += [f"fishing licence fees {i}" for i in range(100)]
    rows += [f"tuna licence terms {i}" for i in range(20)]
    rows += ["the Falepili Union Treaty signed for the pacific"]
    db.executemany(
        "INSERT INTO passages_fts (rowid, title, section, text) VALUES (?, '', '', ?)",
        enumerate(rows),
    )
    postings.write_keyword_index(db, tmp_path_factory.mktemp("postings"), len(rows))
    return db


def expressions(*args, **kwargs) -> list[str]:
    return [match.expression for match in fts_queries(*args, **kwargs)]


def counts_in(db: sqlite3.Connection):
    def doc_counts(tokens) -> dict[str, int]:
        marks = ",".join("?" for _ in tokens)
        sql = f"SELECT term, docs FROM passages_vocab WHERE term IN ({marks})"
        return dict(db.execute(sql, list(tokens)).fetchall())

    return doc_counts


def ranked(db: sqlite3.Connection, match: str) -> list[int]:
    rows = db.execute(
        "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? "
        "ORDER BY bm25(passages_fts, 0.3, 1.0, 1.0)",
        (match,),
    )
    return [r[0] for r in rows]


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "POSTING_BUDGET", 100)
    monkeypatch.setattr(keyword, "CORE_BUDGET", 50)


def test_tokens_are_the_index_tokens(collection: sqlite3.Connection):
    assert fts_tokens(["Fisheries", "e-commerce", "Naïve", "___"]) == {
        "Fisheries": ("fisheri",),
        "e-commerce": ("e", "commerc"),
        "Naïve": ("naiv",),
        "___": (),
    }
    assert counts_in(collection)(fts_tokens(["islands"])["islands"]) == {"island": 300}


def test_over_budget_the_common_word_is_left_out_and_the_rare_one_ranks_first(
    collection: sqlite3.Connection, small_budget: None
):
    matches = expressions("Pacific Falepili", counts_in(collection), passages=521)

    assert matches == ['"falepili"']  # neither "pacific" nor the phrase "pacific falepili"
    assert ranked(collection, matches[0])[0] == 520
    assert ranked(collection, fts_query("Pacific Falepili"))[0] == 520  # as the whole question


def test_phrases_are_kept_when_both_words_are(collection: sqlite3.Connection, small_budget: None):
    matches = expressions("Falepili Union Treaty Pacific", counts_in(collection), passages=521)

    assert matches == ['"falepili" OR "union" OR "treaty" OR "falepili union" OR "union treaty"']


def test_phrases_are_words_side_by_side_in_the_question():
    # "minister fiji" cannot be a phrase of the passage: "of" stands between them in any text
    # that says it the same way; searching it cost a positions scan and ranked by accident
    assert fts_query("the Prime Minister of Fiji on sea level rise") == (
        '"prime" OR "minister" OR "fiji" OR "sea" OR "level" OR "rise" OR '
        '"level rise" OR "prime minister" OR "sea level"'
    )


def test_when_every_word_is_common_the_rarest_are_required_together(
    collection: sqlite3.Connection, small_budget: None
):
    # 120 passages each, more than the core budget of 50: both words are required, and
    # only the 20 passages holding both are scored; then, should they be too few, "tuna".
    matches = expressions("tuna licence", counts_in(collection), passages=521)

    assert matches == ['"tuna" AND ("licence" OR "license")', '"tuna"']
    assert sorted(ranked(collection, matches[0])) == list(range(500, 520))


def test_under_budget_the_whole_question_is_searched(collection: sqlite3.Connection):
    assert expressions("Pacific Falepili", counts_in(collection), passages=521) == [
        fts_query("Pacific Falepili")
    ]

    def everywhere(tokens) -> dict[str, int]:  # nearly every passage, but fewer than the budget
        return {t: 5_400 for t in tokens}

    for question, whole in WHOLE.items():
        assert fts_query(question) == whole
        assert expressions(question, everywhere, passages=5_472) == [whole]


@pytest.fixture(scope="module")
def filtered_index(tmp_path_factory: pytest.TempPathFactory) -> store.Generation:
    """Forty speeches (Tuvalu's and Fiji's) and seven resolutions, six of them of 1990."""
    speeches = sorted(p.name for p in (CORPUS / "ungdc-pacific").glob("[FT][JU][IV]_*.txt"))
    corpus = copy_corpus(tmp_path_factory.mktemp("filtered") / "corpus", speeches, pdf=False)
    (corpus / "unsc-resolutions").mkdir()
    for number in ("0242_1967", "0660_1990", "0661_1990", "0662_1990", "0664_1990",
                   "0665_1990", "0678_1990"):  # fmt: skip
        name = f"S_RES_{number}_EN_GOLD.txt"
        shutil.copy(CORPUS / "unsc-resolutions" / name, corpus / "unsc-resolutions" / name)
    build(corpus, corpus.parent / "index", FakeEmbedder())
    gen = store.Generation.open_current(corpus.parent / "index")
    yield gen
    gen.close()


def _fts5(gen: store.Generation, matches, n: int, condition) -> list[tuple[int, float]]:
    """The search as FTS5 alone ranks it: each whole query in one statement, joined to the
    documents for the filter (what the posting arrays replace)."""
    found: dict[int, float] = {}
    for match in matches:
        sql = (
            f"SELECT f.rowid, -{keyword.KeywordLeg.RANK} FROM passages_fts f"
            " JOIN passages p ON p.id = f.rowid JOIN documents d ON d.id = p.document_id"
            f" WHERE passages_fts MATCH ? AND {condition.sql or '1'}"
            f" ORDER BY {keyword.KeywordLeg.RANK}, f.rowid LIMIT ?"
        )
        for rowid, score in gen.query(sql, [match.expression, *condition.params, n]):
            found.setdefault(rowid, score)
        if len(found) >= n:
            break
    return list(found.items())[:n]


QUESTIONS = (
    "climate change and rising seas",
    "Iraq invasion of Kuwait sanctions",
    "fisheries",
    "the security council",
    "e-commerce and the organisation's programme",  # a split word, spelling variants
    "Tuvalu Tuvalu sea-level rise rise",  # repeated words
    "the United Nations Charter, Article 41",
    "e-commerce platforms and sea-level rise",  # phrases of three tokens: FTS5 scores them
    "Security Council Security Council",  # the same phrase twice counts twice, as in FTS5
)


@pytest.mark.parametrize(
    "filters",
    [
        None,
        {"country": "TUV", "year": 2019},  # one speech
        {"country": ["FJI", "TUV"], "year": 2019},
        {"number": [660, 661, 678]},
        {"doc_type": "resolution", "year": 1990},
        {"country": "FJI"},
        {"country": "TUV", "year": 1800},  # nothing
        {"cites": "S/RES/660", "year": {"gte": 1990}},
    ],
)
def test_the_posting_arrays_rank_as_fts5_with_its_scores(
    filtered_index: store.Generation, filters: dict | None
):
    gen = filtered_index
    leg, condition = keyword.KeywordLeg(), parse_filters(filters)
    allowed = allowed_passages(LightTable(gen), condition)
    found = 0
    for question in QUESTIONS:
        matches = leg.queries(gen, question)
        expected = _fts5(gen, matches, 1000, condition)
        scored: dict = {}
        leg.search(gen, matches, 10, None, scored)  # the open round keeps its scores
        for n in (5, 100, 1000):
            ranked = [rowid for rowid, _ in expected[:n]]
            assert leg.search(gen, matches, n, allowed) == ranked
            assert leg.search(gen, matches, n, allowed, scored) == ranked  # from the kept ones
        if matches:
            rows, scores = leg.scores(gen, matches[0], allowed)
            by_fts5 = dict(_fts5(gen, matches[:1], 10**6, condition))
            assert rows.tolist() == sorted(by_fts5)
            assert scores == pytest.approx([by_fts5[r] for r in rows.tolist()], rel=1e-12)
        found += len(expected)
    assert (found == 0) is (filters is not None and filters.get("year") == 1800)


@pytest.mark.parametrize(
    "filters",
    [
        {"country": ["FJI", "TUV"], "year": 2019},
        {"doc_type": "resolution"},
        {"number": [678, 242, 9999]},
        {"country": "TUV", "year": 1800},  # nothing
        {"cites": "S/RES/660"},
    ],
)
def test_a_filter_selects_the_passages_a_join_in_sqlite_selects(
    filtered_index: store.Generation, filters: dict
):
    # The searcher maps the documents a filter selects to their passages in memory.
    gen, condition = filtered_index, parse_filters(filters)
    joined = gen.query(
        "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
        f" WHERE {condition.sql} ORDER BY p.id",
        condition.params,
    )
    allowed = allowed_passages(LightTable(gen), condition)
    assert allowed.tolist() == [r[0] for r in joined]
    assert (len(allowed) == 0) is (filters.get("year") == 1800)


def test_a_documents_passages_are_found_even_when_not_written_together():
    # passage id → document rowid: document 5 in two runs, 9 alone, 7 in one run
    runs = Runs.of(np.array([5, 5, 7, 7, 5, 9, 5], dtype=np.int64))
    assert runs.passages(np.array([5])).tolist() == [0, 1, 4, 6]
    assert runs.passages(np.array([9, 7, 5])).tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert runs.passages(np.array([7, 3, 11])).tolist() == [2, 3]  # 3 and 11 hold none
    assert runs.passages(np.array([], dtype=np.int64)).tolist() == []
    assert Runs.of(np.array([], dtype=np.int64)).passages(np.array([1])).tolist() == []


def test_words_required_together_are_scored_as_fts5_scores_them(
    filtered_index: store.Generation, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(keyword, "POSTING_BUDGET", 0)
    monkeypatch.setattr(keyword, "CORE_BUDGET", 0)
    gen, leg = filtered_index, keyword.KeywordLeg()
    for question, filters in [("Kuwait Iraq", None), ("climate organisation", {"country": "TUV"}),
                              ("e-commerce sea", None), ("Kuwait fisheries", None)]:  # fmt: skip
        condition = parse_filters(filters)
        matches = leg.queries(gen, question)
        assert matches[0].every
        expected = _fts5(gen, matches, 50, condition)
        assert leg.search(gen, matches, 50, allowed_passages(LightTable(gen), condition)) == [
            rowid for rowid, _ in expected
        ]


def test_a_generations_words_are_looked_up_once_and_score_as_before(
    filtered_index: store.Generation, monkeypatch: pytest.MonkeyPatch
):
    gen, leg = filtered_index, keyword.KeywordLeg()
    asked: list[str] = []
    lookup = keyword._read_spans
    monkeypatch.setattr(
        keyword, "_read_spans", lambda g, tokens: asked.extend(tokens) or lookup(g, tokens)
    )
    first = leg.search(gen, leg.queries(gen, "Kuwait fisheries zzyzx"), 20)
    looked_up = sorted(asked)
    assert "zzyzx" in looked_up  # a word no passage holds is remembered too
    asked.clear()
    again = leg.search(gen, leg.queries(gen, "fisheries of Kuwait"), 20)
    assert asked == []  # every token known from the first question
    assert first == keyword.KeywordLeg().search(gen, leg.queries(gen, "Kuwait fisheries zzyzx"), 20)
    assert again == keyword.KeywordLeg().search(gen, leg.queries(gen, "fisheries of Kuwait"), 20)


def test_the_pair_arrays_hold_the_passages_fts5_finds_a_phrase_in(
    filtered_index: store.Generation,
):
    """Every two words side by side in some passages (and a few pairs in no text): the
    passages holding them so are those FTS5 matches the phrase in, across the title, section
    and text, never across a column's or a passage's end."""
    gen, leg = filtered_index, keyword.KeywordLeg()
    texts = [r[0] for r in gen.query("SELECT text FROM passages ORDER BY id LIMIT 40")]
    titles = [r[0] for r in gen.query("SELECT title FROM documents LIMIT 5")]
    words = [w for text in texts + titles for w in keyword._TERM.findall(text)]
    phrases = {f"{a} {b}" for a, b in itertools.pairwise(words)}
    phrases |= {"council tuna", "zzyzx security"}
    checked = 0
    for phrase in sorted(phrases):
        tokens = fts_tokens([phrase])[phrase]
        if len(tokens) != 2:
            continue
        spans = leg._spans(gen, tokens)
        pair = keyword._pair(gen, tokens, spans)
        found = gen.postings.holding(pair[0]).tolist() if pair else []
        rows = gen.query("SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rowid",
                         [keyword._quote(phrase)])  # fmt: skip
        assert found == [r[0] for r in rows], phrase
        checked += 1
    assert checked > 1000
