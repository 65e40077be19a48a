"""Resolutions named in a question: "resolution 242", "res 242", "S/RES/242 (1967)",
"SC res 678", "UNSCR 1454", "SCR 242", "resolution #242", "242 (1967)",
"resolutions 660 to 662", "Security Council resolution 687 (1991)", with a
paragraph: "resolution 678 paragraph 2", "res 687 para 8", "S/RES/660 (1990), para. 2",
"operative paragraph 3 of resolution 338".

The searcher puts the named resolution (that paragraph) first, in every mode.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.metadata import COPY_OF
from indexer.store import Generation
from search_api import wording
from search_api.filters import Condition

# "paragraph 2", "op. para. 3", "paras. 2-3", "paragraphs 2 and 3"
_PARAGRAPH = (
    r"(?:(?:operative|op\.?)\s+)?(?:paragraphs?|paras?\.?|§|op\.?)\s*(?P<{name}>\d{{1,3}})"
    r"(?:\s*(?P<{name}_sep>[-–]|to|and|,)\s*(?P<{name}_end>\d{{1,3}})(?!\s*\())?"
)
_NAMED = re.compile(
    r"(?:(?:" + _PARAGRAPH.format(name="before") + r")\s+of\s+)?"
    r"(?:S\s*/\s*RES\s*/\s*"
    r"|(?:UN)?SCR\s*"
    r"|(?:(?:UN\s*)?(?:SC|Security\s+Council)\s+)?(?:resolution|res\.?)\s*"
    r"(?:(?:no\.?|number|#)\s*)?)"
    r"(?P<number>\d{1,4})(?![\d/])(?!\s*\([IVXL]+\))"  # not the Assembly's 77/276, 1514 (XV)
    r"(?:\s*\((?P<year>(?:19|20)\d\d)\))?"
    r"(?:\s*,?\s*" + _PARAGRAPH.format(name="after") + r")?",
    re.IGNORECASE,
)
_ITEM = r"\d{1,4}(?:\s*\((?:19|20)\d\d\))?"
# "resolutions 660 and 661", "resolutions 731 (1992), 748 (1992) and 883 (1993)"
_LIST = re.compile(
    r"\bresolutions\s+(?P<list>" + _ITEM + r"(?:\s*(?:,|,?\s*and)\s*" + _ITEM + r")+)",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"(?P<number>\d{1,4})(?:\s*\((?P<year>\d{4})\))?")
# "resolutions 660 to 662", "resolutions 660-662": each of them, for a range of a few
_RANGE = re.compile(
    r"\bresolutions\s+(?P<first>\d{1,4})\s*(?:-|–|to|through)\s*(?P<last>\d{1,4})(?![\d/])",
    re.IGNORECASE,
)
RANGE_LIMIT = 20  # "resolutions 1 to 900" names no few resolutions to put first
# "242 (1967)": a number with its year in brackets is a resolution too.
_BARE = re.compile(r"(?<![\w/])(?P<number>\d{1,4})\s*\((?P<year>(?:19|20)\d\d)\)")


@dataclass(frozen=True)
class Reference:
    number: int
    year: int | None
    paragraph: str | None
    start: int  # where it is written in the question
    end: int


def find(question: str) -> list[Reference]:
    """The resolutions `question` names, in order, each once."""
    found: list[Reference] = []
    taken: list[tuple[int, int]] = []
    for ranged in _RANGE.finditer(question):
        first, last = int(ranged.group("first")), int(ranged.group("last"))
        if first < last <= first + RANGE_LIMIT and not 1945 <= first < last <= 2100:  # years
            found += [Reference(n, None, None, *ranged.span()) for n in range(first, last + 1)]
            taken.append(ranged.span())
    for listed in _LIST.finditer(question):
        if any(listed.start() < e and s < listed.end() for s, e in taken):
            continue
        for item in _LIST_ITEM.finditer(listed.group("list")):
            year = int(item.group("year")) if item.group("year") else None
            found.append(Reference(int(item.group("number")), year, None, *listed.span()))
        taken.append(listed.span())
    for pattern in (_NAMED, _BARE):
        for match in pattern.finditer(question):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            paragraph = _paragraphs(match, "before") or _paragraphs(match, "after")
            year = int(match.group("year")) if match.group("year") else None
            found.append(Reference(int(match.group("number")), year, paragraph, *match.span()))
            taken.append(match.span())
    found.sort(key=lambda r: r.start)
    unique: dict[tuple[int, str | None], Reference] = {}
    for reference in found:
        unique.setdefault((reference.number, reference.paragraph), reference)
    return list(unique.values())


def _paragraphs(match: re.Match, name: str) -> str | None:
    """The paragraphs a reference names, as passages write them: "2", "2–3" or "2, 3"."""
    groups = match.groupdict()
    first, last = groups.get(name), groups.get(f"{name}_end")
    if not first or not last:
        return first
    ranged = groups[f"{name}_sep"] in ("-", "–", "to") and int(first) < int(last)
    return f"{first}–{last}" if ranged else f"{first}, {last}"


def remainder(question: str, references: list[Reference]) -> str:
    """The question without the words that name resolutions."""
    return wording.without(question, ((r.start, r.end) for r in references))


# -- putting them first -----------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    passage_id: int
    asked: bool  # holds a paragraph the question names
    order: int  # reading order: the operative paragraphs, then the preamble
    paragraphs: str | None = None  # those it holds: what its citation names
    reference: int = 0  # which of the references found it is of
    symbol: str = ""  # its resolution's


def pins(gen: Generation, found: list[Reference], condition: Condition) -> list[Pin]:
    """The passages of the resolutions `found` names (within the filters); of several, in
    turn (each one's first decision, then each one's second, …), so that "resolutions 660 to
    662" shows all three on the first page."""
    out: list[Pin] = []
    for turn, reference in enumerate(found):
        where = f" AND {condition.sql}" if condition.sql else ""
        rows = gen.query(
            "SELECT p.id, p.document_id, p.section, p.paragraphs, d.symbol FROM passages p "
            "JOIN documents d ON d.id = p.document_id "
            # a second copy of a resolution is not pinned beside the one holding it
            f"WHERE d.number = ? AND json_extract(d.extra, '$.{COPY_OF}') IS NULL{where} "
            "ORDER BY (d.year = ?) DESC, d.id, p.ordinal",
            [reference.number, *condition.params, reference.year or 0],
        )
        wanted = paragraph_numbers(reference.paragraph)
        for place, row in enumerate(reading_order(rows)):
            asked = wanted & paragraph_numbers(row["paragraphs"])
            order = place * len(found) + turn
            out.append(Pin(row["id"], bool(asked), order, paragraphs_text(asked), turn,
                           row["symbol"]))  # fmt: skip
    return out


def named(
    question: str, found: list[Reference], pinned: list[Pin]
) -> tuple[Any, str, tuple[tuple[int, int], ...]]:
    """What the response says was understood of the resolutions named, as (value, words,
    spans): the symbols of those pinned ("S/RES/242 (1967)", with the paragraph asked:
    ", para. 2"; several as a list) and the words that name them."""
    symbols, spans = [], []
    for turn, reference in enumerate(found):
        symbol = next((pin.symbol for pin in pinned if pin.reference == turn), None)
        if symbol is None:
            continue
        symbols.append(symbol + (f", para. {reference.paragraph}" if reference.paragraph else ""))
        if (reference.start, reference.end) not in spans:
            spans.append((reference.start, reference.end))
    words = ", ".join(question[start:end] for start, end in spans)
    return (symbols[0] if len(symbols) == 1 else symbols), words, tuple(spans)


def reading_order(rows: list) -> list:
    """A resolution's passages as a researcher asks for it by name: what it decided (its
    operative paragraphs, in order), then why (its preamble, from its opening). Asked for by
    number alone, people mean the decisions: each bare reference in the three question sets
    written from the documents by different hands names an operative paragraph as its answer,
    and the symbol and date the opening repeats head every result anyway. In document order,
    687 (1991) put ten passages of "Recalling …" before paragraph 1, past the first page."""
    out: list = []
    for _, passages in itertools.groupby(rows, key=lambda row: row["document_id"]):
        passages = list(passages)
        out += [row for row in passages if row["section"] != "Preamble"]
        out += [row for row in passages if row["section"] == "Preamble"]
    return out


def paragraph_numbers(paragraphs: str | None) -> set[str]:
    """ "4–6" → {"4", "5", "6"}; "3, 7" → {"3", "7"}."""
    out: set[str] = set()
    for part in (paragraphs or "").split(","):
        low, _, high = part.strip().partition("–")
        if high and low.isdigit() and high.isdigit():
            out.update(str(n) for n in range(int(low), int(high) + 1))
        elif low:
            out.add(low)
    return out


def paragraphs_text(numbers: set[str]) -> str | None:
    """{"2", "3", "5"} → "2–3, 5": paragraph numbers as a citation writes them."""
    digits = sorted(int(n) for n in numbers if n.isdigit())
    runs: list[list[int]] = []
    for n in digits:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return ", ".join(parts + sorted(n for n in numbers if not n.isdigit())) or None


def pin(
    ids: np.ndarray, scores: np.ndarray, pinned: list[Pin], limit: int, by_rank: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The ranking (ids, scores) with up to `limit` pinned passages first: the asked
    paragraph's, then those the ranking found best (`by_rank`: the question asks more than
    the name), then the rest in reading order."""
    if not pinned:
        return ids, scores
    position = {pid: i for i, pid in enumerate(ids.tolist())} if by_rank else {}
    first = sorted(
        pinned, key=lambda p: (not p.asked, position.get(p.passage_id, len(ids)), p.order)
    )[:limit]
    top = (float(scores[0]) if len(scores) else 0.0) + 1.0
    chosen = np.array([p.passage_id for p in first], dtype=np.int64)
    rest = ~np.isin(ids, chosen)
    head = top + len(first) - np.arange(len(first))
    return np.concatenate([chosen, ids[rest]]), np.concatenate([head, scores[rest]])
