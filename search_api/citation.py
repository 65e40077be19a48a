"""Citations a researcher can paste: a passage's ("S/RES/660 (1990), para. 2"), and a
document's as BibTeX or RIS for reference managers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from indexer.resolutions import OPERATIVE_PART

if TYPE_CHECKING:  # results.py uses this module for Hit.citation
    from search_api.results import DocumentInfo


def cite_passage(
    document: DocumentInfo, paragraphs: str | None, section: str | None, page: int | None
) -> str:
    """The document's symbol (or title), then where: its paragraphs, the preamble or the
    unnumbered operative part of a resolution, or the page."""
    values = document.values
    name = values.get("symbol") or values.get("title") or document.id
    if paragraphs:
        label = "para." if paragraphs.isdigit() else "paras."
        return f"{name}, {label} {paragraphs}"
    if values.get("doc_type") == "resolution" and section in ("Preamble", OPERATIVE_PART):
        return f"{name}, {section.lower()}"  # "preamble", "operative part"
    if page is not None:
        return f"{name}, p. {page}"
    return name


def _authors(document: DocumentInfo) -> list[str]:
    """The authors the document names (its front matter, <meta> or PDF information: one, or
    a list), else the country that spoke (a speech's author, not the Assembly it spoke to)
    or the organisation that issued it."""
    values, named = document.values, document.extra.get("author")
    names = named if isinstance(named, list) else [named]
    names = [str(name).strip() for name in names if isinstance(name, str | int | float)]
    names = [name for name in names if name]
    issuers = [values.get("organisation"), values.get("country_name")]
    if values.get("doc_type") == "speech":
        issuers.reverse()
    return names or [next((i for i in issuers if i), "Unknown")]


def _key(document: DocumentInfo) -> str:
    symbol = document.values.get("symbol")
    # a second copy of a resolution (indexer/build.py) must not share its original's key
    base = document.id if document.extra.get("duplicate_of") else symbol or document.id
    return re.sub(r"[^A-Za-z0-9]+", "", base) or "document"


# LaTeX's special characters, in one pass (a backslash's replacement holds braces)
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    **{c: "\\" + c for c in "{}&%$#_"},
}  # fmt: skip


def _bibtex_escape(text: str) -> str:
    return re.sub(r"[\\~^{}&%$#_]", lambda m: _BIBTEX_SPECIAL[m.group(0)], text)


def bibtex(document: DocumentInfo, url: str | None = None) -> str:
    """A @misc entry (BibTeX has no type for resolutions; biblatex reads @misc too); the
    authors each in braces, as an institution's name is."""
    values = document.values
    fields = {
        "author": " and ".join("{" + _bibtex_escape(a) + "}" for a in _authors(document)),
        "title": "{" + _bibtex_escape(values.get("title") or document.id) + "}",
        "year": values.get("year"),
        "date": values.get("date"),
        "number": values.get("symbol"),
        "howpublished": values.get("conference") or values.get("symbol"),
        "url": url,
        "note": f"Adopted at meeting {values['meeting']}" if values.get("meeting") else None,
    }
    lines = [f"@misc{{{_key(document)},"]
    for name, value in fields.items():
        if value not in (None, ""):
            verbatim = name in ("author", "title", "url")  # braced or read as is (biblatex)
            shown = value if verbatim else _bibtex_escape(str(value))
            lines.append(f"  {name} = {{{shown}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def ris(document: DocumentInfo, url: str | None = None) -> str:
    """An RIS record: GOVDOC for resolutions and communiqués, SPEECH for speeches."""
    values = document.values
    kind = {"speech": "SPEECH"}.get(values.get("doc_type") or "", "GOVDOC")
    date = values.get("date") or ""
    lines = [
        ("TY", kind),
        *(("AU", author) for author in _authors(document)),
        ("TI", values.get("title") or document.id),
        ("PY", values.get("year")),
        ("DA", date.replace("-", "/") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None),
        ("M1", values.get("symbol")),
        ("T2", values.get("conference")),
        ("CY", values.get("place")),
        ("UR", url),
        ("ER", ""),
    ]
    return "\r\n".join(f"{tag}  - {value}" for tag, value in lines if value not in (None,)) + "\r\n"
