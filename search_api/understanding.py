"""Questions as people type them: the years (and months: "the August 1990 resolution"),
conferences by their number ("the 24th OCO conference"), countries, organisations and
document types a question names, read from its words.

"what did Tuvalu say about climate change in 2019" names a country (Tuvalu) and a year (in
2019); officials do not fill in filter fields. What is read becomes a *preference*: passages
of documents that match rank higher, nothing is excluded, so a wrong reading ("Cook" the
person, a year that is a topic) costs a place or two, never the answer. Only values the index
holds are read, by any of their names (indexer/countries.py: "Cook Islands" once the index
holds a document of the Cook Islands, never in the shipped corpus; a year it holds documents
of), the longest name first, whether the index holds it or not ("Papua New Guinea", "American
Samoa": never the Guinea or the Samoa inside), and numbers are years only in a year's range
and form ("200 people" is no year) and outside a name ("the 2030 Agenda").
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rapidfuzz.distance import DamerauLevenshtein

from indexer import countries
from search_api import regions, wording
from search_api.aliases import DOC_TYPE_WORDS, ORGANISATION_ALIASES
from search_api.references import Reference

_YEARS = r"19[4-9]\d|20[0-4]\d"
_YEAR = rf"({_YEARS})"
_AFTER = r"(?!\w|,\d)"  # "in 2019, Tuvalu", never "1990,000" or "1990s"
_SINGLE = re.compile(rf"(?<![\d,./])\b(?:(in|at|during|of)\s+(?:the\s+)?)?{_YEAR}\b{_AFTER}",
                     re.IGNORECASE)  # fmt: skip

# "the latest communiqué", "Tuvalu's most recent speech", "the last conference": the newest
# year of the documents the rest of the question reads ("at the latest" is a deadline).
LATEST = "latest"
_NOUNS = (
    r"\s+(?:communiqu|speech|statement|address|resolution|conference|session|meeting|"
    r"general\s+debate|general\s+assembly|unga\b|remarks|report)"
)
_RECORDS = rf"(?:{_NOUNS}|\s+(?:one|on|about)\b|\W*$)"
_LATEST = re.compile(
    # "latest" of a record ("the latest speech", "the latest on e-commerce", "Kiribati
    # latest"), not of an event ("the latest armed invasion", "the newest member")
    rf"(?<!\bat\s)(?<!\bat\sthe\s)(?<!\bvery\s)\b(?:latest|most[\s-]+recent|newest)\b"
    rf"(?=(?:\s+[\w'’-]+(?!\w)){{0,2}}?{_RECORDS})"
    # "the last conference", "Tuvalu's last speech", "at the last UNGA" (not "the last three
    # speeches", "the last remaining colonies")
    rf"|(?:\bthe\s+|(?<=\w['’]s\s))last(?!\s+(?:\d+|two|three|four|five|six|seven|eight|nine|ten|"
    rf"few|several|couple|decades?|years?|months?)\b)(?=(?:\s+[\w'’-]+(?!\w))?{_NOUNS})",
    re.IGNORECASE,
)
# A year as people shorten it: "UNGA '19", "the ‘94 resolutions", a fiscal year "FY2019",
# "FY19" (never "'90s": a decade, read as one).
_SHORT_YEAR = re.compile(
    rf"(?<![\w'‘’])['‘’](?P<short>\d\d)(?![\w'‘’])|\bFY\s?-?(?P<fy>{_YEARS}|\d\d)\b",
)
# A year or a decade, a span of years: "2019", "the 1990s", "1990's", "the early 1960s",
# "mid-90s", "the '90s", "the nineties", "the nineteen-nineties". A decade in two digits or in
# words is of the 1900s and needs "the" or early/mid/late before it ("in their 20s" is an
# age); `_term` reads one.
_DECADE_WORDS = {"forties": 40, "fifties": 50, "sixties": 60, "seventies": 70, "eighties": 80,
                 "nineties": 90}  # fmt: skip
_TERM_PARTS = re.compile(
    r"(?P<the>the\s+)?(?:(?P<part>early|mid|late)[-\s]*)?"
    r"(?:(?P<decade>19[4-9]0|20[0-4]0)['’]?s|['‘’]?(?P<short>[4-9]0)['’]?s"
    rf"|(?P<nineteen>nineteen[-\s]*)?(?P<word>{'|'.join(_DECADE_WORDS)})|(?P<year>{_YEARS})"
    r"|['‘’](?P<yy>\d\d)(?![\d'‘’]|s\b))",  # "'15 to '19"
    re.IGNORECASE,
)
_TERM = re.sub(r"\(\?P<\w+>", "(?:", _TERM_PARTS.pattern)  # the same, to match inside others
_PARTS = {"early": (0, 3), "mid": (4, 6), "late": (7, 9), None: (0, 9)}
# "2015–2019", "2015–19", "from 2020 to 2010", "between 2019 and 2015", "from the 1980s to the
# 1990s": "and" joins a range after "between" or between decades ("in 2019 and 2021" is two
# years, as "2019 or 2021" is).
_RANGE = re.compile(
    rf"(?:\b|(?=['‘’]\d))(?:(?P<between>between)\s+|from\s+)?(?P<a>{_TERM})(?:\s*(?P<dash>[–—/-])\s*|"
    rf"\s+(?P<word>to|until|till|through|and)\s+)(?P<b>{_TERM}|\d\d(?![–—-]\d)){_AFTER}",
    re.IGNORECASE,
)
_OPEN = re.compile(
    rf"\b(?P<word>since|after|from|before|until|till|prior\s+to)\s+(?P<a>{_TERM}){_AFTER}",
    re.IGNORECASE,
)
_BOUNDS = {"since": "gte", "from": "gte", "after": "gt", "before": "lt", "prior to": "lt",
           "until": "lte", "till": "lte"}  # fmt: skip
# what every year, decade or session holds ("the seventy-fourth session": no digit)
_TIMELY = re.compile(r"\d|ties\b|ieth|(?:st|nd|rd|th)\s+(?:session|General|UNGA)", re.IGNORECASE)
_DECADE = re.compile(rf"(?<![\d,./])\b(?:(?:in|at|during|of)\s+)?(?P<a>{_TERM}){_AFTER}",
                     re.IGNORECASE)  # fmt: skip
# "the 74th session", "the 75th General Assembly", "the seventy-fourth session", "UNGA74",
# "74th UNGA": the General Assembly's Nth regular session opened in 1945 + N. In words, of
# the twentieth on ("the first session" of anything else is no 1946).
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
          "seventh": 7, "eighth": 8, "ninth": 9}  # fmt: skip
_ORDINAL_WORDS = (
    rf"(?P<tens>{'|'.join(_TENS)})[-\s]?(?P<units>{'|'.join(_UNITS)})"
    rf"|(?P<tenth>{'|'.join(t[:-1] for t in _TENS)})ieth"
)
_SESSION = re.compile(
    rf"\b(?:(?P<n>\d{{1,2}})(?:st|nd|rd|th)|{_ORDINAL_WORDS})\s+"
    r"(?:(?:UN\s+)?General\s+Assembly\s+)?(?:session|(?:UN\s+)?General\s+Assembly|UNGA)\b"
    r"|\bUNGA\s*-?\s*(?P<after>\d{2})\b",
    re.IGNORECASE,
)

# "August 1990", "6 Aug. 1990", "August 6, 1990": a month (or day) of a year. "may" is a
# month only when written May, before a year ("the May 2019 meeting", not "it may, in 2019").
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]  # fmt: skip
_MONTH_NAMES = "|".join(
    [*(m for m in _MONTHS if m != "may"), *(m[:3] + r"\." for m in _MONTHS if m != "may"),
     r"sept\.", *(m[:3] for m in _MONTHS if m != "may"), "sept"]
)  # fmt: skip
_ORDINAL = r"(?i:st|nd|rd|th)?"
# "6 August 1990", "the 2nd of August 1990", "August 2nd, 1990", "Aug. 1990"
_DATE = re.compile(
    rf"\b(?:(\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+)?((?i:{_MONTH_NAMES})|May)"
    rf"(?:\s+(\d{{1,2}}){_ORDINAL},?)?\s+{_YEAR}\b{_AFTER}"
)
# "1990-08-02", as typed from a record; never "2008-09" (a span of years, or a season)
_ISO_DATE = re.compile(rf"(?<![\d/.-])\b{_YEAR}-(\d\d)-(\d\d)\b(?![\d-])")

# "the 24th conference", "the 26th OCO annual conference": a meeting by its number, read
# against the names of the conferences the index holds ("26th OCO Annual Conference").
_NUMBERED = re.compile(
    r"\b(\d{1,3})(?:st|nd|rd|th)\s+(?:[A-Z]{2,}\s+)?(?:annual\s+)?(?:conference|meeting)\b",
    re.IGNORECASE,
)


@dataclass
class Reading:
    """One thing understood: the field, its value, the words it came from."""

    field: str
    value: Any
    text: str
    spans: tuple[tuple[int, int], ...] = ()  # where in the question the words are
    read_as: str | None = None  # the words as read, when misspelt ("Tuvalu" for "Tuvalau")


@dataclass
class Understood:
    readings: list[Reading] = field(default_factory=list)

    def preferences(self) -> dict[str, Any]:
        return {r.field: r.value for r in self.readings}

    def __bool__(self) -> bool:
        return bool(self.readings)


@dataclass(frozen=True)
class Vocabulary:
    """What the index holds: ISO codes, organisations and document types present."""

    countries: frozenset[str]  # of the countries whose documents (speeches, papers) it holds
    organisations: frozenset[str]
    doc_types: frozenset[str]
    conferences: frozenset[str] = frozenset()
    about: frozenset[str] = frozenset()  # countries only documents are about (resolutions')
    years: frozenset[int] | None = None  # of its documents; None: not known, any is read


# Of (word typed, a name's word close to it or None) pairs, the words typed that the index
# holds as words of their own, not only as the name's stem ("Kiribaty", "Marshal"); the others
# are the name misspelt.
Known = Callable[[list[tuple[str, str | None]]], set[str]]
# Words many names share say nothing of which country a misspelling of them means.
_SHARED = frozenset(
    {"islands", "island", "states", "united", "republic", "kingdom", "federated", "democratic",
     "people", "peoples", "south", "north", "east", "west", "central", "saint", "arab", "new",
     "great"}
)  # fmt: skip


class Reader:
    """Reads questions against one index's vocabulary (built once per generation)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._years = None if vocabulary.years is None else sorted(vocabulary.years)
        every = {**countries.aliases(), **countries.PLACES}
        names: dict[str, str | tuple[str, ...] | None] = {
            name: code
            for name, code in every.items()
            # A code as typed ("TUV") names a member; "MDA" in a question is maritime
            # domain awareness, not Moldova, whom documents are only about ("USA" is
            # what people call the United States, not only its code).
            if code in vocabulary.countries
            or (code in vocabulary.about and (name != code or name in countries.ANY_CASE))
        }
        # "the Congo" may be either Congo: both are read, of those the index holds.
        congos = tuple(c for c in ("COD", "COG") if c in vocabulary.countries | vocabulary.about)
        for name in countries.EITHER_CONGO:
            names.pop(name, None)
            if congos:
                names[name] = congos if len(congos) > 1 else congos[0]
        # The longest name wins even when the index holds no document of its place: "American
        # Samoa" is matched whole and reads nothing, never Samoa. Only the names that hold a
        # name read are needed for that (a few dozen of the ~800).
        held = _alternation(names, before=countries.ARTICLE)
        names |= {
            name: None
            for name in every.keys() - names.keys()
            if held is not None and _names(name, held, "country", []) is not None
        }
        self._names = _alternation(names, before=countries.ARTICLE, any_case=countries.ANY_CASE)
        self._organisations = _alternation(
            {
                a: name
                for name, names in ORGANISATION_ALIASES.items()
                if name in vocabulary.organisations
                for a in names
            }
        )
        self._doc_types = _alternation(
            {
                w: kind
                for kind, words in DOC_TYPE_WORDS.items()
                if kind in vocabulary.doc_types
                for w in words
            }
        )
        self._fields = (("country", self._names), ("organisation", self._organisations),
                        ("doc_type", self._doc_types))  # fmt: skip
        # "a Gulf emirate", "a South American country": the countries of a region the index
        # holds (search_api/regions.py), read after the names ("South African" is a country)
        areas = regions.held(vocabulary.countries | vocabulary.about)
        hyphened = {name.replace(" ", "-"): codes for name, codes in areas.items() if " " in name}
        self._regions = _alternation({**areas, **hyphened})  # "Middle-Eastern" too
        # every word of a name ("Solomon", "Dominican", "Republic") is no misspelling
        every_name = [*every, *itertools.chain(*ORGANISATION_ALIASES.values()),
                      *itertools.chain(*DOC_TYPE_WORDS.values()), *regions.REGIONS]  # fmt: skip
        self._name_words = frozenset(
            word for name in every_name for word in _LETTERS.findall(name.lower())
        )
        # the words of the names that read something, as a misspelling may be read, by their
        # first letter (a misspelling keeps it)
        self._spellings: dict[str, list[str]] = {}
        for word in sorted(
            {
                word
                for _, found in self._fields
                if found is not None
                for alias, (value, _) in found.values.items()
                if value is not None
                for word in _LETTERS.findall(alias)
                if len(word) >= _MISSPELT and word not in _SHARED
            }
        ):
            self._spellings.setdefault(word[0], []).append(word)

    def read(
        self, question: str, references: list[Reference] = (), known: Known | None = None
    ) -> Understood:
        """What `question` names. With `known`, a word the index lacks that is a name
        misspelt ("Tuvalau", "Soloman Islands", "Secuirty Council") is read as the name."""
        taken = [(r.start, r.end) for r in references]  # "242 (1967)" is the resolution's
        readings = []
        if _TIMELY.search(question):  # most questions name no time: their reading skips it
            taken += _other_years(question)  # "the 2030 Agenda", "a cut by 2020"
            date = _date(question, taken, self._holds)  # its year is read as a year too, below
            readings += [*_years(question, taken, self._holds), *([date] if date else [])]
        if not readings and (latest := _LATEST.search(question)) and _free(latest.span(), taken):
            # "Tuvalu's latest speech": the newest year of what the rest reads, found by the
            # searcher against its index (`Reading.value` LATEST until then)
            taken.append(latest.span())
            readings.append(Reading("year", LATEST, latest.group(0), (latest.span(),)))
        conference = _conference(question, taken, self.vocabulary.conferences)
        if conference is not None:  # before the names: "OCO" in it is the conference's
            readings.append(conference)
        words = words_of(question)
        respelt = self._respelt(question, words, known)
        for name, found in self._fields:
            if respelt is not None:
                reading = respelt.read(found, taken, name)
            else:
                text = _unjoined(question, found) if name == "country" else question
                reading = _names(text, found, name, taken, words if text is question else None)
            if reading is not None:
                readings.append(reading)
        region = _names(question, self._regions, "region", taken, words, listed=True)
        spoke = {c for r in readings if r.field == "country"
                 for c in (r.value if isinstance(r.value, list) else [r.value])}  # fmt: skip
        if region is not None and spoke & self.vocabulary.countries:
            # beside a country that spoke, a region is what was spoken of ("what did
            # Australia say about Southeast Asian countries"), unless it says who spoke
            # ("Which Melanesian government … Indonesia's provinces"); beside one documents
            # are only about, it stands for another ("a South American country's dispute
            # with the United Kingdom")
            who = _WHO_SPOKE.match(question)
            region = region if who is not None and region.spans[0][0] < who.end() else None
        if region is not None and _PACIFIC.search(question) and not _OCEANIA.match(region.text):
            region = None  # "Pacific and Caribbean island states": the Pacific's are asked of
        if region is not None:
            readings.append(region)
        return Understood(readings)

    def close_to_a_name(self, word: str) -> bool:
        """Whether `word` (lower case) may be read as a name misspelt."""
        return word not in self._name_words and bool(self._close(word))

    def _close(self, word: str) -> list[tuple[str, int]]:
        """The words of names one edit from `word` (two for eight letters or more), with
        the same first letter, and their distance."""
        limit = 1 if len(word) < 8 else 2
        return [
            (right, d)
            for right in self._spellings.get(word[0], ())
            if abs(len(right) - len(word)) <= limit
            and 0 < (d := DamerauLevenshtein.distance(word, right, score_cutoff=limit)) <= limit
        ]

    def _respelt(
        self, question: str, words: list[tuple[int, str]], known: Known | None
    ) -> _Respelt | None:
        """The question with each word the index lacks that is one edit from a word of a
        name it reads (two, for a word of eight letters or more) written as that word,
        keeping its first letter; None when there is none. Any word of the corpus is a
        word, however close to a name ("Samoan", "Tongan", "marshal")."""
        if known is None or not self._spellings:
            return None
        close: dict[int, tuple[str, list[str]]] = {}  # start → the word, its names' words
        for start, word in words:
            if len(word) < _MISSPELT or not word.isalpha() or word in self._name_words:
                continue
            found = self._close(word)
            if found:
                best = min(d for _, d in found)
                close[start] = (word, [right for right, d in found if d == best])
        if not close:
            return None
        # A name's stem is the name only when capitalised: "Marshal Islands", not "marshalled"
        words_of_their_own = known(
            [(w, rights[0] if question[s].isupper() else None) for s, (w, rights) in close.items()]
        )
        edits = [
            (s, s + len(w), rights)
            for s, (w, rights) in close.items()
            if w not in words_of_their_own
        ]
        if not edits:
            return None
        # Of two names as close ("Papau": Palau, Papua), the one that reads more of the
        # question ("Papau New Guinea": Papua New Guinea).
        chosen = [(s, e, rights[0]) for s, e, rights in edits]
        for i, (start, end, rights) in enumerate(edits):
            if len(rights) > 1:
                chosen[i] = max(
                    ((start, end, right) for right in rights),
                    key=lambda edit: _Respelt(question, [*chosen[:i], edit, *chosen[i + 1 :]])
                    .covered(self._fields),
                )  # fmt: skip
        return _Respelt(question, chosen)

    def _holds(self, value: int | dict) -> bool:
        """Whether the index holds documents of a year `value` reads (a year or a range). A
        year of no document is a topic ("targets for 2030"): read, it would match no dated
        document, and none would match every reading, so the other readings would lose their
        strict round ("Fiji … the 2030 Agenda" its Fiji passages); it stays words."""
        if self._years is None:
            return True
        low, high = _bounds(value)
        i = bisect.bisect_left(self._years, low)
        return i < len(self._years) and self._years[i] <= high


class _Alternation(NamedTuple):
    """A pattern matching any alias as whole words (group `name`), the alias → (value,
    written in capitals) map, and the words a match can open with (None: any)."""

    pattern: re.Pattern
    values: dict[str, tuple[Any, bool]]
    openings: frozenset[str] | None

    def finditer(
        self, question: str, words: list[tuple[int, str]] | None = None
    ) -> Iterator[re.Match]:
        """The pattern's matches, as `pattern.finditer` finds them, tried only where a word
        that can open one stands (`words`: the question's, as `words_of` gives them): the
        alternation of ~800 names is costly to try at every character of a question."""
        if self.openings is None:
            yield from self.pattern.finditer(question)
            return
        openings = self.openings
        end = 0
        for start in [s for s, w in words or words_of(question) if w in openings]:
            if start < end:
                continue
            match = self.pattern.match(question, start)
            if match is not None:
                end = match.end()
                yield match


_WORD = re.compile(r"(?<![\w-])\w+")


def words_of(question: str) -> list[tuple[int, str]]:
    """Where each word of `question` starts, and the word in lower case."""
    return [(m.start(), m.group().lower()) for m in _WORD.finditer(question)]


def _alternation(
    aliases: dict[str, Any], before: str = "", any_case: frozenset[str] = frozenset()
) -> _Alternation | None:
    """Any alias as whole words (group `name`), longest first, after what `before` matches
    (an optional article: "the"). A value may be a tuple: a name of several things, each
    read. Short all-capital aliases (TUV, OCO) only as written, but those in `any_case`."""
    if not aliases:
        return None
    ordered = sorted(aliases, key=len, reverse=True)
    body = "|".join(re.escape(a) for a in ordered)
    # Short all-capital aliases (PNG, NZ, OCO) only as written; names in any case.
    pattern = re.compile(rf"(?<![\w-]){before}(?P<name>{body})(?![\w-])", re.IGNORECASE)
    firsts = [_WORD.match(a.lower()) for a in ordered]
    openings = None
    if all(firsts) and before in ("", countries.ARTICLE):
        openings = frozenset(m.group() for m in firsts) | ({"the"} if before else set())
    return _Alternation(pattern, {a.lower(): (v, a.isupper() and a not in any_case)
                                  for a, v in aliases.items()}, openings)  # fmt: skip


# A name inside the name of an agreement or a plan ("Parties to the Nauru Agreement", "the
# Samoa Pathway") says nothing of who spoke, and a year inside one ("the 2030 Agenda", "Agenda
# 2030") nothing of when; a document type before a number ("resolution 77/276") names one
# document, not a kind.
_NAMING = (
    r"(?:Agreement|Declaration|Pathway|Convention|Accord|Treaty|Process|Plan|Strategy|Agenda|"
    r"Vision|Programme|Program|Initiative|Group|Framework|Protocol|Partnership|Compact|Trench|"
    r"Outcome)"
)
_NAMED_AFTER = re.compile(rf"\s+{_NAMING}\b", re.IGNORECASE)  # "the Paris agreement" as typed
# Up to three capitalised words of a name between "the", its year and what it is: "the 1951
# Refugee Convention", "the 2005 World Summit Outcome" (not "2015 about the Paris Agreement",
# nor typed keywords: "unrest 2024 Noumea Accord" asks about 2024).
_NAME_WORDS = r"(?-i:(?:\s+(?:[A-Z][\w'’-]*|of|on|the)){0,3})"
# A target ("a 40 percent cut by 2020") is no more the time of the words than a plan's year,
# nor is a treaty's ("the Treaty of Rarotonga 1985").
_OTHER_YEAR = re.compile(
    rf"\b(?:(?:{_NAMING}|by)\s+{_YEAR}|{_YEAR}(?=\s+{_NAMING}\b)"
    rf"|(?<=the\s){_YEAR}(?={_NAME_WORDS}\s+{_NAMING}\b)"
    rf"|{_NAMING}\s+of(?-i:(?:\s+[A-Z][\w'’-]*){{1,3}})\s+{_YEAR})\b",
    re.IGNORECASE,
)
_NUMBER_AFTER = re.compile(r"\s*(?:no\.?\s*)?\d")
# A region read is one that stands for a country: "a Gulf emirate", "a South American
# country", "two Gulf neighbours", "the southern African republic" (its name before a word for
# a state, a government or its leader, at most two words between); "peace in the Middle East",
# "an East African camp", "pirates off the Horn of Africa" name a place talked about.
_STATE_AFTER = re.compile(
    r"(?:[\s-]+[\w'’]+){0,2}?[\s-]+(?:countr(?:y|ies)|states?|nations?|republics?|kingdoms?|"
    r"emirates?|monarch(?:y|ies)|sultanates?|sheikhdoms?|federation|neighbou?rs?|governments?|"
    r"regimes?|island|islands|archipelago|powers?|territor(?:y|ies)|capital|leaders?|"
    r"presidents?|prime\s+ministers?|premiers?|rulers?|delegations?|allies|ally)\b",
    re.IGNORECASE,
)
_PACIFIC = re.compile(r"\bPacific\b", re.IGNORECASE)
_OCEANIA = re.compile(r"(?:Melanesia|Polynesia)", re.IGNORECASE)
# "the African Union", "Arab League states": a body's name, no region
_BODY_AFTER = re.compile(
    r"[\s-]+(?:Union|League|Bank|Community|Commission|Council|Court|Group|Development)\b",
    re.IGNORECASE,
)
# "Which leader said …", "Which Melanesian government asked …": who spoke, described in the
# opening words; a region after them is what was spoken about ("… a meeting of Gulf states").
_SPEAKERS = (
    r"(?:leaders?|ministers?|delegations?|presidents?|premiers?|governments?|speakers?|heads?|"
    r"countr(?:y|ies)|nations?|states?|island|kingdoms?|republics?|kings?|delegates?|"
    r"representatives?|officials?)"
)
_WHO_SPOKE = re.compile(
    rf"\s*(?:(?:find|show|list)\s+(?:me\s+)?(?:the\s+)?)?(?:"
    rf"(?:which|what)\s+(?:[\w'’-]+\s+){{0,3}}?{_SPEAKERS}\b"
    # "Which leader of a Melanesian country": the speaker's description goes on
    rf"(?:\s+(?:of|from)\s+(?:an?|the)\s+(?:[\w'’-]+\s+){{0,2}}?{_SPEAKERS}\b)?"
    rf"|(?:[\w'’-]+\s+)?{_SPEAKERS}?\s*who\b)",
    re.IGNORECASE,
)


def _a_country_of(question: str, match: re.Match) -> bool:
    """Whether a region's name in `question` stands for a country of it (`_STATE_AFTER`), not
    a body's name, "Gulf" capitalised ("a widening gulf" is none), and within the opening
    words that say who spoke, in a question that asks who did."""
    alias = match.group("name")
    if (alias == "gulf" or _BODY_AFTER.match(question, match.end())
            or not _STATE_AFTER.match(question, match.end())):  # fmt: skip
        return False
    who = _WHO_SPOKE.match(question)
    return who is None or match.start() < who.end()


# A UN body as the topic of a speech, not as whose documents to prefer: "Security Council
# reform", "a seat on the Security Council", "what did Fiji say about the Security Council" (its
# resolutions' preambles, "The Security Council, …", filled the page).
_BODY_TOPIC = (
    r"reform|seats?|membership|enlargement|expansion|veto|presidency|candidacy|bid|"
    r"revitali[sz]ation|working\s+methods"
)
_UN_BODIES = ("United Nations Security Council", "United Nations General Assembly")
_TOPIC_AFTER = re.compile(rf"\s+(?:{_BODY_TOPIC})\b", re.IGNORECASE)
_TOPIC_BEFORE = re.compile(
    rf"\b(?:about|(?:{_BODY_TOPIC})\s+(?:of|on|in|to|for))\s+(?:the\s+)?$", re.IGNORECASE
)


# Two names joined by a hyphen or a dash: "the Iran-Iraq war", "India–Pakistan talks"
_JOINED = re.compile(r"(?<![\w-])([A-Z][\w'’]*)([-–])([A-Z][\w'’]*)(?![\w-])")


def _unjoined(question: str, found: _Alternation | None) -> str:
    """The question with the hyphen between two one-word names a space, so that both are
    read (a name joined to another word stays unread: "anti-Fiji", "Fiji-based"); as long as
    the question, so that spans and words stay where they are."""
    if found is None or not ("-" in question or "–" in question):
        return question
    chars: list[str] | None = None
    for match in _JOINED.finditer(question):
        if match.group(1).lower() in found.values and match.group(3).lower() in found.values:
            chars = chars or list(question)
            chars[match.start(2)] = " "
    return "".join(chars) if chars else question


_MISSPELT = 5  # letters of the shortest word read as a misspelt name ("Tonag", "Papau")
_LETTERS = re.compile(r"[^\W\d_]+")


class _Respelt:
    """A question with some words written as a name's (`edits`: start, end, the word), and
    its readings put back on the words as typed."""

    def __init__(self, question: str, edits: list[tuple[int, int, str]]) -> None:
        self.question = question
        parts, cursor, self._moves = [], 0, []  # (old start, old end, new start, new end)
        length = 0
        for start, end, word in sorted(edits):
            parts.append(question[cursor:start])
            length += start - cursor
            written = word if question[start].islower() else word.capitalize()
            parts.append(written)
            self._moves.append((start, end, length, length + len(written)))
            length += len(written)
            cursor = end
        parts.append(question[cursor:])
        self.text = "".join(parts)

    def _new(self, at: int) -> int:
        """A place of the question as typed, in the respelt one."""
        return _moved(at, self._moves)

    def _old(self, at: int) -> int:
        """A place of the respelt question, in the question as typed."""
        return _moved(at, [(ns, ne, os, oe) for os, oe, ns, ne in self._moves])

    def covered(self, fields) -> int:
        """How many characters of the respelt question read a name, of `fields` (field,
        alternation)."""
        taken: list[tuple[int, int]] = []
        for name, found in fields:
            text = _unjoined(self.text, found) if name == "country" else self.text
            _names(text, found, name, taken)
        return sum(e - s for s, e in taken)

    def read(
        self, found: _Alternation | None, taken: list[tuple[int, int]], name: str
    ) -> Reading | None:
        """The `name` field read from the respelt question, its spans and words as typed."""
        moved = [(self._new(s), self._new(e)) for s, e in taken]
        text = _unjoined(self.text, found) if name == "country" else self.text
        reading = _names(text, found, name, moved)
        taken.extend((self._old(s), self._old(e)) for s, e in moved[len(taken) :])
        if reading is None:
            return None
        spans = tuple((self._old(s), self._old(e)) for s, e in reading.spans)
        text = ", ".join(dict.fromkeys(self.question[s:e] for s, e in spans))
        read_as = reading.text if reading.text != text else None
        return Reading(reading.field, reading.value, text, spans, read_as)


def _moved(at: int, moves: list[tuple[int, int, int, int]]) -> int:
    """A place of one text in another, `moves` (start, end, its start, its end) saying where
    each of the first text's changed words stands in the other (a place inside one: its
    start)."""
    shift = 0
    for start, end, to_start, to_end in moves:
        if at <= start:
            break
        if at < end:
            return to_start
        shift = to_end - end
    return at + shift


def _about_the_body(question: str, match: re.Match) -> bool:
    return bool(_TOPIC_AFTER.match(question, match.end())
                or _TOPIC_BEFORE.search(question, 0, match.start()))  # fmt: skip


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return not any(span[0] < e and s < span[1] for s, e in taken)


def _names(question, found, name: str, taken, words=None, listed=False) -> Reading | None:
    """The `name` reading of the aliases `found` matches in `question` outside `taken` (each
    match taken): one value, or a list of several (`listed`: a list even of one)."""
    if found is None:
        return None
    codes: dict[Any, str] = {}
    spans = []
    values = found.values
    for match in found.finditer(question, words):
        text, alias = match.group(0), match.group("name")
        value, abbreviation = values[alias.lower()]
        if not _free(match.span(), taken) or (abbreviation and not alias.isupper()):
            continue  # "png", "oco", "tuv" in lower case are other words
        if name == "region" and not _a_country_of(question, match):
            continue
        after = _NUMBER_AFTER if name == "doc_type" else _NAMED_AFTER
        if after.match(question, match.end()) or (
            name == "organisation" and value in _UN_BODIES and _about_the_body(question, match)
        ):
            continue
        taken.append(match.span())
        if value is None:  # a place of its own ("American Samoa"): no country of the index
            continue
        for one in value if isinstance(value, tuple) else (value,):
            codes.setdefault(one, text)
        spans.append(match.span())
    if not codes:
        return None
    values_found = list(codes)
    value = values_found[0] if len(values_found) == 1 and not listed else values_found
    return Reading(name, value, ", ".join(dict.fromkeys(codes.values())), tuple(spans))


def _conference(
    question: str, taken: list[tuple[int, int]], conferences: frozenset[str]
) -> Reading | None:
    """The conference a question names by its number, when the index holds conferences of
    that number (more than one: each is preferred)."""
    for match in _NUMBERED.finditer(question):
        if not _free(match.span(), taken):
            continue
        number = re.compile(rf"(?<!\d){match.group(1)}(?:st|nd|rd|th)\b", re.IGNORECASE)
        named = sorted(c for c in conferences if number.search(c) and "conference" in c.lower())
        if named:
            taken.append(match.span())
            value = named[0] if len(named) == 1 else named
            return Reading("conference", value, match.group(0), (match.span(),))
    return None


def _other_years(question: str) -> list[tuple[int, int]]:
    """The spans of the years that are part of a name or a target ("the 2030 Agenda", "Vision
    2030", "by 2020"): not when the words were said."""
    return [
        next(m.span(g) for g in range(1, len(m.groups()) + 1) if m.group(g))
        for m in _OTHER_YEAR.finditer(question)
    ]


def _years(
    question: str, taken: list[tuple[int, int]], holds: Callable[[int | dict], bool]
) -> list[Reading]:
    """The year a question names: its first range, open range, decade or session, else every
    single year it names (of those the index `holds`)."""
    for pattern, build in ((_RANGE, _range), (_OPEN, _open), (_DECADE, _decade),
                           (_SESSION, _session)):  # fmt: skip
        for match in pattern.finditer(question):
            value = build(match) if _free(match.span(), taken) else None
            if value is not None:
                taken.append(match.span())  # "after 2024" is no 2024, held or not
                if holds(value):
                    return [Reading("year", value, match.group(0), (match.span(),))]
    years: dict[int, str] = {}
    spans = []
    for match in sorted([*_SINGLE.finditer(question), *_SHORT_YEAR.finditer(question)],
                        key=re.Match.start):  # fmt: skip
        year = _year_of(match)
        if _free(match.span(), taken) and holds(year):
            years.setdefault(year, match.group(0))
            taken.append(match.span())
            spans.append(match.span())
    if not years:
        return []
    value = next(iter(years)) if len(years) == 1 else sorted(years)
    return [Reading("year", value, ", ".join(years.values()), tuple(spans))]


def _year_of(match: re.Match) -> int:
    """The year a `_SINGLE` or `_SHORT_YEAR` match names: "'19" is 2019, "'94" 1994 (the
    archive's years run from 1946)."""
    if match.re is _SINGLE:
        return int(match.group(2))
    digits = match.group("fy") or match.group("short")
    return int(digits) if len(digits) == 4 else _century(int(digits))


def _century(yy: int) -> int:
    return (2000 if yy < 46 else 1900) + yy


def _date(
    question: str, taken: list[tuple[int, int]], holds: Callable[[int | dict], bool]
) -> Reading | None:
    """The first month or day of a year the question names, as a range of ISO dates that
    documents' `date` (a day, or the first day of a range) falls in."""
    found = []
    for match in _DATE.finditer(question):
        month = [m[:3] for m in _MONTHS].index(match.group(2)[:3].lower()) + 1
        found.append((match, match.group(4), month, int(match.group(1) or match.group(3) or 0)))
    for match in _ISO_DATE.finditer(question):
        year, month, day = match.groups()
        if 1 <= int(month) <= 12 and int(day):
            found.append((match, year, int(month), int(day)))
    for match, year, month, day in sorted(found, key=lambda f: f[0].start()):
        if (not _free(match.span(), taken) or not holds(int(year))
                or not 0 <= day <= _days(int(year), month)):  # fmt: skip
            continue
        if day:
            start = datetime.date(int(year), month, day)
            end = start + datetime.timedelta(days=1)
        else:
            start = datetime.date(int(year), month, 1)
            end = datetime.date(int(year) + month // 12, month % 12 + 1, 1)
        value = {"gte": start.isoformat(), "lt": end.isoformat()}
        return Reading("date", value, match.group(0), (match.span(),))
    return None


def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def remainder(question: str, readings: list[Reading]) -> str:
    """The question without the words of the readings of one value: within the documents
    they select, those words select nothing more, so the rest of the question ranks there.
    Two values stay ("New Zealand … about Fiji": one is the speaker, the other the topic)."""
    return wording.without(
        question, (span for r in readings if not isinstance(r.value, list) for span in r.spans)
    )


def _term(text: str) -> tuple[int, int] | None:
    """The first and last year of a year or decade as `_TERM` matches it; None for a decade
    that could be an age ("20s", "nineties" alone)."""
    term = _TERM_PARTS.fullmatch(text)
    if term["year"]:
        return int(term["year"]), int(term["year"])
    if term["yy"]:
        year = _century(int(term["yy"]))
        return year, year
    if term["decade"]:
        first = int(term["decade"])
    elif term["the"] or term["part"] or term["nineteen"]:
        first = 1900 + (
            int(term["short"]) if term["short"] else _DECADE_WORDS[term["word"].lower()]
        )
    else:
        return None
    low, high = _PARTS[term["part"] and term["part"].lower()]
    return first + low, first + high


def _range(match: re.Match) -> dict | None:
    first = _term(match["a"])
    if first is None:
        return None
    if len(match["b"]) == 2:  # "2015–19", "1999-00": the years of a decade or so
        if not match["dash"] or first[0] != first[1]:
            return None
        end = first[0] - first[0] % 100 + int(match["b"])
        end += 100 if end <= first[0] else 0
        last = (end, end) if end - first[0] <= 10 else None
    else:
        last = _term(match["b"])
    if last is None or (match["word"] == "and" and not match["between"]
                        and (first[0] == first[1] or last[0] == last[1])):  # fmt: skip
        return None  # "2019 and 2021": two years
    return {"gte": min(first[0], last[0]), "lte": max(first[1], last[1])}


def _open(match: re.Match) -> dict | None:
    span = _term(match["a"])
    word = " ".join(match["word"].lower().split())
    if span is None:
        return None
    if word == "from" and span[0] != span[1]:  # "resolutions from the 1960s": of that decade
        return {"gte": span[0], "lte": span[1]}
    bound = _BOUNDS[word]
    return {bound: span[0] if bound in ("gte", "lt") else span[1]}


def _decade(match: re.Match) -> dict | None:
    span = _term(match["a"])
    return {"gte": span[0], "lte": span[1]} if span and span[0] != span[1] else None


def _bounds(value: int | dict) -> tuple[float, float]:
    """The first and last year a year reading allows (infinite where it is open)."""
    if isinstance(value, int):
        return value, value
    low = value["gte"] if "gte" in value else value["gt"] + 1 if "gt" in value else -math.inf
    high = value["lte"] if "lte" in value else value["lt"] - 1 if "lt" in value else math.inf
    return low, high


def _session(match: re.Match) -> int | None:
    found = match.groupdict()
    if found["tens"]:
        session = _TENS[found["tens"].lower()] + _UNITS[found["units"].lower()]
    elif found["tenth"]:
        session = _TENS[found["tenth"].lower() + "y"]
    else:
        session = int(found["n"] or found["after"])
    return 1945 + session if 1 <= session <= 99 else None


def vocabulary(gen) -> Vocabulary:
    """The countries (that spoke, or that documents are about), organisations, document types,
    conferences and years an index holds."""
    rows = gen.query("SELECT DISTINCT country, organisation, doc_type, conference FROM documents")
    about = gen.query("SELECT DISTINCT countries FROM documents WHERE countries IS NOT NULL")
    years = gen.query("SELECT DISTINCT year FROM documents WHERE year IS NOT NULL")
    return Vocabulary(
        frozenset(r[0].upper() for r in rows if r[0]),
        frozenset(r[1] for r in rows if r[1]),
        frozenset(r[2] for r in rows if r[2]),
        frozenset(r[3] for r in rows if r[3]),
        frozenset(code for (codes,) in about for code in codes.split(",")),
        frozenset(year for (year,) in years),
    )
