"""Which documents match what a question's words say (search_api/understanding.py).

A reading ("Tuvalu", "in 2019", "resolutions") is a preference: a passage gains for the share
of the question's readings its document matches, and the strict round searches within the
documents that match them all. Both need, for each reading, the documents that match it:
`filters.preferring`'s condition of that one reading (the country that spoke or one a
document is about; a document that does not say its year, organisation or type matches
those), read once by SQL and remembered for the generation. Readings recur from question to
question (a country, a year), and one set serves the boost and the strict round alike: the
boost is then a membership test per reading, not a row of metadata compared per document.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from indexer.postings import member
from indexer.store import Generation
from search_api.filters import Condition, allowed_documents, preferring

# Fields a document may simply not state (an upload without metadata, a speech's day): a
# preference on them does not demote such a document. A document without a country is
# different: communiqués and resolutions are not a country's words, so they do not match one.
UNKNOWN_MATCHES = frozenset({"organisation", "doc_type", "year", "date", "conference"})


class Preferences:
    """The documents matching each reading of one generation, as read (at most REMEMBERED
    readings: a year or a country's documents are a few row ids each)."""

    REMEMBERED = 4096

    def __init__(self, gen: Generation) -> None:
        self.gen = gen
        self._documents: dict[tuple, np.ndarray] = {}
        self._newest: dict[tuple, int | None] = {}  # "the latest" of each set of readings
        self._lock = threading.Lock()

    def documents(self, name: str, value: object) -> np.ndarray:
        """The rowids of the documents that match one reading, ascending."""
        key = (name, _frozen(value))
        found = self._documents.get(key)
        if found is None:
            condition = preferring(None, {name: value}, UNKNOWN_MATCHES)
            found = allowed_documents(self.gen, condition)
            with self._lock:
                if len(self._documents) >= self.REMEMBERED:
                    self._documents = {}
                self._documents[key] = found
        return found

    def shares(self, documents: np.ndarray, preferred: dict) -> np.ndarray:
        """The share of the readings `preferred` that each of `documents` (rowids) matches,
        0 to 1."""
        hits = np.zeros(len(documents))
        for name, value in preferred.items():
            hits += member(documents, self.documents(name, value))
        return hits / max(len(preferred), 1)

    def newest_year(self, preferred: dict, filters: dict | None) -> int | None:
        """The newest year of the documents that match every reading and the filters (of
        all documents when none does): what "the latest" of them means."""
        key = (_frozen(preferred), _frozen(filters or {}))
        if key not in self._newest:
            year = None
            for reading in (preferred, {}):
                condition = preferring(filters, reading, UNKNOWN_MATCHES)
                where = f"WHERE {condition.sql}" if condition.sql else ""
                row = self.gen.query(f"SELECT max(d.year) FROM documents d {where}",
                                     condition.params)  # fmt: skip
                year = row[0][0] if row else None
                if year is not None:
                    break
            with self._lock:
                if len(self._newest) >= self.REMEMBERED:
                    self._newest = {}
                self._newest[key] = year
        return self._newest[key]

    def matching_all(self, preferred: dict, filters: Condition) -> np.ndarray:
        """The rowids of the documents that match every reading and the filters, ascending."""
        sets = [self.documents(name, value) for name, value in preferred.items()]
        allowed = allowed_documents(self.gen, filters)
        if allowed is not None:
            sets.append(allowed)
        # sorted sets: bisection keeps what the others hold, in order (intersect1d sorts)
        return functools.reduce(lambda kept, other: kept[member(kept, other)], sets)


def _frozen(value: Any) -> Any:
    """A reading's value as a dictionary key: a list (two countries) as a tuple, a range as
    its sorted items."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value
