"""Filters on document metadata, turned into one SQL condition on the documents table `d`.

A filter is {field: value | [values] | {"gte": x, "lte": y, "gt": …, "lt": …}}; the fields
are the filterable ones of indexer.fields. Filters select candidate passages in SQLite
*before* ranking, so a filtered question returns k passages whenever k exist
(post-filtering the top N of a vector search comes back short).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np

from indexer import countries
from indexer.fields import FILTERS, column
from indexer.store import Generation
from search_api.query import QueryError
from search_api.rows import LightTable

_RANGE = {"gte": ">=", "lte": "<=", "gt": ">", "lt": "<"}


class Condition(NamedTuple):
    sql: str  # empty: every document
    params: list


def allowed_documents(gen: Generation, condition: Condition) -> np.ndarray | None:
    """The rowids of the documents a condition allows, ascending; None without one (all).
    The documents table is a hundredth of the passages': `allowed_passages` maps these to
    passage ids in memory (rows.Runs) instead of joining the passages in SQL."""
    if not condition.sql:
        return None
    rows = gen.query(f"SELECT d.rowid FROM documents d WHERE {condition.sql}", condition.params)
    return np.sort(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))


def allowed_passages(table: LightTable, condition: Condition) -> np.ndarray | None:
    """The passage ids a condition allows, ascending; None without one (all of them)."""
    documents = allowed_documents(table.gen, condition)
    return None if documents is None else table.passages_of(documents)


def parse_filters(filters: dict | None) -> Condition:
    """The SQL condition of `filters`, or a QueryError naming what is wrong."""
    if not filters:
        return Condition("", [])
    clauses: list[str] = []
    params: list = []
    for name, value in filters.items():
        if name not in FILTERS:
            allowed = ", ".join(sorted(FILTERS))
            raise QueryError(f"unknown filter field {name!r}; filter on one of: {allowed}")
        if name == "cites":
            numbers = [_resolution_number(v) for v in _listed(value)]
            if not numbers:
                raise QueryError("filter 'cites': the list of values is empty")
            marks = ", ".join("?" for _ in numbers)
            clauses.append(f"d.id IN (SELECT document_id FROM citations WHERE number IN ({marks}))")
            params.extend(numbers)
            continue
        if name == "countries":
            about = _any_country(value)
            clauses.append(about.sql)
            params.extend(about.params)
            continue
        kind, col = FILTERS[name], column(name)
        collate = " COLLATE NOCASE" if kind is str else ""
        if isinstance(value, dict):
            unknown = set(value) - set(_RANGE)
            if unknown or not value:
                raise QueryError(
                    f"filter {name!r}: a range takes gte, lte, gt or lt, not {sorted(unknown)}"
                )
            for op, bound in value.items():
                clauses.append(f"{col} {_RANGE[op]} ?")
                params.append(_coerce(name, kind, bound))
        elif isinstance(value, list):
            if not value:
                raise QueryError(f"filter {name!r}: the list of values is empty")
            clauses.append(f"{col}{collate} IN ({', '.join('?' for _ in value)})")
            params.extend(_coerce(name, kind, v) for v in value)
        else:
            clauses.append(f"{col} = ?{collate}")
            params.append(_coerce(name, kind, value))
    return Condition(" AND ".join(clauses), params)


def preferring(
    filters: dict | None, preferred: dict, unknown_matches: Collection[str] = ()
) -> Condition:
    """The filters and every preference together, as one condition. A document that does not
    say a field named in `unknown_matches` (NULL: an upload without that metadata) matches
    that field's preference: not saying is not saying otherwise."""
    condition = parse_filters(filters)
    clauses = [condition.sql] if condition.sql else []
    params = list(condition.params)
    for name, value in preferred.items():
        one = parse_filters({name: value})
        lenient = name in unknown_matches and name != "cites"
        if name == "country":  # the country that spoke, or one the document is about
            about = parse_filters({"countries": value})
            one = Condition(f"({one.sql} OR {about.sql})", one.params + about.params)
        clauses.append(f"({one.sql} OR {column(name)} IS NULL)" if lenient else one.sql)
        params += one.params
    return Condition(" AND ".join(clauses), params)


def _any_country(value: Any) -> Condition:
    """Documents about any of the countries `value` gives, by code or name ("IRQ", "Iraq"):
    `countries` is a comma-joined list of codes, so each must be a whole item of it."""
    codes = [_country_code(_coerce("countries", str, v)) for v in _listed(value)]
    if not codes:
        raise QueryError("filter 'countries': the list of values is empty")
    test = "instr(',' || d.countries || ',', ?) > 0"
    return Condition("(" + " OR ".join(test for _ in codes) + ")", [f",{c}," for c in codes])


def _country_code(text: str) -> str:
    code = countries.code(text)
    if code is None:
        raise QueryError(
            f"filter 'countries': {text!r} is neither an ISO 3166 alpha-3 code (IRQ) nor a "
            "country's name"
        )
    return code


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


_SYMBOL = re.compile(
    r"^\s*(?:S\s*/\s*RES\s*/\s*|(?:resolution|res\.?)\s*)?(\d{1,5})(?:\s*\(\d{4}\))?\s*$",
    re.IGNORECASE,
)


def _resolution_number(value: Any) -> int:
    """The resolution a `cites` value names: "S/RES/242", "S/RES/242 (1967)", "242"."""
    match = _SYMBOL.match(str(value)) if isinstance(value, str | int) else None
    if match is None or isinstance(value, bool):
        raise QueryError(f"filter 'cites': {value!r} is not a resolution; write S/RES/242 or 242")
    return int(match.group(1))


def _coerce(name: str, kind: type, value: Any) -> int | str:
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
