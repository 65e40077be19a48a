"""Render the OCO communiqué text as a small, deterministic PDF document (used by build_corpus.py).

The text arrives as received: a title block, headings that end in ":", list items that start
with "- " and are sometimes hard-wrapped (continuation lines start with a space), one item whose
bullet was lost (it starts with a space after a blank line), and markdown ``**bold**`` labels.
The PDF turns that into a document layout and adds a running footer with page numbers, so that
the indexer meets a realistic multi-page PDF with a repeated footer to strip.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

FOOTER_LEFT = "OCO Secretariat — 26th Annual Conference Communiqué"
# Built-in Helvetica covers WinAnsi (cp1252): é, en/em dashes and curly quotes included, and
# needs no font file, so the PDF is the same on every machine.
FONT, FONT_BOLD, FONT_ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
# A5 with a 10 pt body puts the communiqué on 3-4 pages (checked by the caller).
PAGE_SIZE = A5
MARGIN = 16 * mm
FOOTER_Y = 9 * mm

_BODY = ParagraphStyle(
    "body", fontName=FONT, fontSize=10, leading=14, alignment=TA_JUSTIFY, spaceAfter=6
)
STYLES = {
    "title": ParagraphStyle(
        "title", fontName=FONT_BOLD, fontSize=15, leading=19, alignment=TA_CENTER, spaceAfter=8
    ),
    "subtitle": ParagraphStyle(
        "subtitle", fontName=FONT_BOLD, fontSize=11.5, leading=15, alignment=TA_CENTER, spaceAfter=4
    ),
    "dateline": ParagraphStyle(
        "dateline", fontName=FONT, fontSize=10.5, leading=14, alignment=TA_CENTER, spaceAfter=8
    ),
    "theme": ParagraphStyle(
        "theme", fontName=FONT_ITALIC, fontSize=10.5, leading=14, alignment=TA_CENTER, spaceAfter=12
    ),
    "heading": ParagraphStyle(
        "heading",
        fontName=FONT_BOLD,
        fontSize=11.5,
        leading=15,
        spaceBefore=8,
        spaceAfter=5,
        keepWithNext=1,
    ),
    "body": _BODY,
    "item": ParagraphStyle("item", parent=_BODY, spaceAfter=5),
    "signature": ParagraphStyle("signature", fontName=FONT, fontSize=10, leading=14, spaceBefore=4),
}


def parse_blocks(text: str) -> list[tuple[str, str]]:
    """Split the communiqué into (kind, text) blocks: kind is "para" or "item"."""
    blocks: list[list[str]] = []  # [kind, text]
    open_block = False
    for line in text.splitlines():
        if not line.strip():
            open_block = False
        elif line.startswith("- "):
            blocks.append(["item", line[2:].strip()])
            open_block = True
        elif line[0].isspace() and open_block:  # hard-wrapped continuation
            blocks[-1][1] += " " + line.strip()
        else:
            # An indented line that starts a block is a list item whose bullet was lost.
            blocks.append(["item" if line[0].isspace() else "para", line.strip()])
            open_block = True
    return [(kind, body) for kind, body in blocks]


def _markup(text: str) -> str:
    """Escape for reportlab's paragraph markup and turn markdown **bold** into <b>."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", escape(text))


def build_story(text: str) -> list:
    blocks = parse_blocks(text)
    long_paras = [i for i, (kind, body) in enumerate(blocks) if kind == "para" and len(body) > 200]
    first_long, last_long = long_paras[0], long_paras[-1]
    story: list = []
    items: list = []
    style = ""

    def flush_items() -> None:
        if items:
            # An en dash, not "•": reportlab writes U+2022 as WinAnsi 0x7F, which text
            # extractors return as a control character.
            story.append(
                ListFlowable(
                    list(items),
                    bulletType="bullet",
                    start="–",
                    bulletFontName=FONT,
                    bulletFontSize=10,
                    leftIndent=12,
                )
            )
            items.clear()

    for i, (kind, body) in enumerate(blocks):
        if kind == "item":
            items.append(ListItem(Paragraph(_markup(body), STYLES["item"])))
            continue
        flush_items()
        if i < first_long:  # title block
            if body.startswith("Theme:"):
                style = "theme"
            else:
                style = ("title", "subtitle", "dateline")[min(i, 2)]
        elif i > last_long and len(body) < 40:  # "OCO Secretariat" / "July 2024"
            if style != "signature":  # space between the text and the signature block
                story.append(Spacer(1, 8))
            style = "signature"
        elif body.endswith(":") and len(body) < 60:
            style = "heading"
        else:
            style = "body"
        story.append(Paragraph(_markup(body), STYLES[style]))
    flush_items()
    return story


class _FooterCanvas(canvas.Canvas):
    """Defers pages until save() so that each footer can say "Page N of M"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, len(self._pages))
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width, _ = PAGE_SIZE
        self.saveState()
        self.setStrokeColor(colors.grey)
        self.setLineWidth(0.4)
        self.line(MARGIN, FOOTER_Y + 10, width - MARGIN, FOOTER_Y + 10)
        self.setFont(FONT, 7.5)
        self.setFillColor(colors.dimgrey)
        self.drawString(MARGIN, FOOTER_Y, FOOTER_LEFT)
        self.drawRightString(width - MARGIN, FOOTER_Y, f"Page {number} of {total}")
        self.restoreState()


def render_communique_pdf(text: str, out_path: Path, *, title: str, author: str) -> int:
    """Write the PDF (byte-identical for the same input) and return its page count."""
    try:
        (text + FOOTER_LEFT).encode("cp1252")
    except UnicodeEncodeError as exc:  # the built-in font has no glyph for it
        bad = exc.object[exc.start]
        raise ValueError(f"character not in Helvetica's WinAnsi set: {bad!r}") from None
    doc = SimpleDocTemplate(
        str(out_path),
        pagesize=PAGE_SIZE,
        invariant=1,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=author,
        subject=title,
        creator="confsearch scripts/build_corpus.py",
    )
    doc.build(build_story(text), canvasmaker=_FooterCanvas)
    return doc.page
