"""Text of an HTML page, its headings and paragraphs kept as blocks, and what its <meta>
tags and <html lang> say of it (date, language, place, author)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from indexer.fields import day_of

_SKIP = {"script", "style", "nav", "noscript", "template", "svg", "head"}
# A page's own header and footer (banner, site links) are chrome; an article's or a
# section's (its title, byline, "Adopted unanimously …") are its text.
_CHROME = {"header", "footer"}
_CONTENT = {"article", "main", "section"}
_BLOCKS = {"p", "div", "li", "tr", "section", "article", "blockquote", "pre", "dd", "dt", "br",
           "table", "ul", "ol", "main", "aside", "figure", "figcaption", "header", "footer",
           "caption"}  # fmt: skip
_CELLS = {"td", "th"}
_HEADINGS = {f"h{i}" for i in range(1, 7)}
# <meta name|property|itemprop=… content=…> → a field, most specific first: Dublin Core,
# Google Scholar's citation_*, Open Graph's article:*, schema.org's itemprop.
_META = {
    "date": ("citation_publication_date", "citation_date", "dcterms.issued", "dc.date.issued",
             "dcterms.date", "dc.date", "article:published_time", "datepublished", "date",
             "dcterms.created"),
    "title": ("citation_title", "dc.title", "dcterms.title"),
    "og_title": ("og:title",),
    "place": ("citation_conference_place", "geo.placename"),
    "conference": ("citation_conference_title",),
    "author": ("citation_author", "dc.creator", "dcterms.creator", "author"),
}  # fmt: skip
_LANG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*$")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._svg = 0
        self._in_title = False
        self._content = 0  # depth inside article, main or section
        self._chrome: list[bool] = []  # each open header/footer: skipped as chrome?
        self._cells = 0  # cells begun in the current table row
        self._heading: list[str] | None = None  # the first h1 of an article, as it is read
        self.article_title = ""
        self.meta: dict[str, str] = {}  # <meta> name → content, names in lower case
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("meta", "html"):
            named = dict(attrs)
            if tag == "html":
                self.lang = (named.get("lang") or named.get("xml:lang") or "").strip()
            key = named.get("name") or named.get("property") or named.get("itemprop")
            content = " ".join((named.get("content") or "").split())
            if key and content:
                self.meta.setdefault(key.strip().lower(), content)
            return
        if tag == "svg":
            self._svg += 1
        if tag in _CONTENT:
            self._content += 1
        if tag in _CHROME:
            chrome = not self._content
            self._chrome.append(chrome)
            self._skip += chrome
        if tag in _SKIP:
            self._skip += 1
        elif tag == "title" and not self._svg:  # an icon's <title> is not the page's
            self._in_title = True
        elif self._skip:
            return
        elif tag == "h1" and self._content and not self.article_title and self._heading is None:
            self._heading = []
            self.parts.append("\n\n# ")
        elif tag in _HEADINGS:
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n\n- ")
        elif tag == "tr":  # a row as one line, its cells apart: "Suva | 1200", not "Suva1200"
            self._cells = 0
            self.parts.append("\n\n- ")
        elif tag in _CELLS:
            self.parts.append(" | " if self._cells else "")
            self._cells += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = max(0, self._svg - 1)
        if tag in _CONTENT:
            self._content = max(0, self._content - 1)
        if tag == "h1" and self._heading is not None:
            self.article_title = " ".join("".join(self._heading).split())
            self._heading = None
        if tag in _CHROME and self._chrome:
            self._skip = max(0, self._skip - self._chrome.pop())
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS or tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            # Source line breaks inside a paragraph are not breaks in the rendered page.
            self.parts.append(" ".join(data.split("\n")))
            if self._heading is not None:
                self._heading.append(data)


def html_to_text(markup: str) -> tuple[str, str]:
    """Return (title, text) where headings become Markdown headings and blocks paragraphs."""
    title, text, _ = read_html(markup)
    return title, text


def read_html(markup: str) -> tuple[str, str, dict]:
    """(title, text, what the page says of itself). The title is the one its catalogue
    <meta> gives (citation_title, Dublin Core's), else an article's own h1, else Open Graph's,
    else <title>: a site's pages often share one <title> ("OCO Secretariat"). The rest (date,
    language, place, conference, author) comes from <meta> tags and <html lang>, as a
    Markdown file's front matter does."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    stated = {}
    for name, keys in _META.items():
        value = next((parser.meta[k] for k in keys if k in parser.meta), None)
        if value:
            stated[name] = value
    if "date" in stated:  # "2024-07-31T10:00:00+12:00", "2024/07/31": the day
        stated["date"] = day_of(stated["date"])
    lang = _LANG.match(parser.lang)
    if lang:
        stated["language"] = lang.group(1).lower()
    catalogued, shared = stated.pop("title", ""), stated.pop("og_title", "")
    title = catalogued or parser.article_title or shared or " ".join(parser.title.split())
    return title, "".join(parser.parts), stated
