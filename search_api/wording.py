"""The question's own wording: the scaffolding a question wraps around what it looks for.

"Which leader told the assembly that his parliament had said sorry …" looks for a passage in
which a parliament said sorry; "which leader told the assembly that" only says the answer is
somebody's speech, and embedded with the rest it pulls the question's vector towards every
passage about speaking. `content` takes off such scaffolding — a question word with a
reporting verb ("which minister said (that)", "what did Tuvalu say about") — and keeps the
subject when it names someone ("what did Tuvalu say about X" → "Tuvalu X"). Requests and
acts ("asked", "urged", "proposed") are what was done, and stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Nouns that only say "somebody" in "which … said": the answer's kind, not its content.
_ROLES = (
    "head of state|head of government|prime minister|foreign minister|minister|leader|"
    "president|premier|delegation|delegate|government|speaker|representative|official|"
    "country|nation|state|one"
)
_REPORTING = (
    "said|says|say|told|tells|tell|stated|states|described|describes|mentioned|mentions|"
    "argued|argues|claimed|claims|noted|notes|remarked|spoke|speaks|talked|talks|recounted|"
    "explained|declared|insisted|observed|commented"
)
_AUDIENCE = (
    r"(?:the\s+)?(?:general\s+assembly|assembly|un|united\s+nations|council|conference|world)"
)
_WHICH = re.compile(
    rf"^(?:which|what|who|whose)\s+(?P<subject>(?:[\w'’-]+\s+){{0,4}}?)"
    rf"(?:(?:{_ROLES})\s+)?(?:{_REPORTING})\b"
    rf"(?:\s+{_AUDIENCE})?(?:\s*,?\s*(?:that|about|of|on|how|whether)\b)?\s*,?\s*",
    re.IGNORECASE,
)
_WHAT_DID = re.compile(
    rf"^(?:what|how)\s+(?:did|does|do|has|have)\s+(?P<subject>(?:[\w'’-]+\s+){{0,6}}?)"
    rf"(?:say|tell|describe|mention|state|report|think|argue|claim)\b"
    rf"(?:\s+{_AUDIENCE})?(?:\s+(?:about|on|of|regarding|concerning)\b)?\s*",
    re.IGNORECASE,
)
_ROLE_ONLY = re.compile(rf"^(?:the\s+|a\s+|an\s+)?(?:{_ROLES})$", re.IGNORECASE)
# "what was said on …": no subject, only the verb's auxiliary.
_AUXILIARY = re.compile(
    r"^(?:was|were|is|are|has|have|had|did|does|do|will|would|can|could|been)\b", re.IGNORECASE
)


def content(question: str) -> str:
    """The question without its scaffolding; the question as written when nothing (or too
    little, under three words) would be left."""
    text = " ".join(question.split()).rstrip(" ?")
    for pattern in (_WHAT_DID, _WHICH):
        match = pattern.match(text)
        if match is None:
            continue
        subject = match.group("subject").strip()
        if _ROLE_ONLY.match(subject) or _AUXILIARY.match(subject):
            subject = ""
        rest = text[match.end() :]
        kept = f"{subject} {rest}".strip()
        if len(kept.split()) >= 3 or (subject and rest):
            return kept
    return text


def without(question: str, spans: Iterable[tuple[int, int]]) -> str:
    """The question without the characters of `spans` (start, end), its spaces tidied."""
    out, cursor = [], 0
    for start, end in sorted(spans):
        out.append(question[cursor:start])
        cursor = max(cursor, end)
    out.append(question[cursor:])
    return " ".join(" ".join(out).split())


# A symbol or number typed alone: "77/276", "A/RES/77/276", "E/CN.4/1998/53", "S/2022/123";
# its letters, if any, are a symbol's short capitals (A, RES, CN), never a word.
_LETTERS = re.compile(r"[^\W\d_]+")


def is_code(question: str) -> bool:
    """Whether the question is only a symbol or a number, which the model reads as noise
    ("77/276" embeds near resolution 276 (1970)) and the keyword leg matches as written."""
    letters = _LETTERS.findall(question)
    return any(c.isdigit() for c in question) and all(w.isupper() and len(w) <= 4 for w in letters)
