"""British and American spellings of one word, so that the keyword leg finds "Organization"
for "organisation" and "defense" for "defence".

Regular endings are turned both ways (-ise/-ize, -isation/-ization, -yse/-yze, -ogue/-og);
the rest comes from a short list of irregular pairs. A variant that no passage holds costs
nothing: FTS5 finds no posting for it.
"""

from __future__ import annotations

import re

_PAIRS = {
    "colour": "color", "favour": "favor", "honour": "honor", "labour": "labor",
    "neighbour": "neighbor", "harbour": "harbor", "behaviour": "behavior", "rumour": "rumor",
    "vigour": "vigor", "endeavour": "endeavor", "humour": "humor", "savour": "savor",
    "centre": "center", "metre": "meter", "litre": "liter", "theatre": "theater",
    "fibre": "fiber", "calibre": "caliber", "defence": "defense", "offence": "offense",
    "licence": "license", "pretence": "pretense", "programme": "program", "catalogue":
    "catalog", "dialogue": "dialog", "analogue": "analog", "travelled": "traveled",
    "travelling": "traveling", "traveller": "traveler", "modelling": "modeling",
    "labelled": "labeled", "labelling": "labeling", "cancelled": "canceled", "fulfil": "fulfill",
    "enrol": "enroll", "instalment": "installment", "judgement": "judgment", "ageing": "aging",
    "acknowledgement": "acknowledgment", "sceptical": "skeptical", "grey": "gray",
    "cheque": "check", "tyre": "tire", "plough": "plow", "mould": "mold", "kerb": "curb",
    "aluminium": "aluminum", "paediatric": "pediatric", "anaemia": "anemia", "oestrogen":
    "estrogen", "manoeuvre": "maneuver", "foetus": "fetus", "jewellery": "jewelry",
}  # fmt: skip
_BOTH_WAYS = {**_PAIRS, **{american: british for british, american in _PAIRS.items()}}
# (British ending, American ending): the stem must be at least three letters.
_ENDINGS = (
    ("isation", "ization"), ("isations", "izations"), ("ise", "ize"), ("ised", "ized"),
    ("ises", "izes"), ("ising", "izing"), ("iser", "izer"), ("isers", "izers"),
    ("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"), ("ours", "ors"),
)  # fmt: skip
_WORD = re.compile(r"^[a-z]+$")


def variants(word: str) -> list[str]:
    """The other spelling(s) of a lower-case word; none for most words."""
    if not _WORD.match(word):
        return []
    found: list[str] = []
    if word in _BOTH_WAYS:
        found.append(_BOTH_WAYS[word])
    for british, american in _ENDINGS:
        for ending, other in ((british, american), (american, british)):
            stem = word[: -len(ending)]
            if word.endswith(ending) and len(stem) >= 3:
                found.append(stem + other)
    return [v for v in dict.fromkeys(found) if v != word]
