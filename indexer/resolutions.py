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

import collections
import re
from dataclasses import dataclass, field, replace
from datetime import date

from indexer import countries
from indexer.chunking import format_paragraphs, paragraphs_label
from indexer.normalise import Block, NormalisedText

ORGANISATION = "United Nations Security Council"
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip
_MONTHS = {m[:3]: i for i, m in enumerate(_MONTH_NAMES, start=1)}  # "Apri]" is still April
# OCR slips seen in the collection: "ef 15 June", "of 3 Apri] 1991".
_DATE = r"(?P<day>\d{1,2})[a-z]?\s+(?P<month>[A-Z][a-z\]]{2,})\s*,?\s+(?P<dyear>\d{4})"
# "Resolution 242 (1967) of 22 November 1967", "Resolution 290 of 8 December 1970",
# "1 (1946). Resolution of 25 January 1946", "Resolution 1454 (2002) Adopted by the Security
# Council at its 4683rd meeting, on 30 December 2002"
_HEADER = re.compile(
    r"(?:^|\n)\s*(?:(?i:resolution)\s+(?P<n1>\d{1,4})(?:\s*\((?P<y1>[\d\s-]{4,7})\))?"
    r"|(?P<n2>\d{1,4})\s*\((?P<y2>\d{4})\)\s*\.?\s*Resolution)"
    r"(?:\s+\d{1,3}(?=\s))?"  # a footnote mark after the number
    r"(?:\s*(?:[oe]f|Adopted by the Security Council at its \w+ meeting,\s*on)\s+" + _DATE + ")?"
)
# A header run into the text before it (resolution 851 follows a statement): only with its
# date, and "Resolution" capitalised, which references in the text are not.
_HEADER_INLINE = re.compile(
    r"Resolution\s+(?P<n1>\d{1,4})\s*\((?P<y1>\d{4})\)(?P<n2>)(?P<y2>)\s+of\s+" + _DATE
)
_MEETING = re.compile(
    r"Ad[oa]pted\s+(?P<how>unanimously,?\s+|without\s+a\s+vote,?\s+)?"
    r"(?:by the Security Council\s+)?"
    r"at\s+(?:the|its)\s+(?P<meeting>\d[\d ]{0,5})(?:st|nd|rd|th)_?\s+meeting"
    r"(?P<rest>[^.]{0,240})"
)
_VOTES = re.compile(
    r"by\s+(?P<yes>\d{1,2})\s+votes?\s+to\s+(?P<no>none|\d{1,2})"
    r"(?:\s*\([^)]*\))?(?:\s*,?\s*with\s+(?P<abst>\d{1,2}|I|one)\s+abstentions?)?"
)
_TOPIC = re.compile(r"^[A-Z][A-Z ,.'’()&/-]{3,80}$")  # "MILITARY STAFF COMMITTEE"
_COUNCIL = re.compile(r"\bSecurity\s+Council\b")
_FILE_NUMBER = re.compile(r"S_RES_0*(\d+)_", re.IGNORECASE)


@dataclass
class Resolution:
    number: int
    year: int | None
    date: str | None  # ISO 8601
    topic: str | None = None
    meeting: int | None = None
    vote: str | None = None  # unanimous | recorded | without vote | consensus
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstaining: int | None = None
    countries: list[str] = field(default_factory=list)  # ISO codes of those it is about
    header_end: int = 0  # offset in the text where the header ends
    warnings: list[str] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        return f"S/RES/{self.number}" + (f" ({self.year})" if self.year else "")

    @property
    def title(self) -> str:
        when = f" of {_long_date(self.date)}" if self.date else ""
        year = f" ({self.year})" if self.year else ""
        return f"Resolution {self.number}{year}{when}"

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
    resolution.countries = countries.mentioned(text.text, year=year)
    _check_file_name(source, resolution)
    if written and written.isdigit() and when and written != when[:4]:
        resolution.warnings.append(
            f"the header says ({written}) but the resolution is dated {when}"
        )
    return resolution


def _iso_date(match: re.Match) -> str | None:
    if not match.group("day"):
        return None
    month = _MONTHS.get(match.group("month")[:3])
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


def _read_adoption(text: str, resolution: Resolution) -> None:
    flat = " ".join(text.split())
    match = _MEETING.search(flat)
    if match is None:
        return
    resolution.meeting = int(match.group("meeting").replace(" ", ""))
    how = " ".join((match.group("how") or "").replace(",", " ").split())
    rest = match.group("rest")
    votes = _VOTES.search(rest)
    if how == "unanimously":
        resolution.vote = "unanimous"
    elif how.startswith("without"):
        resolution.vote = "without vote"
    elif "consensus" in rest[:40]:
        resolution.vote = "consensus"
    elif votes:
        resolution.vote = "recorded"
        resolution.votes_for = int(votes.group("yes"))
        resolution.votes_against = 0 if votes.group("no") == "none" else int(votes.group("no"))
        abstaining = votes.group("abst")
        resolution.votes_abstaining = (
            0 if abstaining is None else 1 if abstaining in ("I", "one") else int(abstaining)
        )


def adopted(text: str) -> bool:
    """Whether a block of text holds an adoption line ("Adopted at the 230th meeting …")."""
    return _MEETING.search(" ".join(text.split())) is not None


def _check_file_name(source: str, resolution: Resolution) -> None:
    named = _FILE_NUMBER.search(source.rsplit("/", 1)[-1])
    if named and int(named.group(1)) != resolution.number:
        resolution.warnings.append(
            f"the file name says resolution {int(named.group(1))} but the text is "
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
