"""Filters on document metadata, turned into one SQL condition on the documents table `d`.

A filter is {field: value | [values] | {"gte": x, "lte": y, "gt": …, "lt": …}}; the fields
are the filterable ones of indexer.fields. Filters select candidate passages in SQLite
*before* ranking, so a filtered question returns k passages whenever k exist
(post-filtering the top N of a vector search comes back short).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from typing import Any, NamedTuple

import numpy as np

from indexer import countries
from indexer.fields import BY_NAME, FILTERS, column, iso_day
from indexer.store import Generation
from search_api.aliases import canonical
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
        if name == "symbol":
            one = _symbols(col, value)
        elif name == "date":
            one = _date_condition(value)
        elif isinstance(value, dict):
            one = _range(name, kind, col, value)
        else:
            if isinstance(value, list) and not value:
                raise QueryError(f"filter {name!r}: the list of values is empty")
            # a value as given, and as the index stores what people call so ("OCO",
            # "communiqué"): a corpus whose own type is "statement" still finds its own
            given = [_coerce(name, kind, v) for v in _listed(value)]
            values = list(dict.fromkeys([*given, *(canonical(name, v) for v in given)]))
            collate = " COLLATE NOCASE" if kind is str else ""
            marks = ", ".join("?" for _ in values)
            one = Condition(f"{col}{collate} IN ({marks})", values)
        clauses.append(one.sql)
        params.extend(one.params)
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
        if name == "region":  # its countries, as one preference (search_api/regions.py)
            name = "country"
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
    codes = [c for v in _listed(value) for c in _country_codes(_coerce("countries", str, v))]
    if not codes:
        raise QueryError("filter 'countries': the list of values is empty")
    test = "instr(',' || d.countries || ',', ?) > 0"
    return Condition("(" + " OR ".join(test for _ in codes) + ")", [f",{c}," for c in codes])


def _symbols(col: str, value: Any) -> Condition:
    """A symbol as written, or a resolution as people cite it ("S/RES/660 (1990)",
    "S/RES/660(1990)", "S/RES/660", "UNSCR 660", "res 660", "660 (1990)", "660"): that
    resolution, of that year when one is given."""
    values = [_coerce("symbol", str, v) for v in _listed(value)]
    if not values:
        raise QueryError("filter 'symbol': the list of values is empty")
    sql, params = [], []
    for text in values:
        sql.append(f"{col} = ? COLLATE NOCASE")
        params.append(text)
        cited = _SYMBOL.match(text)
        if cited is not None:
            number, year = int(cited.group(1)), cited.group(2)
            sql.append("(d.doc_type = 'resolution' AND d.number = ?"
                       + (" AND d.year = ?)" if year else ")"))  # fmt: skip
            params += [number, *([int(year)] if year else [])]
    return Condition("(" + " OR ".join(sql) + ")", params)


def _country_codes(text: str) -> list[str]:
    """ "Congo" may mean either Congo (countries.EITHER_CONGO), as a question's "the Congo"
    reads; any other name or code one country."""
    either = {name.lower() for name in countries.EITHER_CONGO}
    if text.lower().removeprefix("the ").strip() in either:
        return ["COD", "COG"]
    return [_country_code(text)]


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


# A resolution as a filter value cites it: "S/RES/242 (1967)", "UNSCR 242", "res. 242", "242"
_SYMBOL = re.compile(
    r"^\s*(?:S\s*/\s*RES\s*/\s*|(?:UN)?SCR\s*|(?:resolution|res\.?)\s*(?:no\.?\s*)?)?"
    r"(\d{1,5})(?:\s*\((\d{4})\))?\s*$",
    re.IGNORECASE,
)


def _resolution_number(value: Any) -> int:
    """The resolution a `cites` value names: "S/RES/242", "S/RES/242 (1967)", "242"."""
    match = _SYMBOL.match(str(value)) if isinstance(value, str | int) else None
    if match is None or isinstance(value, bool):
        raise QueryError(f"filter 'cites': {value!r} is not a resolution; write S/RES/242 or 242")
    return int(match.group(1))


def _range_of(name: str, value: dict) -> None:
    unknown = set(value) - set(_RANGE)
    if unknown or not value:
        raise QueryError(
            f"filter {name!r}: a range takes gte, lte, gt or lt, not {sorted(unknown)}"
        )


def _range(name: str, kind: type, col: str, value: dict) -> Condition:
    """`{"gte": x, "lte": y, …}` on a whole-number field; an empty range is a mistake worth
    saying (year_from=2020&year_to=2010 found nothing, silently)."""
    _range_of(name, value)
    if kind is not int:
        raise QueryError(f"filter {name!r} takes a value or a list of values, not a range")
    bounds = {op: _coerce(name, kind, bound) for op, bound in value.items()}
    low = max([bounds.get("gte", -(2**63)), bounds.get("gt", -(2**63) - 1) + 1])
    high = min([bounds.get("lte", 2**63), bounds.get("lt", 2**63 + 1) - 1])
    if low > high:
        raise QueryError(f"filter {name!r}: the range from {low} to {high} holds no value")
    return Condition(" AND ".join(f"{col} {_RANGE[op]} ?" for op in bounds), list(bounds.values()))


def _date_condition(value: Any) -> Condition:
    """A day, month or year ("1990-08-06", "1990-08", "1990"), a list of them, or a range of
    them. A document's `date` is a day or a range ("2024-08-20/2024-08-23"), compared as
    text: a month matches its days, and `lte` a month runs to its last day."""
    if isinstance(value, dict):
        _range_of("date", value)
        spans = {op: _date_span(bound) for op, bound in value.items()}
        # after (gt) or up to (lte) a month or year: from its end, not its first day
        bounds = {op: end if op in ("gt", "lte") else start for op, (start, end) in spans.items()}
        low = max([bounds[op] for op in ("gte", "gt") if op in bounds] or [""])
        high = min([bounds[op] for op in ("lt", "lte") if op in bounds] or ["~"])
        if low >= high:
            raise QueryError(f"filter 'date': the range from {low} to {high} holds no day")
        compare = {"gte": ">=", "gt": ">=", "lt": "<", "lte": "<"}
        sql = " AND ".join(f"d.date {compare[op]} ?" for op in bounds)
        return Condition(sql, list(bounds.values()))
    values = _listed(value)
    if not values:
        raise QueryError("filter 'date': the list of values is empty")
    spans = [_date_span(v) for v in values]
    sql = " OR ".join("(d.date >= ? AND d.date < ?)" for _ in spans)
    return Condition(f"({sql})", [text for span in spans for text in span])


def _date_span(value: Any) -> tuple[str, str]:
    """The text bounds [start, end) of a day, month or year, as documents' dates compare."""
    parts = iso_day(_coerce("date", str, value))
    if parts is None:
        raise QueryError(
            f"filter 'date': {value!r} is not a date such as 1990-08-06, 1990-08 or 1990"
        )
    year, month, day = parts
    if day is not None:
        start = datetime.date(year, month, day)
        return start.isoformat(), (start + datetime.timedelta(days=1)).isoformat()
    if month is not None:
        return f"{year:04d}-{month:02d}", f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return f"{year:04d}", f"{year + 1:04d}"


def _coerce(name: str, kind: type, value: Any) -> int | str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise QueryError(f"filter {name!r}: {value!r} is not a valid value")
    if name == "country" and str(value).strip():  # who spoke: a code, or a name ("Tuvalu")
        try:
            value = BY_NAME["country"].value(value)
        except ValueError as exc:
            raise QueryError(f"filter 'country': {exc}") from None
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
