"""Text of an HTML page, its headings and paragraphs kept as blocks."""

from __future__ import annotations

from html.parser import HTMLParser

_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head"}
_BLOCKS = {"p", "div", "li", "tr", "section", "article", "blockquote", "pre", "dd", "dt", "br",
           "table", "ul", "ol", "main", "aside", "figure", "figcaption"}  # fmt: skip
_HEADINGS = {f"h{i}" for i in range(1, 7)}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._svg = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self._svg += 1
        if tag in _SKIP:
            self._skip += 1
        elif tag == "title" and not self._svg:  # an icon's <title> is not the page's
            self._in_title = True
        elif tag in _HEADINGS:
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("\n\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = max(0, self._svg - 1)
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


def html_to_text(markup: str) -> tuple[str, str]:
    """Return (title, text) where headings become Markdown headings and blocks paragraphs."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return " ".join(parser.title.split()), "".join(parser.parts)
