"""Typographic ligatures folded for matching, the document's text kept as written.

PDFs set "ﬁ", "ﬂ", "ﬀ" … (U+FB00–FB06) as one character: indexed as such, neither leg
matches "filled" or "Hausdorff". Both legs see the folded text ("ﬁ" → "fi", compatibility
normalisation of those characters only); passages, highlights and offsets keep the
document's own characters. `fold` returns, with the folded text, where each original
offset lands in it, so that spans measured on the original can be moved.
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = re.compile("[\ufb00-\ufb06]")


def fold(text: str) -> tuple[str, list[int]]:
    """(folded text, offsets): offsets[i] is where text[i] starts in the folded text, and
    offsets[len(text)] its length."""
    if not _LIGATURES.search(text):
        return text, list(range(len(text) + 1))
    parts, offsets, position = [], [], 0
    for char in text:
        offsets.append(position)
        folded = unicodedata.normalize("NFKC", char) if _LIGATURES.match(char) else char
        parts.append(folded)
        position += len(folded)
    offsets.append(position)
    return "".join(parts), offsets


def folded(text: str) -> str:
    """The text as both legs match it."""
    return fold(text)[0] if _LIGATURES.search(text) else text
