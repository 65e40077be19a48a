"""The document fields, declared once.

Everything that lists document metadata derives from `FIELDS`: what users may write in
`manifest.csv`, sidecars and uploads; the columns and indexes of the store's `documents`
table; the search filters and facets; the API's response schema and GET parameters; the
widget's line under a result's title. Adding a field is one `Field` here plus a bump of
`indexer.store.FORMAT_VERSION`.

`id` and `source` are not in `FIELDS`: every document has them and the indexer sets them
(`id` is filterable as `document_id`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer import countries


@dataclass(frozen=True)
class Field:
    name: str
    type: type  # int or str
    label: str  # for people: the document page's metadata list
    description: str
    filter: bool = False  # selectable in `filters` and as a GET parameter
    facet: bool = False  # counted by `facets=true`
    sql_index: bool = False  # an index on the column: filters on it are cheap
    required: bool = False  # every document has a value (NOT NULL)
    free_text: bool = False  # values may hold commas (the CLI does not split them)
    # Slot in the widget's line under a result's title ("Speech · 2019 · Tuvalu"): the
    # fields of one slot are alternatives, the first with a value is shown.
    summary: int | None = None
    view: bool = True  # listed on the document page (the title is its heading)
    default: Any = None
    clean: Callable[[Any], Any] | None = None  # checks a user's value; ValueError says why

    def value(self, raw: Any) -> Any:
        """A user's value for this field (None or "" for none), checked and cleaned."""
        if raw is None or raw == "":
            return self.default
        return self.clean(raw) if self.clean else raw

    @property
    def sql_type(self) -> str:
        return "INTEGER" if self.type is int else "TEXT"


def _country(value: Any) -> str:
    """An ISO alpha-3 code, given as the code or the country's name ("Tuvalu")."""
    text = str(value).strip()
    code = countries.code(text)
    if code is None and not re.fullmatch(r"[A-Za-z]{3}", text):
        raise ValueError(f"{value!r} is neither an ISO 3166 alpha-3 code (TUV) nor a country")
    return code or text.upper()


_ISO_DAY = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def iso_day(text: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of an ISO 8601 day, month or year ("1990-08-06", "1990-08",
    "1990"), None when it is not one (or names no real day: "2019-13-45")."""
    match = _ISO_DAY.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return year, month, day


# A day written with its time or with slashes: "2024-07-31T16:00:00+10:00", "2024/07/31".
_STAMP = re.compile(
    r"(\d{4})[-/](\d{2})[-/](\d{2})"
    r"(?:[Tt ]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def day_of(text: str) -> str:
    """The ISO 8601 day a timestamp falls on, as written (a time of day says no more than its
    date); any other text as it is."""
    stamp = _STAMP.fullmatch(text)
    return "-".join(stamp.groups()) if stamp else text


def _date(value: Any) -> str:
    """ISO 8601: a day, month or year, or a range of them ("2024-07-29/2024-07-31")."""
    text = str(value).strip()
    parts = text.split("/")
    days = [iso_day(part) for part in parts]
    if len(parts) > 2 or not all(days):
        raise ValueError(
            f"{value!r} is not an ISO 8601 date such as 2024-07-29, 2024-07, 2024 or "
            "2024-07-29/2024-07-31"
        )
    if len(days) == 2:  # a range ends no earlier than it begins (2024-07 may end 2024-07-31)
        (y0, m0, d0), (y1, m1, d1) = days
        if (y0, m0 or 1, d0 or 1) > (y1, m1 or 12, d1 or 31):
            raise ValueError(f"{value!r} ends before it begins")
    return text


def _whole(value: Any) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise ValueError(f"{value!r} is not a whole number")
    return int(text)


def _codes(value: Any) -> str:
    """ISO alpha-3 codes, given as "IRQ,KWT", "Iraq, Kuwait" or a list, comma-joined."""
    items = value if isinstance(value, list) else str(value).split(",")
    codes = []
    for item in (str(i).strip() for i in items if str(i).strip()):
        code = countries.code(item)
        if code is None:
            raise ValueError(f"{item!r} is neither an ISO 3166 alpha-3 code nor a country")
        codes.append(code)
    return ",".join(codes)


def _year(value: Any) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 4):
        raise ValueError(f"{value!r} is not a year such as 2024")
    return int(text)


FIELDS: tuple[Field, ...] = (
    Field("title", str, "Title", "From the metadata, the HTML title or the first heading",
          required=True, view=False),
    Field("doc_type", str, "Type", "communique, speech, resolution, session_paper, …",
          filter=True, facet=True, sql_index=True, summary=0, default="document"),
    Field("year", int, "Year", "Year of the meeting", filter=True, facet=True,
          sql_index=True, summary=1, clean=_year),
    Field("date", str, "Date", "Date or date range, ISO 8601 (filter with a range: "
          '{"gte": "1990-08-01", "lt": "1990-09-01"})', filter=True, clean=_date),
    Field("symbol", str, "Symbol", "Document symbol as cited: S/RES/242 (1967)", filter=True,
          sql_index=True, summary=2),
    Field("number", int, "Number", "Resolution number", filter=True, sql_index=True,
          clean=_whole),
    Field("organisation", str, "Organisation", "Organisation that held the meeting",
          filter=True, free_text=True, summary=2),
    Field("conference", str, "Conference", "The meeting", filter=True, free_text=True),
    Field("place", str, "Place", "Where it was held", filter=True, free_text=True),
    Field("country", str, "Country code", "ISO 3166 alpha-3 code of the speaker's country",
          filter=True, facet=True, sql_index=True, clean=_country, view=False),
    Field("country_name", str, "Country", "The country's name", summary=2),
    Field("countries", str, "Countries concerned", "ISO 3166 alpha-3 codes of the countries "
          "the document is about, most named first (a resolution: read from its text): "
          "IRQ,KWT; a filter takes codes or names and matches any", filter=True, facet=True,
          clean=_codes),
    Field("language", str, "Language", "ISO 639-1 code", filter=True),
    Field("topic", str, "Topic", "The resolution's topic heading", filter=True,
          free_text=True),
    Field("meeting", int, "Meeting", "Meeting number at which it was adopted", clean=_whole),
    Field("vote", str, "Vote", "unanimous, recorded, without vote, consensus or in parts "
          "(each part voted on, none on the whole)", filter=True,
          facet=True),
    Field("votes_for", int, "Votes for", "Recorded votes in favour", clean=_whole),
    Field("votes_against", int, "Votes against", "Recorded votes against", clean=_whole),
    Field("votes_abstaining", int, "Abstentions", "Recorded abstentions", clean=_whole),
)  # fmt: skip

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
# Filterable fields by their filter name, `document_id` for the document's own id, and
# `cites`: the documents that refer to a resolution ("S/RES/242", "242").
FILTERS: dict[str, type] = {
    **{f.name: f.type for f in FIELDS if f.filter},
    "document_id": str,
    "cites": str,
}
FACETS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.facet)
FREE_TEXT: frozenset[str] = frozenset(f.name for f in FIELDS if f.free_text)
SUMMARY: list[list[str]] = [
    [f.name for f in FIELDS if f.summary == slot]
    for slot in sorted({f.summary for f in FIELDS if f.summary is not None})
]


def column(name: str) -> str:
    """The SQL column of a filter on the documents table `d`."""
    return "d.id" if name == "document_id" else f"d.{name}"


def describe() -> list[dict]:
    """The declaration as JSON (GET /fields, the widget)."""
    return [
        {
            "name": f.name,
            "type": "integer" if f.type is int else "string",
            "description": f.description,
            "filter": f.filter,
            "facet": f.facet,
        }
        for f in FIELDS
    ]
