"""What a caller asks: the question, how many results, filters, mode and layout, checked
against the server's limits before anything runs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

from indexer.folding import folded

MODES = ("hybrid", "semantic", "keyword")
# What a question's words can say (search_api/understanding.py; the resolutions it names,
# search_api/references.py), each of which `ignore` sets aside.
UnderstoodField = Literal[
    "year",
    "date",
    "conference",
    "country",
    "region",
    "organisation",
    "doc_type",
    "resolution",
    "spelling",
]
UNDERSTOOD: tuple[str, ...] = get_args(UnderstoodField)
# Those a document's own fields match (a named resolution is put first instead; a word typed
# wrong is searched as it should be: search_api/typos.py; a region is its countries)
PREFERRED: tuple[str, ...] = tuple(
    f for f in UNDERSTOOD if f not in ("resolution", "spelling", "region")
)
GROUP_BY = ("document", "year")


class QueryError(ValueError):
    """A question or filter the searcher cannot run; the message says how to fix it."""


@dataclass(frozen=True)
class Query:
    text: str
    k: int = 10
    filters: dict | None = None
    offset: int = 0
    mode: str = "hybrid"  # hybrid: dense and keyword legs fused; or one leg alone
    group_by: str | None = None  # "document": k documents, each with its best passages;
    # "year": k years, each with its matching documents counted and its best passages
    per_document: int = 3  # passages of each group
    order: str = "desc"  # years newest first (desc) or oldest first (asc)
    facets: bool = False  # count matching documents by the facet fields
    understand: bool = True  # read years, countries, … in the text as preferences
    ignore: tuple[str, ...] = ()  # understood fields to leave out (a removed chip)

    @property
    def wanted(self) -> int:
        """Results (or groups) up to the end of the requested page."""
        return self.offset + self.k


@dataclass(frozen=True)
class QueryLimits:
    """The server's limits on a query (Settings: CONFSEARCH_MAX_K, …)."""

    max_k: int = 50
    max_offset: int = 1000
    max_per_document: int = 10
    max_query_chars: int = 1000

    def check(self, query: Query) -> Query:
        """The query with its text's whitespace collapsed, or a QueryError saying what is
        wrong."""
        text = check_text(query.text, self.max_query_chars)
        _within("k", query.k, 1, self.max_k)
        _within("offset", query.offset, 0, self.max_offset)
        _within("per_document", query.per_document, 1, self.max_per_document)
        if query.mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}, not {query.mode!r}")
        if query.group_by is not None and query.group_by not in GROUP_BY:
            raise QueryError(f"group_by must be 'document' or 'year', not {query.group_by!r}")
        if query.order not in ("desc", "asc"):
            raise QueryError(f"order must be desc or asc, not {query.order!r}")
        unknown = set(query.ignore) - set(UNDERSTOOD)
        if unknown:
            raise QueryError(
                f"ignore takes {', '.join(UNDERSTOOD)}, not {', '.join(sorted(unknown))}"
            )
        return replace(query, text=text)


def _within(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueryError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"))


def check_text(text: str, max_chars: int | None = None) -> str:
    """The question with its whitespace collapsed and its full-width letters folded
    (`indexer.folding`: "ＴＵＶ ２０１９" is read as TUV and 2019, and searched so), or a
    QueryError saying what is wrong."""
    text = " ".join(text.split())
    if not text.translate(_INVISIBLE).strip():  # zero-width spaces, joiners, a BOM: nothing typed
        raise QueryError("the query is empty: type a question or some words")
    if max_chars is not None and len(text) > max_chars:
        raise QueryError(f"the query is longer than {max_chars} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the query is not valid text (unpaired surrogate)") from None
    return folded(text)
