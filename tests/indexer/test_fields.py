"""The document fields are declared once (indexer/fields.py): every list of them derives
from that declaration."""

from __future__ import annotations

import sqlite3

import pytest

from indexer import fields
from indexer.fields import FIELDS, FILTERS, NAMES
from indexer.metadata import MetadataError, derive
from indexer.normalise import normalise
from indexer.store import SCHEMA
from search_api.schemas import DocumentOut, SearchRequest


def test_the_store_has_a_column_and_the_declared_indexes_for_every_field():
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    columns = {row[1]: row for row in db.execute("PRAGMA table_info(documents)")}
    indexes = {row[1] for row in db.execute("PRAGMA index_list(documents)")}

    for field in FIELDS:
        assert columns[field.name][2] == field.sql_type
        assert bool(columns[field.name][3]) == (field.required or field.default is not None)
        assert (f"documents_{field.name}" in indexes) == field.sql_index


def test_the_response_schema_lists_every_field():
    properties = DocumentOut.model_json_schema()["properties"]

    assert set(properties) == {"id", *NAMES, "source"}
    assert properties["year"]["anyOf"][0]["type"] == "integer"


def test_the_request_schema_names_every_filter():
    description = SearchRequest.model_json_schema()["properties"]["filters"]["description"]

    for name in FILTERS:
        assert name in description


def test_filters_are_the_filterable_fields_the_document_id_and_citations():
    assert set(FILTERS) == {f.name for f in FIELDS if f.filter} | {"document_id", "cites"}
    assert tuple(f.name for f in FIELDS if f.facet) == fields.FACETS


def test_derive_fills_every_field_and_cleans_values_by_their_declaration():
    document = derive({"country": "tuv", "year": " 2019 "}, "a.txt", normalise(["Text."]))

    assert set(document.values) == set(NAMES)
    assert document.country == "TUV" and document.year == 2019
    assert document.doc_type == "document"  # the declared default
    with pytest.raises(MetadataError, match="year"):
        derive({"year": "MMXIX"}, "a.txt", normalise(["Text."]))


def test_summary_slots_hold_alternatives_in_declaration_order():
    assert fields.SUMMARY == [["doc_type"], ["year"], ["symbol", "organisation", "country_name"]]


@pytest.mark.parametrize(
    ("date", "valid"),
    [("2024-07-29/2024-07-31", True), ("2024-07/2024-07-31", True), ("2024/2024", True),
     ("2023-05-01/2023-04-01", False), ("2024-08/2024-07-31", False), ("2025/2024", False)],
)  # fmt: skip
def test_a_date_range_must_not_end_before_it_begins(date: str, valid: bool):
    field = fields.BY_NAME["date"]
    if valid:
        assert field.value(date) == date
    else:
        with pytest.raises(ValueError, match="ends before it begins"):
            field.value(date)
