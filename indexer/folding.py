"""Typographic ligatures and full-width letters folded for matching, the document's text
kept as written.

PDFs set "ﬁ", "ﬂ", "ﬀ" … (U+FB00–FB06) as one character: indexed as such, neither leg
matches "filled" or "Hausdorff". A keyboard in a CJK input mode types "ＴＵＶ ２０１９"
(U+FF01–FF5E), which reads no country or year and matches no word. Both legs, and the
reading of questions, see the folded text ("ﬁ" → "fi", "Ｔ" → "T": compatibility
normalisation of those characters only); passages, highlights and offsets keep the
document's own characters. `fold` returns, with the folded text, where each original
offset lands in it, so that spans measured on the original can be moved.
"""

from __future__ import annotations

import re
import unicodedata

_FOLDED = re.compile("[\ufb00-\ufb06\uff01-\uff5e]")


def fold(text: str) -> tuple[str, list[int]]:
    """(folded text, offsets): offsets[i] is where text[i] starts in the folded text, and
    offsets[len(text)] its length."""
    if not _FOLDED.search(text):
        return text, list(range(len(text) + 1))
    parts, offsets, position = [], [], 0
    for char in text:
        offsets.append(position)
        folded = unicodedata.normalize("NFKC", char) if _FOLDED.match(char) else char
        parts.append(folded)
        position += len(folded)
    offsets.append(position)
    return "".join(parts), offsets


def folded(text: str) -> str:
    """The text as both legs match it."""
    return fold(text)[0] if _FOLDED.search(text) else text
