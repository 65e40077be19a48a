"""References from one Security Council resolution to others, found in its text.

"Recalling its resolutions 660 (1990), 661 (1990) … and 677 (1990)", "resolution 418 (1977)",
"its resolution 418", "resolutions 731 (1992) to 748 (1992)": each names resolutions of the
Council, and each is kept with the paragraph it is made in ("preamble", the operative
paragraph's number, or "operative" for an operative clause without a number). A list
after "General Assembly" names the Assembly's resolutions and is left out, as are numbers
after a complete reference (footnote marks: "562 (1985), 86"), a lone bare number after
"resolutions" ("two resolutions 31 adopted": a note mark) or after "this resolution" ("the
date of this resolution 4 programme": OCR's "a"). A reference whose year no resolution of
that number has ("587 (1991)": 587 is of 1986) names none: it is not linked, and `misdated`
says so; the date after it may settle the year ("274 (1959) of 11 December 1969").
Printing slips seen in the collection are read as meant: "512.(1982)", "387 1976)".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from indexer.normalise import NormalisedText
from indexer.resolutions import adopted, opens_operative, years_of

PREAMBLE = "preamble"
OPERATIVE = "operative"  # an operative clause without a number ("Reaffirms its resolution 38")
_TRIGGER = re.compile(r"\bresolutions?\b", re.IGNORECASE)
# The collection's notes after an adoption line: a note mark, then the note ("3 By its
# resolution 47 (1948), the Council decided …", "4 Official Records of …"). A numbered
# paragraph has its point ("3. Requests"), a listed item its brackets ("(1) to investigate").
_NOTE = re.compile(r"\d{1,3}\s+[^\s.)]")
_ASSEMBLY = re.compile(r"General\s+Assembly\s*(?:in\s+its\s+|its\s+)?$", re.IGNORECASE)
_THIS = re.compile(r"\b(?:this|present)\s*$", re.IGNORECASE)  # "this resolution": itself
# One reference: a number and its year in brackets (or a slip of them), or a bare number.
_ITEM = re.compile(
    r"\s*(?P<number>\d{1,4})(?:\s+[A-Z](?=\s*\(\d))?"  # "161 A (1961)": part A of 161
    r"(?:\s*\.?\s*\(?\s*(?P<year>(?:19[4-9]|20[0-4])\d)(?:\s*\))?)?(?![\d/])"
)
# What follows an Assembly resolution's number: its session ("32 (1)", "1514 (XV)",
# "3411 D (XXX)"), or the new style "47/1".
_NOT_COUNCIL = re.compile(r"\s*(?:\(|[A-Z]\s*\(|/)")
# Between two references: a date, "and", commas, "to" for a range.
_DATE = r"(?:\s+of\s+\d{1,2}\s+[A-Z][a-z]+(?:\s+(?P<dated>\d{4}))?)?"
_SEPARATOR = re.compile(
    _DATE + r"\s*(?P<sep>,\s*and(?:\s+in\s+particular,?)?|,|;|\s+and(?:\s+in\s+particular,?)?"
    r"|\s+to|\s+through)\s+"
)
_DATED = re.compile(_DATE)


@dataclass(frozen=True)
class Reference:
    number: int
    year: int | None
    paragraph: str  # "preamble", the operative paragraph's number, or "operative"


def extract(text: NormalisedText, own_number: int | None = None) -> list[Reference]:
    """The resolutions the text refers to, each once per paragraph, in order."""
    return [r for r, fits in _extract(text, own_number) if fits]


def misdated(text: NormalisedText, own_number: int | None = None) -> list[str]:
    """Why `extract` left out the references whose year no resolution of their number has
    (a misprint of the number or of the year: "587 (1991)"), one line each."""
    lines = []
    for reference, fits in _extract(text, own_number):
        if not fits:
            first, last = years_of(reference.number)
            where = {PREAMBLE: "the preamble", OPERATIVE: "the operative part"}.get(
                reference.paragraph, f"paragraph {reference.paragraph}"
            )
            lines.append(
                f"{where} refers to resolution {reference.number} ({reference.year}), but "
                f"resolution {reference.number} is of {first}{'' if last else ' or later'}: "
                "not linked to it"
            )
    return lines


def _extract(text: NormalisedText, own_number: int | None) -> Iterator[tuple[Reference, bool]]:
    """Each reference once per paragraph, in order, with whether its year fits its number."""
    found: set[tuple[int, str, bool]] = set()
    operative = numbered = after_adoption = False
    for i, block in enumerate(text.blocks):
        if after_adoption and _NOTE.match(block.text):
            continue  # an editor's note: 39 (1948)'s names 47 (1948), adopted months later
        after_adoption = after_adoption or adopted(block.text)
        numbered = numbered or block.paragraph is not None
        # the operative part begins at its first numbered paragraph or at the first clause
        # that does something, numbered or not ("Reaffirms its resolution 38 (1948)")
        operative = operative or numbered or (i > 0 and opens_operative(block.text))
        if block.paragraph is not None:
            paragraph = block.paragraph
        elif not operative:
            paragraph = PREAMBLE
        elif not numbered:
            paragraph = OPERATIVE
        else:  # the adoption line and notes after the last paragraph
            continue
        for number, year, fits in _references(block.text):
            if number != own_number and (number, paragraph, fits) not in found:
                found.add((number, paragraph, fits))
                yield Reference(number, year, paragraph), fits


def references(text: str) -> list[tuple[int, int | None]]:
    """(number, year) of every Council resolution a passage of text names."""
    return [(number, year) for number, year, fits in _references(text) if fits]


def _references(text: str) -> Iterator[tuple[int, int | None, bool]]:
    """(number, year, whether a resolution of that number has that year) of every Council
    resolution a passage names."""
    flat = " ".join(text.split())
    for trigger in _TRIGGER.finditer(flat):
        before = flat[max(0, trigger.start() - 40) : trigger.start()]
        if _ASSEMBLY.search(before) or _THIS.search(before):
            continue
        items = _list_after(flat, trigger.end())
        if trigger.group().lower() == "resolutions" and len(items) == 1 and items[0][1] is None:
            continue  # "two resolutions 31 adopted": a lone number after the plural is a mark
        yield from items


def _fitting_year(number: int, *years: int | None) -> tuple[int | None, bool]:
    """The first of `years` resolution `number` may be of, or (the first given, False)."""
    first, last = years_of(number)
    given = [y for y in years if y is not None]
    for year in given:
        if first <= year and (last is None or year <= last):
            return year, True
    return (given[0], False) if given else (None, True)


def _list_after(flat: str, position: int) -> list[tuple[int, int | None, bool]]:
    """The references listed from `position`: the first may be bare ("resolution 418"),
    the others need their year."""
    items: list[tuple[int, int | None, bool]] = []
    ranged = False
    while True:
        item = _ITEM.match(flat, position)
        if item is None:
            break
        number = int(item.group("number"))
        printed = int(item.group("year")) if item.group("year") else None
        separator = _SEPARATOR.match(flat, item.end())
        if printed is None and (_NOT_COUNCIL.match(flat, item.end()) or (items and not (
            separator and _ITEM.match(flat, separator.end())  # "511 and 517 (1982)"
        ))):  # fmt: skip
            break  # an Assembly resolution, or a footnote mark after a reference
        dated = _DATED.match(flat, item.end()).group("dated")
        year, fits = _fitting_year(number, printed, int(dated) if dated else None)
        if ranged and items and items[-1][0] < number <= items[-1][0] + 200:
            items.extend((n, None, True) for n in range(items[-1][0] + 1, number))
        items.append((number, year, fits))
        if separator is None:
            break
        ranged = separator.group("sep").strip() in ("to", "through")
        position = separator.end()
    return items
