"""Sentence boundaries for prose in English conference documents.

Passages end at sentence boundaries and highlights mark whole sentences, so the splitter must
not break "Mr. President", "U.N.", "No. 5", "e.g." or "3.5 per cent".
"""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "hon", "rev", "gen", "col", "lt", "capt",
    "sen", "rep", "amb", "no", "nos", "vol", "art", "para", "paras", "sec", "ch", "fig", "p",
    "pp", "cf", "vs", "etc", "al", "approx", "inc", "ltd", "co", "corp", "dept", "est", "govt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "e.g", "i.e", "u.n", "u.s", "u.k", "h.e", "a.m", "p.m",
}  # fmt: skip
# A candidate end: . ! ? (or …) possibly followed by closing quotes/brackets, then space
# (checked after the match: a lookahead here would retry each mark of a long run of them).
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_NON_SPACE = re.compile(r"\S")


def split_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences in text[start:end], whitespace trimmed.

    Every non-space character of the range belongs to exactly one span, so nothing is lost.
    The work is linear in the range's length: each candidate end looks at a bounded window
    around it, never at the rest of the range."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    sentence_start = start
    for match in _CANDIDATE.finditer(text, start, end):
        stop = match.end()
        if stop < end and not text[stop].isspace():
            continue
        if not _is_boundary(text, match.start(), stop, end):
            continue
        spans.append((sentence_start, stop))
        sentence_start = stop
    if sentence_start < end:
        spans.append((sentence_start, end))
    # Paragraph breaks inside the range are boundaries too.
    result: list[tuple[int, int]] = []
    for s, e in spans:
        for part_start, part_end in _split_on_blank_lines(text, s, e):
            trimmed = _trim(text, part_start, part_end)
            if trimmed:
                result.append(trimmed)
    return result


def _split_on_blank_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    parts, cursor = [], start
    for m in re.finditer(r"\n\s*\n", text[start:end]):
        parts.append((cursor, start + m.start()))
        cursor = start + m.end()
    parts.append((cursor, end))
    return parts


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _is_boundary(text: str, mark_start: int, mark_end: int, limit: int) -> bool:
    marks = text[mark_start:mark_end]
    nxt = _NON_SPACE.search(text, mark_end, limit)  # the next sentence's first character
    if nxt is None:
        return True
    if marks.startswith(".") and len(marks.rstrip("\"'”’)]")) == 1:
        word = _WORD_BEFORE.search(text[max(0, mark_start - 40) : mark_start])
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
            return False
        # Initials ("J. Smith", "U.N.") and single letters.
        if len(token.rstrip(".")) == 1 and token[:1].isalpha():
            return False
        # A paragraph's own number ("9. Decides that …") opens it; it ends nothing.
        if token.isdigit() and len(token) <= 3 and _opens_line(text, mark_start - len(token)):
            return False
    # A sentence starts with a capital, a digit, a quote or a bracket; lowercase continues.
    first = nxt.group()
    return not first.islower()


def _opens_line(text: str, at: int) -> bool:
    """Whether only whitespace comes before `at` on its line (looking back no further than
    that whitespace, not to the line's start)."""
    while at > 0 and text[at - 1] != "\n" and text[at - 1].isspace():
        at -= 1
    return at == 0 or text[at - 1] == "\n"


def split(text: str) -> list[str]:
    return [text[s:e] for s, e in split_spans(text)]
