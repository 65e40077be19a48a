"""UN Security Council resolutions: what a resolution's own text says about it.

A resolution has a fixed shape that researchers cite by: a header with its number, year and
date ("Resolution 242 (1967)" / "of 22 November 1967", or "1 (1946). Resolution of 25 January
1946", sometimes under a topic heading), a preamble ("The Security Council, Recalling …"),
numbered operative paragraphs and an adoption line ("Adopted unanimously at the 1382nd
meeting.", "Adopted at the 2963rd meeting by 12 votes to 2 (…), with 1 abstention (…)").
`read` finds all of that in a normalised text; `structure` gives its blocks the sections
that passages follow (preamble, then operative paragraphs).

The number comes from the text, never from the file name: a file whose text is another
resolution than its name says is reported (`Resolution.warnings`).
"""

from __future__ import annotations

import bisect
import collections
import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date

from indexer import countries
from indexer.chunking import format_paragraphs, paragraphs_label
from indexer.normalise import Block, NormalisedText

ORGANISATION = "United Nations Security Council"
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip
# OCR slips seen in the collection: "ef 15 June", "of 3 Apri] 1991", "10 Auqust 1993",
# "15 August. 1991".
_DATE = r"(?P<day>\d{1,2})[a-z]?\s+(?P<month>[A-Z][a-z\]]{2,})\s*[.,]?\s+(?P<dyear>\d{4})(?!\d)"
# Between a header's number and its date: "of" (OCR's "ef", "Of"), nothing ("Resolution 883
# (1993)\n11 November 1993"), or the provisional documents' "Adopted by the Security Council
# at its 3102nd meeting[,] on" (also "at _ its", and "Security at its" without "Council").
_DATE_LEAD = (
    r"(?:[oeOE]f\s+|Adopted\s+by\s+the\s+Security\s+(?:Council\s+)?at\s+_?\s*its\s+\S+\s+"
    r"meeting\s*,?\s*[oO]n\s+)?"
)
# "Resolution 242 (1967) of 22 November 1967", "Resolution 290 of 8 December 1970",
# "1 (1946). Resolution of 25 January 1946", "Resolution 1454 (2002) Adopted by the Security
# Council at its 4683rd meeting, on 30 December 2002"
_HEADER = re.compile(
    r"(?:^|\n)\s*(?:(?i:resolution)\s+(?P<n1>\d{1,4})(?:\s*\((?P<y1>[\d\s-]{4,7})\))?"
    r"|(?P<n2>\d{1,4})\s*\((?P<y2>\d{4})\)\s*\.?\s*Resolution)"
    r"(?:\s+\d{1,3}(?=\s)(?!\s+[A-Z][a-z]+\s+\d{4}))?"  # a note mark, not a date's day
    r"(?:\s*" + _DATE_LEAD + _DATE + ")?"
)
# A header run into the text before it (resolution 851 follows a statement): only with its
# date, and "Resolution" capitalised, which references in the text are not.
_HEADER_INLINE = re.compile(
    r"Resolution\s+(?P<n1>\d{1,4})\s*\((?P<y1>\d{4})\)(?P<n2>)(?P<y2>)\s+of\s+" + _DATE
)
# An adoption statement, to its full stop (not one inside brackets: "(German Democratic
# Republic. Union of …)") or a note after it ("\n\n25 Adopted without vote."), across the
# blocks a hard-wrapped line was cut into: "Adopted unanimously at the 1382nd meeting.",
# "Adopted at the 2963rd meeting by 12 votes to 2 (…), with 1 abstention (…)", "Adopted by
# the Security Council at its 3102nd meeting on 30 July 1992".
_STATEMENT = re.compile(
    r"\b(?:Ad[oa]pted|Approved)\b(?:[^.()\n]|\n(?!\n?\d{1,3}\s+\S)|\([^()]*\)){0,300}"
)
# "at the 2049th meeting", "at its 3102nd meeting", "at the resumed 2396th meeting", "at the
# 3017th (closed) meeting"; OCR's "ai the", "the 298Ist meeting", "3005 meeting", "meet- ing".
_MEETING = re.compile(
    r"(?:(?:[Aa]t|ai|ut)\s+)?(?:_\s*|\b)(?:the|its)\s+(?:resumed\s+)?"
    r"(?:(?P<number>[\dIlOi\]](?:\s?[\dIlOi\]]){0,4}?)(?:(?P<suffix>st|nd|rd|th)[a-z]?_?\s+|\s+))?"
    r"(?:\([a-z ]+\)\s+)?me{1,2}t(?:-\s*)?ings?\b"
)
_WITHOUT_VOTE = re.compile(r"\bwithout\s+(?:a\s+)?v[ao]te\b")
# The early Council's notes: "The draft resolution was voted on in parts. No vote was taken
# on the text as a whole", "… voted on paragraph by paragraph", "adopted in parts".
_IN_PARTS = re.compile(
    r"\bvoted\s+on\s+(?:in\s+parts|paragraph\s+by\s+paragraph)|\badopted\s+in\s+parts\b"
    r"|\bno\s+vote\s+was\s+taken\s+on\s+the\s+(?:text|draft(?:\s+resolution)?)\s+as\s+a\s+whole",
    re.IGNORECASE,
)
_CONSENSUS = re.compile(r"\bby\s+consensus\b")
_UNANIMOUS = re.compile(r"\bunanimous(?:ly)?\b")
# OCR's "I1 votes" is 11, "to I (Syria)" 1, "by 9 votes 10 none" to none
_COUNT = r"(?:nones?|one|\d{1,2}|[Il]\d?)"
_VOTES = re.compile(
    rf"\b[bh]y\s+(?P<yes>{_COUNT})\s+(?:votes?\s+)?(?:t[oa]|io|1[0o](?=\s+nones?\b))\s+"
    rf"(?P<no>{_COUNT})(?![a-z])"
    rf"(?:\s*\([^)]*\))?(?:\s*,?\s*with\s+(?P<abst>{_COUNT})\s+abstentions?)?"
)
# "by 10 votes (Union of Soviet Socialist Republics, absent)": a count for, none against given
_VOTES_FOR = re.compile(rf"\b[bh]y\s+(?P<yes>{_COUNT})\s+votes\b(?!\s+(?:t[oa]|io)\s)")
# A note that says how this resolution was adopted: "Adopted without vote.", "In the absence
# of any objection, the President stated that the draft resolution was adopted unanimously",
# "The draft resolution was voted on in parts"; not one on an amendment or another resolution
# ("The amendment … was adopted by 6 votes to 2", "See resolution 95 (1951), adopted …").
_NOTE_ON_ADOPTION = re.compile(
    r"^(?:Ad[oa]pted|Approved)\b|\bthe\s+draft\s+resolution\b|^In\s+the\s+absence\s+of\b",
    re.IGNORECASE,
)
_NOTE_ON_OTHERS = re.compile(r"\bamendments?\b|\bresolutions?\s+\d", re.IGNORECASE)
# A note mark after the statement ("Adopted at the 2nd meeting. 22"), which a note after
# it may say more of ("22 Adopted without vote.").
_MARK = re.compile(r"\.?\s*(?P<mark>\d{1,3})(?!\w)")
_MARK_AT_END = re.compile(r"\s(?P<mark>\d{1,3})\s*$")  # "Adopted at the 80th meeting 25"
_TOPIC = re.compile(r"^[A-Z][A-Z ,.'’()&/-]{3,80}$")  # "MILITARY STAFF COMMITTEE"
_COUNCIL = re.compile(r"\bSecurity\s+Council\b")
_FILE_NUMBER = re.compile(r"S_RES_0*(\d+)_", re.IGNORECASE)
# The number of the Council's first resolution of each year from 1946 to 1994: its
# resolutions are numbered on through the years, so a number tells its year ("587 (1991)"
# names no resolution: 587 is of 1986). From the collection's file names.
_FIRST_OF_YEAR = (1, 16, 38, 67, 79, 90, 97, 99, 104, 106, 111, 122, 127, 132, 133, 161, 171,
                  178, 186, 200, 220, 233, 245, 263, 276, 292, 308, 325, 345, 367, 385, 403,
                  423, 444, 462, 485, 500, 529, 546, 560, 581, 594, 607, 627, 647, 684, 726,
                  800, 893)  # fmt: skip


@dataclass
class Resolution:
    number: int
    year: int | None
    date: str | None  # ISO 8601
    topic: str | None = None
    meeting: int | None = None
    # unanimous | recorded (votes_* hold the counts) | without vote | consensus | in parts
    # (each part voted on, no vote on the whole): as the text
    # says it was adopted ("Adopted unanimously, without a vote" is without vote: none was
    # taken); None where it does not say
    vote: str | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstaining: int | None = None
    countries: list[str] = field(default_factory=list)  # ISO codes of those it is about
    header_end: int = 0  # offset in the text where the header ends
    body_end: int | None = None  # offset where its adoption line begins (None: no such line)
    warnings: list[str] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return f"S/RES/{self.number}" + (f" ({self.year})" if self.year else "")

    @property
    def title(self) -> str:
        when = f" of {_long_date(self.date)}" if self.date else ""
        year = f" ({self.year})" if self.year else ""
        return f"Resolution {self.number}{year}{when}"

    def own_text(self, text: str) -> str:
        """What the Council resolved, in `text` (the resolution's normalised text): its
        preamble and operative part, without the header, the adoption line and the vote, or
        the collection's notes after them."""
        return text[self.header_end : self.body_end]

    def fields(self) -> dict:
        """Values for the document fields (indexer/fields.py)."""
        return {
            "doc_type": "resolution",
            "organisation": ORGANISATION,
            "title": self.title,
            "year": self.year,
            "date": self.date,
            "symbol": self.symbol,
            "number": self.number,
            "topic": self.topic,
            "meeting": self.meeting,
            "vote": self.vote,
            "votes_for": self.votes_for,
            "votes_against": self.votes_against,
            "votes_abstaining": self.votes_abstaining,
            "countries": ",".join(self.countries) or None,
        }


def read(text: NormalisedText, source: str = "", known: bool = False) -> Resolution | None:
    """The resolution `text` is, or None when it is not one: a resolution header (number with
    its year or date) near its top, in a text that names the Security Council, or that its
    metadata already calls a resolution (`known`)."""
    head = text.text[:4000]
    match = _HEADER.search(head) or _HEADER_INLINE.search(head)
    if match is None or not (match.group("y1") or match.group("y2") or match.group("day")):
        return None
    if not known and not _COUNCIL.search(text.text):
        return None
    number = int(match.group("n1") or match.group("n2"))
    written = (match.group("y1") or match.group("y2") or "").replace(" ", "")
    when = _iso_date(match)
    # The date's year where there is a date: the printed "(1973)" of resolution 434, dated
    # 18 September 1978, is a misprint.
    year = int(when[:4]) if when else None
    if year is None and written.isdigit() and len(written) == 4:
        year = int(written)
    resolution = Resolution(number, year, when, header_end=match.end())
    resolution.topic = _topic(text, match.start())
    _read_adoption(text.text, resolution)
    resolution.countries = countries.mentioned(
        resolution.own_text(text.text), year=year, context=text.text
    )
    _check_file_name(source, resolution)
    if written and written.isdigit() and when and written != when[:4]:
        resolution.warnings.append(
            f"the header says ({written}) but the resolution is dated {when}"
        )
    return resolution


def _month(name: str) -> int | None:
    """A month's number from its name as printed, OCR slips and all ("Apri]", "Auqust")."""
    close = difflib.get_close_matches(name.capitalize(), _MONTH_NAMES, n=1, cutoff=0.75)
    return _MONTH_NAMES.index(close[0]) + 1 if close else None


def _iso_date(match: re.Match) -> str | None:
    if not match.group("day"):
        return None
    month = _month(match.group("month"))
    try:
        return date(int(match.group("dyear")), month, int(match.group("day"))).isoformat()
    except (TypeError, ValueError):
        return None


def _long_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _topic(text: NormalisedText, header_start: int) -> str | None:
    """An all-capitals heading just above the header ("MILITARY STAFF COMMITTEE")."""
    before = [b for b in text.blocks if b.end <= header_start][-2:]
    for block in reversed(before):
        line = " ".join(block.text.split())
        if _TOPIC.match(line) and not line.startswith(("UNITED NATIONS", "S/RES")):
            return line.title() if line.isupper() else line
    return None


def _statements(text: str) -> list[tuple[re.Match, re.Match | None]]:
    """The adoption statements of a text, each with its meeting phrase: "Adopted" or
    "Approved" with a meeting or with how it was adopted."""
    found = []
    for statement in _STATEMENT.finditer(text):
        words = statement.group()
        meeting = _MEETING.search(words)
        if meeting or _manner(words):
            found.append((statement, meeting))
    return found


def _read_adoption(text: str, resolution: Resolution) -> None:
    """Meeting and vote from the adoption statements: the provisional documents' in the
    header ("Adopted by the Security Council at its 3102nd meeting"), the others' after the
    operative part, and a note the statement points to ("22 Adopted without vote.")."""
    statements = _statements(text)
    meetings = (_meeting_number(m) for _, m in statements if m is not None)
    resolution.meeting = next((n for n in meetings if n is not None), None)
    closing = next((s for s, _ in statements if text[resolution.header_end : s.start()].strip()),
                   None)  # fmt: skip
    resolution.body_end = closing.start() if closing else None
    for statement, meeting in statements:
        words = statement.group()
        # After the meeting only what follows it in the same sentence: a header's date
        # and the preamble under it are not the vote.
        after = words[meeting.end() :] if meeting else ""
        manner = _manner(words[: meeting.end()] if meeting else words, after)
        if manner is None:
            manner = _manner(_note(text, statement) or "")
        if manner is not None:
            resolution.vote = manner[0]
            resolution.votes_for, resolution.votes_against, resolution.votes_abstaining = manner[1:]
            return


_Manner = tuple[str, int | None, int | None, int | None]


def _manner(before: str, after: str = "") -> _Manner | None:
    """How a statement says the resolution was adopted: (vote, for, against, abstaining).
    `before`: the words up to its meeting; `after`: those after it."""
    soon = after[:40]
    if _IN_PARTS.search(before):  # its paragraphs' votes, none on the whole
        return ("in parts", None, None, None)
    if _WITHOUT_VOTE.search(before) or _WITHOUT_VOTE.search(soon):
        return ("without vote", None, None, None)
    if _CONSENSUS.search(before) or _CONSENSUS.search(soon):
        return ("consensus", None, None, None)
    if _UNANIMOUS.search(before):
        return ("unanimous", None, None, None)
    votes = _VOTES.search(before) or _VOTES.search(after)
    if votes is None:
        alone = _VOTES_FOR.search(before) or _VOTES_FOR.search(after)
        return ("recorded", _count(alone.group("yes")), None, None) if alone else None
    counts = [_count(votes.group(g)) for g in ("yes", "no", "abst")]
    return ("recorded", counts[0], counts[1], counts[2] or 0)


def _count(token: str | None) -> int | None:
    if token is None:
        return None
    if token in ("none", "nones", "one"):
        return 1 if token == "one" else 0
    return int(token.replace("I", "1").replace("l", "1"))


def _meeting_number(meeting: re.Match) -> int | None:
    """The meeting's number as printed ("273 1st" is 2731st), OCR's letters for digits read
    where the ordinal agrees ("298Ist" is 2981st; not "176I1st")."""
    printed = (meeting.group("number") or "").replace(" ", "")
    if not any(c.isdigit() for c in printed):
        return None
    if printed.isdigit():
        return int(printed)
    number = int(printed.translate(str.maketrans("IliO]", "11101")))
    return number if meeting.group("suffix") == _ordinal(number) else None


def _ordinal(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def _note(text: str, statement: re.Match) -> str | None:
    """The note a statement's mark points to, when the note is itself an adoption line."""
    mark = _MARK.match(text, statement.end()) or _MARK_AT_END.search(statement.group())
    if mark is None:
        return None
    note = re.search(rf"(?:^|\n){mark.group('mark')}\s+([A-Z][^\n]*)", text[statement.end() :])
    if note is None or not _NOTE_ON_ADOPTION.search(note.group(1)):
        return None
    return None if _NOTE_ON_OTHERS.search(note.group(1)) else note.group(1)


def adopted(text: str) -> bool:
    """Whether a block of text holds an adoption statement ("Adopted at the 230th meeting …")."""
    return bool(_statements(text))


def years_of(number: int) -> tuple[int, int | None]:
    """The first and last year resolution `number` may be of (the last None: past the
    years the collection knows)."""
    at = bisect.bisect_right(_FIRST_OF_YEAR, number) - 1
    year = 1946 + max(at, 0)
    return (year, year if at < len(_FIRST_OF_YEAR) - 1 else None)


def file_number(source: str) -> int | None:
    """The resolution number a collection's file name says ("S_RES_0542_1983_EN_GOLD.txt")."""
    named = _FILE_NUMBER.search(source.rsplit("/", 1)[-1])
    return int(named.group(1)) if named else None


def _check_file_name(source: str, resolution: Resolution) -> None:
    named = file_number(source)
    if named is not None and named != resolution.number:
        resolution.warnings.append(
            f"the file name says resolution {named} but the text is "
            f"resolution {resolution.symbol}: indexed as {resolution.symbol}"
        )


# -- structure ------------------------------------------------------------------------------

SHORT_PARAGRAPH = 160  # characters: a shorter operative paragraph joins the one before
OPERATIVE_PART = "Operative part"  # unnumbered operative clauses ("Reaffirms …", "Decides …")

# The verbs that open an operative clause. A preamble's clauses open with a participle or an
# adjective ("Recalling", "Having considered", "Deeply concerned"); what the Council does is
# in the present tense, numbered or not: the older resolutions often number nothing. After an
# adverb the verb is in lower case ("Further requests", "Hereby records").
_OPERATIVE = re.compile(
    r"(?:(?:Further|Also|Again|Strongly|Urgently|Earnestly|Solemnly|Formally|Firmly|"
    r"Unanimously|Hereby|Accordingly|Therefore)(?:,)?\s+)?"
    r"(?i:Accepts|Adopts|Affirms|Agrees|Appeals|Approves|Asks|Authori[sz]es|Calls|Censures|"
    r"Commends|Condemns|Confirms|Decides|Declares|Demands|Deplores|Determines|Directs|Draws|"
    r"Emphasi[sz]es|Encourages|Endorses|Establishes|Expresses|Extends|Finds|Instructs|Invites|"
    r"Notes|Proposes|Reaffirms|Recalls|Recommends|Regrets|Reiterates|Reminds|Renews|Requests|"
    r"Records|Resolves|Stresses|Submits|Suggests|Supports|Takes|Transmits|Urges|Warns|Welcomes)\b"
)


def opens_operative(text: str) -> bool:
    """Whether a clause is one of what the Council does ("Decides …", "Further requests …")
    rather than one of its considerations."""
    return _OPERATIVE.match(text.lstrip()) is not None


def structure(text: NormalisedText, resolution: Resolution) -> NormalisedText:
    """The text with each block's section set: the header and preamble "Preamble", then
    each operative paragraph with its sub-paragraphs ("Paragraph 2"; a short one joins its
    predecessor, and passages are named for the paragraphs they hold: "Paragraphs 4–5"),
    the adoption line with the last paragraph. Operative clauses before the numbered ones
    ("Reaffirms its resolution 38 (1948)" in 47 (1948)) are the "Operative part", not the
    preamble; a short lead-in ("Resolves:", "Decides that:") joins the first numbered
    paragraph it introduces."""
    groups: list[list[Block]] = []
    preamble: list[Block] = []
    unnumbered: list[Block] = []  # operative clauses before any numbered paragraph
    for block in text.blocks:
        if block.paragraph is None and not groups:
            if unnumbered or (preamble and opens_operative(block.text)):
                unnumbered.append(block)
            else:
                preamble.append(block)
        elif block.paragraph is not None and (
            not groups or groups[-1][-1].paragraph != block.paragraph
        ):
            groups.append([block])
        else:
            groups[-1].append(block)  # sub-paragraphs, closing lines: with the paragraph
    if groups and unnumbered and sum(len(b.text) for b in unnumbered) < SHORT_PARAGRAPH:
        groups[0][:0], unnumbered = unnumbered, []
    merged: list[list[Block]] = []
    for group in groups:
        size = sum(len(b.text) for b in group)
        if merged and size < SHORT_PARAGRAPH:
            merged[-1].extend(group)
        else:
            merged.append(list(group))
    if not merged:
        # No numbered paragraph (most resolutions before the 1960s): the text stays one
        # whole, unnamed. Cut into its considerations and its decision, such a short text
        # made passages too small to be found by what they are about (docs/evaluation.md).
        return text
    blocks = [replace(b, section="Preamble") for b in preamble]
    blocks.extend(replace(b, section=OPERATIVE_PART) for b in unnumbered)
    for group in merged:
        numbers = format_paragraphs([b.paragraph for b in group if b.paragraph]) or ""
        blocks.extend(replace(b, section=paragraphs_label(numbers)) for b in group)
    return replace(text, blocks=blocks)


# Capitalised words of the Council's own boilerplate, and of the verbs that open its clauses.
_BOILERPLATE = frozenset(
    """Security Council United Nations Secretary-General General Assembly Charter Member States
    State Government Governments Resolution Resolutions President Article Articles Chapter
    Organization Committee Commission Nations Members The In Its It This That Further Also
    Decides Requests Calls Urges Notes Recalling Noting Reaffirming Having Considering
    Expressing Taking Welcoming Deploring Condemns Adopted Distr Part International Court
    Justice Report Special Representative Mission Force Forces Parties Party Annex Statute
    Rules Procedure Permanent Letter Secretariat Office Agreement To RES For On At By""".split()  # noqa: SIM905
)
_NAME = re.compile(r"(?<![\w-])[A-Z][a-zA-Z'’-]+(?:\s+(?:of\s+the\s+|of\s+)?[A-Z][a-zA-Z'’-]+)*")
_ROMAN = re.compile(r"^[IVXLC]+$")


def subjects(text: str, count: int = 4) -> list[str]:
    """The names a resolution is about ("Iraq", "Kuwait"; "Namibia", "South Africa"): its
    most frequent capitalised words inside sentences, the Council's boilerplate left out. An
    operative paragraph ("Decides to remain seized of the matter") rarely names them itself."""
    flat = " ".join(text.split())
    counts: collections.Counter[str] = collections.Counter()
    for match in _NAME.finditer(flat):
        before = flat[max(0, match.start() - 4) : match.start()].rstrip()
        if not before or before[-1] in ".,;:(" or before[-1].isdigit():
            continue  # a clause's first word ("Recalling", "Decides") is capitalised anyway
        words = [w for w in match.group().split() if w not in _BOILERPLATE and not _ROMAN.match(w)]
        while words and words[0] in ("of", "the"):
            words.pop(0)
        while words and words[-1] in ("of", "the"):
            words.pop()
        if words:
            counts[" ".join(words)] += 1
    common = [name for name, n in counts.most_common(count) if n >= 2]
    return common or [name for name, _ in counts.most_common(1)]
