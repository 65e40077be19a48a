"""The keyword leg: user text never becomes FTS5 syntax."""

from __future__ import annotations

import sqlite3

import pytest

from search_api.keyword import fts_query, terms

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
