"""Turn raw document text into clean prose blocks: headings, labelled items and paragraphs.

Documents arrive hard-wrapped (old UN speeches break every few words), wrapped mid-sentence
(the communiqué), with byte-order marks, CRLF, PDF hyphenation and running footers. The
chunker works on the blocks produced here, so every passage reads as prose and knows the
page it starts on.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

TERMINAL = tuple('.!?;:"”’)')
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
# "1, Authorizes" is an OCR slip for "1. Authorizes" (capital after it).
_BULLET = re.compile(
    r"^(?:[-*•▪◦–]|\d{1,2}[.)]|\d{1,2},(?=\s+[A-Z])|\((?:[a-z]{1,4}|\d{1,3})\))\s+"
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
# "Session Four: ...", "Opening Ceremony: ...": a short capitalised label, a colon, then text.
_LABEL = re.compile(
    r"^(?P<label>[A-Z0-9][\w'’&/()-]*(?:[ ][\w'’&/()-]+){0,5}?)[ ]?:[ ]+(?P<body>\S.*)$"
)
# Page furniture: what a printed page carries besides its text. Page numbers ("5", "- 7 -",
# "Page 2", "2 of 3", "16/23"); the job numbers, dates and record symbols of the UN's running
# headers and footers ("4 05-51226", "94-12513 (E)", "29/09/2015 A/70/PV.18"). Never a line
# that goes on with a sentence ("467 (1980),", "1984;", "2015.") or a list ("[S/1393]", "(ii)").
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
_JOB_OR_DATE = re.compile(r"\b\d{2}-\d{5}\b|\b\d{1,2}/\d{1,2}/\d{4}\b")
_RUNNING_TOKENS = re.compile(
    r"^(?:(?:\d{2}-\d{5}(?:\s*\(E\))?|\d{1,2}/\d{1,2}/\d{4}|\d{1,4}(?:/\d{1,4})?"
    r"|[A-Z]+(?:/[A-Za-z0-9.]*[A-Za-z0-9])+)(?:\s+|$))+$"
)
_ALNUM = re.compile(r"[^\W_]")
# A document symbol printed on a line of its own, under a title ("[S/1393]", OCR's "[8/4357]").
_SYMBOL_LINE = re.compile(r"^[\[(]\s*[A-Z8]{1,2}/[^\[\]()]{1,30}[\])}]$")
_WORD3 = re.compile(r"[^\W\d_]{3,}")
_WORD_HYPHEN_END = re.compile(r"(\w+)-$")
_NEXT_WORD = re.compile(r"^(\w+)")
# A line-end hyphen is kept, whatever the document's other spellings, in compound numerals
# ("Twenty-\nseventh") and after the prefixes English writes with one ("non-\ngovernmental",
# "self-\ndetermination").
_TENS = frozenset(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))
_HYPHENATED_PREFIXES = frozenset(("non", "self"))


@dataclass(frozen=True)
class Block:
    """A heading, a labelled item or a paragraph, with its place in the normalised text."""

    kind: str  # "heading" | "item" | "paragraph"
    text: str
    start: int
    end: int
    page: int | None = None
    label: str | None = None  # for items: "Session Four"
    # The numbered paragraph the block is or belongs to ("2" for "2. Decides…" and for its
    # sub-items "(a) …"), as documents are cited: "para. 2".
    paragraph: str | None = None
    section: str | None = None  # a section set by the document's own structure (resolutions)


@dataclass(frozen=True)
class NormalisedText:
    text: str
    blocks: list[Block]
    # (offset, page) where each page's text begins, ascending; empty when not paged
    page_starts: list[tuple[int, int]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.page_starts, (offset, float("inf"))) - 1
        return self.page_starts[index][1] if index >= 0 else None


@dataclass
class _Line:
    text: str
    page: int | None
    raw_len: int
    # pages starting inside a joined line: (offset in text, first characters there, page)
    marks: list[tuple[int, str, int]] = field(default_factory=list)


def clean(text: str) -> str:
    """Strip byte-order marks and invisible characters; unify newlines and spaces."""
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    # A form feed is an old page break: the sentence goes on across it.
    text = re.sub(r"\n[ \t]*\f[ \t]*(?=\n)", "", text)
    text = text.replace("\f", "").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return "\n".join(_SPACES.sub(" ", line).rstrip() for line in text.split("\n"))


# A page number inside a running line, the digits already made "#": at its start or end
# beside a separator ("oco annual report 2023 | #", "# – outcome statement"), or after
# "page"/"p." ("page # of #").
_PAGE_MARK = re.compile(
    r"(?:^|[|–—·•:/-])\s*#+\s*$|^#+\s*[|–—·•:/-]|\bp(?:age|\.)\s*#+(?:\s*(?:of|/)\s*#+)?(?!\w)"
)


def _numbered_heading(key: str) -> bool:
    """A heading line numbered anew on each page ("annex #"), not a page number set in
    heading type, alone or beside a running title."""
    if not key.startswith("# "):
        return False
    text = key[2:]
    return not (_PAGE_NUMBER.match(text.replace("#", "1")) or _PAGE_MARK.search(text))


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop the page numbers and the headers/footers repeated on most pages at a PDF page's
    edges. Inside a page a number is text (a table's, a list's)."""

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip().lower())

    def edges(lines: list[str]) -> list[int]:
        content = [i for i, ln in enumerate(lines) if ln.strip()]
        return content[:2] + content[-2:]

    edge_counts: Counter[str] = Counter()
    inside: set[str] = set()  # lines seen away from every page's edges: body text
    written: dict[str, set[str]] = {}  # each key's lines as printed
    for lines in pages:
        at_edges = edges(lines)
        edge_counts.update({key(lines[i]) for i in at_edges})
        inside.update(key(ln) for i, ln in enumerate(lines) if ln.strip() and i not in at_edges)
        for i in at_edges:
            written.setdefault(key(lines[i]), set()).add(lines[i].strip())
    threshold = max(2, math.ceil(0.6 * len(pages)))
    # A running header or footer is on most pages, never inside one (a paragraph's line
    # that happens to open most pages is text), and is not the end of a sentence (a short
    # last line such as "members." may close several pages by chance).
    running = {
        k
        for k, n in edge_counts.items()
        if n >= threshold
        and k not in inside
        and (not k.rstrip().endswith((".", "!", "?")) or "#" in k)
        # a heading numbered anew on each page ("Annex 1", "Annex 2") is the document's own;
        # one printed the same on every page is a running header
        and not (_numbered_heading(k) and len(written[k]) > 1)
    }
    if len(pages) < 2:
        running = set()  # nothing runs over a single page
    stripped = []
    for lines in pages:
        furniture = {
            i
            for i in edges(lines)
            if key(lines[i]) in running or _PAGE_NUMBER.match(lines[i].strip())
        }
        stripped.append([ln for i, ln in enumerate(lines) if i not in furniture])
    return stripped


def _is_hard_wrapped(lines: list[_Line]) -> bool:
    body = [ln.text for ln in lines if ln.text.strip()]
    if len(body) < 8:
        return False
    unterminated = sum(1 for t in body if not t.rstrip().endswith(TERMINAL))
    return unterminated / len(body) > 0.4 and statistics.median(len(t) for t in body) < 120


def _join(previous: str, line: str, vocabulary: set[str]) -> str:
    """Join a wrapped line to the one before, undoing end-of-line hyphenation."""
    line = line.strip()
    # Only the end matters: searching the whole growing paragraph would be quadratic.
    hyphen = _WORD_HYPHEN_END.search(previous[-64:]) if previous.endswith("-") else None
    start = _NEXT_WORD.match(line)
    if hyphen and start:
        head, tail = hyphen.group(1), start.group(1)
        return previous + line if _keeps_hyphen(head, tail, vocabulary) else previous[:-1] + line
    return f"{previous} {line}"


def _keeps_hyphen(head: str, tail: str, vocabulary: set[str]) -> bool:
    """Whether `head-` at a line's end and `tail` at the next line's start are one hyphenated
    word ("e-commerce", "Secretary-General") rather than a word split by the line end."""
    if not tail[:1].islower():  # "Secretary-\nGeneral", "post-\n2015": a word never splits so
        return True
    hyphenated, joined = f"{head}-{tail}".lower(), (head + tail).lower()
    # The document's own spelling elsewhere decides ("e-commerce", "ceasefire").
    if hyphenated in vocabulary or joined in vocabulary:
        return hyphenated in vocabulary
    head = head.lower()
    return (
        head in _TENS
        or head in _HYPHENATED_PREFIXES
        or len(head) <= 2
        or (head in vocabulary and tail.lower() in vocabulary)
    )


def _starts_new_line(current: str, prev: str, line: str, hard_wrapped: bool, width: float) -> bool:
    """Decide whether physical `line` opens a new logical line after `current` (`prev` is the
    physical line before it)."""
    stripped = line.strip()
    if _BULLET.match(stripped) or _MD_HEADING.match(stripped):
        return True
    if _SYMBOL_LINE.match(stripped) or _SYMBOL_LINE.match(prev.strip()):
        return True  # a symbol line stands alone
    prev_ends = prev.rstrip().endswith(TERMINAL)
    label = _LABEL.match(EMPHASIS.sub(r"\2", stripped))
    if prev_ends and label and _is_label(label.group("label")):
        return True
    # A heading stands on its own line: nothing joins it, it joins nothing.
    if _looks_like_heading(current, width, hard_wrapped) and not stripped[:1].islower():
        return True
    if prev_ends and _looks_like_heading(stripped, width, hard_wrapped):
        return True
    if hard_wrapped:
        # A sentence that ends well short of the wrap width closes its paragraph.
        return prev_ends and len(prev.rstrip()) < 0.75 * width
    return prev_ends and not line[:1].isspace() and not stripped[:1].islower()


def _title_case(words: list[str], share: float) -> bool:
    content = [w.strip("()[]\"'“‘") for w in words if len(w) > 3]
    capitalised = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return bool(content) and capitalised / len(content) >= share


def _is_label(label: str) -> bool:
    return (len(label) <= 50 and _title_case(label.split(), 0.99)) or len(label.split()) == 1


def _looks_like_heading(text: str, width: float, strict: bool = False) -> bool:
    """A short, title-cased line without closing punctuation, or a short line ending in ':'.

    `strict` (hard-wrapped text, where any line may be a sentence fragment) asks for fully
    title-cased short lines only."""
    text = EMPHASIS.sub(r"\2", text.strip())
    if not text or _BULLET.match(text):
        return False
    if _MD_HEADING.match(text):
        return True
    words = text.rstrip(":").split()
    if not words or len(text) > 90 or len(words) > 12 or len(text) > 0.8 * max(width, 60):
        return False
    if text.endswith(":"):
        return len(words) <= 8 and words[0][:1].isupper() and _title_case(words, 0.7)
    if text.endswith((".", "!", "?", ";", ",")) or not (text[0].isupper() or text[0].isdigit()):
        return False
    if strict:
        return len(words) <= 6 and len(text) < 0.6 * width and _title_case(words, 0.99)
    return _title_case(words, 0.7)


def _unterminated(lines: list[_Line]) -> bool:
    for line in reversed(lines):
        if line.text.strip():
            return not line.text.rstrip().endswith(TERMINAL)
    return False


def _vocabulary(text: str) -> set[str]:
    """Words the document spells whole, leaving out those split by a line-end hyphen."""
    text = re.sub(r"\w+-[ \t]*\n\s*\w+", " ", text)
    return {w.lower() for w in re.findall(r"\w+(?:-\w+)+|\w+", text)}


def normalise(pages: list[str], paged: bool = False) -> NormalisedText:
    """Normalise raw text (one string per page for PDFs) into prose blocks.

    `paged` marks real page numbers (PDF): blocks then carry the 1-based page they start on.
    """
    cleaned = [clean(p) for p in pages]
    page_lines = [p.split("\n") for p in cleaned]
    if paged:
        page_lines = _strip_running_lines(page_lines)
    lines = _physical_lines(page_lines, paged, _repeated_furniture(page_lines))
    vocabulary = _vocabulary("\n".join(cleaned))
    hard_wrapped = _is_hard_wrapped(lines)
    lengths = sorted(len(ln.text.strip()) for ln in lines if ln.text.strip())
    width = float(lengths[int(0.75 * (len(lengths) - 1))]) if lengths else 80.0
    logical = _logical_lines(lines, vocabulary, hard_wrapped, width)
    return _to_blocks(logical, width, hard_wrapped)


def _repeated_furniture(page_lines: list[list[str]]) -> set[str]:
    """Lines without a word that a document prints three times or more and that end no
    sentence: a running header or footer of a text that lost its pages ("A/63/PV.13")."""
    counts = Counter(
        ln.strip()
        for page in page_lines
        for ln in page
        if ln.strip() and not _WORD3.search(ln) and any(c.isdigit() for c in ln)
    )
    return {line for line, n in counts.items() if n >= 3 and not line.endswith((*TERMINAL, ","))}


def _furniture(line: str, previous: str, paged: bool, repeated: set[str]) -> bool:
    """Whether a physical line is page furniture, not text (`previous`: the line before)."""
    stripped = line.strip()
    if not _ALNUM.search(stripped):
        return True  # a rule or a separator: "---", "____"
    # A page number ("Page 2 of 3", "5"), unless it ends a token the line before broke
    # ("S/Agenda/" + "2185"); a PDF's are dropped at its pages' edges (_strip_running_lines).
    if _PAGE_NUMBER.match(stripped):
        return not paged and not previous.rstrip().endswith("/")
    if _WORD3.search(stripped):
        return False
    return stripped in repeated or bool(
        _RUNNING_TOKENS.match(stripped) and _JOB_OR_DATE.search(stripped)
    )


def _physical_lines(page_lines: list[list[str]], paged: bool, repeated: set[str]) -> list[_Line]:
    """The pages' lines in order, without page furniture (page numbers, running headers and
    footers); a PDF's page breaks marked with a form feed."""
    lines: list[_Line] = []
    for number, page in enumerate(page_lines, start=1):
        if paged:  # a page break is not a paragraph break: trim the page's blank edges
            while page and not page[-1].strip():
                page = page[:-1]
            while page and not page[0].strip():
                page = page[1:]
        dropped = False
        previous = ""
        for raw in page:
            furniture = raw.strip() and _furniture(raw, previous, paged, repeated)
            previous = raw
            if furniture:
                dropped = True
                continue
            if not raw.strip() and dropped and _unterminated(lines):
                continue  # the blank line beside a dropped page number is no paragraph end
            dropped = dropped and not raw.strip()
            lines.append(_Line(raw, number if paged else None, len(raw)))
        if paged:
            lines.append(_Line("\f", number, 0))  # page break: joins like a wrapped line
    return lines


def _logical_lines(
    lines: list[_Line], vocabulary: set[str], hard_wrapped: bool, width: float
) -> list[_Line]:
    """Wrapped lines joined, blank lines as paragraph breaks; where a joined line crosses a
    page, a mark says on which page its continuation starts."""
    logical: list[_Line] = []
    current: _Line | None = None
    previous = ""
    current_page = None
    for line in lines:
        if line.text == "\f":
            continue
        if not line.text.strip():
            if current:
                logical.append(current)
            current = None
            if logical and logical[-1].text != "":
                logical.append(_Line("", line.page, 0))
            continue
        if current is None:
            current = _Line(line.text.strip(), line.page, line.raw_len)
        elif _starts_new_line(current.text, previous, line.text, hard_wrapped, width):
            logical.append(current)
            current = _Line(line.text.strip(), line.page, line.raw_len)
        else:
            marks = list(current.marks)
            joined = _join(current.text, line.text, vocabulary)
            if line.page != current_page:
                snippet = line.text.strip()[:12]
                marks.append((joined.rfind(snippet), snippet, line.page))
            current = _Line(joined, current.page, 0, marks)
        current_page = line.page
        previous = line.text
    if current:
        logical.append(current)
    return logical


def _to_blocks(logical: list[_Line], width: float, hard_wrapped: bool) -> NormalisedText:
    parts: list[str] = []
    blocks: list[Block] = []
    page_starts: list[tuple[int, int]] = []
    offset = 0
    paragraph: str | None = None  # the numbered paragraph sub-items belong to
    for i, line in enumerate(logical):
        if not line.text:
            continue
        kind, text, label, number, sub = _classify(logical, i, width, hard_wrapped)
        if not text:
            continue
        paragraph = number or (paragraph if sub and kind != "heading" else None)
        if parts:
            offset += 2  # "\n\n" between blocks
        blocks.append(Block(kind, text, offset, offset + len(text), line.page, label, paragraph))
        if line.page is not None:
            page_starts.extend(_page_marks(line, text, offset, page_starts))
        parts.append(text)
        offset += len(text)
    return NormalisedText("\n\n".join(parts), blocks, page_starts)


def _classify(
    logical: list[_Line], i: int, width: float, hard_wrapped: bool
) -> tuple[str, str, str | None, str | None, bool]:
    """(kind, text, label, paragraph number, is a sub-item) of a logical line. A paragraph
    number ("2.") and a sub-item's letter ("(a)") stay in the text: people cite by them;
    other bullets go."""
    text = EMPHASIS.sub(r"\2", logical[i].text).strip()
    md = _MD_HEADING.match(text)
    if md:
        return "heading", md.group(2).rstrip(":").strip(), None, None, False
    bullet = _BULLET.match(text)
    marker = bullet.group(0).strip() if bullet else ""
    number = marker.rstrip(".),") if marker[:1].isdigit() else None
    sub = marker.startswith("(")
    body = text[bullet.end() :] if bullet else text
    if bullet and not (number or sub):
        text = body
    label_match = _LABEL.match(body)
    if label_match and _is_label(label_match.group("label")):
        return "item", text, label_match.group("label").strip(), number, sub
    if not bullet and _looks_like_heading(
        text, width, hard_wrapped and not _standalone(logical, i)
    ):
        return "heading", text.rstrip(":").strip(), None, None, False
    return "paragraph", text, None, number, sub


def _page_marks(
    line: _Line, text: str, offset: int, page_starts: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """(offset, page) where the block's pages start: its own, and those a joined line
    crossed into."""
    marks = []
    if not page_starts or page_starts[-1][1] != line.page:
        marks.append((offset, line.page))
    # Markup and bullets removed shift offsets left by at most `removed`.
    removed = len(line.text) - len(text)
    for position, snippet, page in line.marks:
        found = text.find(snippet, max(0, position - removed - 1))
        at = found if found >= 0 else max(0, min(position - removed, len(text) - 1))
        marks.append((offset + at, page))
    return marks


def _standalone(logical: list[_Line], i: int) -> bool:
    """A line with blank lines on both sides is laid out on its own, as headings are."""
    before = i == 0 or not logical[i - 1].text
    after = i == len(logical) - 1 or not logical[i + 1].text
    return before and after
