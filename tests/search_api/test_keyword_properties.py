"""Property test: no user text can break or steer the FTS5 query."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_api.keyword import fts_query, terms


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61')")
    db.execute("INSERT INTO t VALUES ('customs valuation and e-commerce in the Pacific')")
    return db


SYNTAX = st.sampled_from(['"', "'", "*", "^", ":", "(", ")", "-", "+", "AND", "OR", "NOT",
                          "NEAR", "NEAR(", "{", "}", "text:", "\\", "’"])  # fmt: skip
TEXT = st.lists(st.one_of(st.text(min_size=1, max_size=8), SYNTAX), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_gives_a_valid_fts5_query_of_quoted_terms(fts: sqlite3.Connection, text: str):
    query = fts_query(text)
    if query is None:
        assert not terms(text)
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,)).fetchall()
    # Every part is a quoted string: operators in user text are searched as words.
    # (A word with another spelling is a group of both: ("licence" OR "license").)
    for part in query.split(" OR "):
        part = part.removeprefix("(").removesuffix(")")
        assert part.startswith('"') and part.endswith('"')
