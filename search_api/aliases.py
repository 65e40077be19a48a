"""The names people give organisations and document types ("OCO", "the Security Council",
"communiqués"), for the words of a question (search_api/understanding.py) and the values of
a filter (search_api/filters.py) alike."""

from __future__ import annotations

import unicodedata

ORGANISATION_ALIASES = {
    "Oceania Customs Organisation": [
        "Oceania Customs Organisation", "Oceania Customs Organization", "Oceania Customs",
        "OCO", "customs conference", "customs organisation", "customs organization",
    ],
    "United Nations General Assembly": [
        "United Nations General Assembly", "UN General Assembly", "General Assembly",
        "General Debate", "UNGA",
    ],
    "United Nations Security Council": [
        "United Nations Security Council", "UN Security Council", "Security Council", "UNSC",
    ],
}  # fmt: skip
DOC_TYPE_WORDS = {
    "communique": ["communiqué", "communique", "communiqués", "communiques"],
    "resolution": ["resolution", "resolutions"],
    "speech": ["speech", "speeches", "statement", "statements"],
}


def canonical(field: str, value: str) -> str:
    """The value the index stores for a name of an organisation or a document type
    ("OCO" → "Oceania Customs Organisation", "Communiqués" → "communique"); any other value
    as it is."""
    table = ORGANISATION_ALIASES if field == "organisation" else DOC_TYPE_WORDS
    if field not in ("organisation", "doc_type"):
        return value
    wanted = _plain(value)
    for name, names in table.items():
        if wanted in {_plain(n) for n in (name, *names)}:
            return name
    return value


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces: "Communiqué" and "communique" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().replace("_", " ").split())
