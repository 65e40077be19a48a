"""Text of a PDF, page by page, with pypdf.

Plain `extract_text` loses what a reader sees at once: which lines are headings (a larger or
bold font) and where paragraphs end (a wider gap between lines). The text visitor gives each
run's position, size and font, from which lines are rebuilt, headings marked in Markdown
style ("# ...") and paragraph gaps kept as blank lines, for the normaliser to read.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

HEADING_SCALE = 1.12  # a line this much larger than body text is a heading
PARAGRAPH_GAP = 1.4  # a gap this much wider than the usual line spacing ends a paragraph


class DocumentError(Exception):
    """A document that cannot be read; the message says why, for the indexing summary."""


@dataclass
class _Run:
    y: float
    x: float
    size: float
    bold: bool
    text: str


@dataclass
class _Line:
    y: float
    size: float
    bold: bool
    text: str


def read_pdf_pages(path: Path) -> list[str]:
    """One string per page (1-based page N is item N-1)."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise DocumentError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not ok:
                raise DocumentError("encrypted PDF (a password is needed)")
        pages = [_page_text(page) for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed files
        raise DocumentError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    if not any(p.strip() for p in pages):
        raise DocumentError("PDF has no extractable text (scanned images?): OCR it first")
    return pages


def _page_text(page) -> str:
    runs: list[_Run] = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text:
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        font = str((font_dict or {}).get("/BaseFont", ""))
        y = tm[5] * cm[3] + cm[5]
        x = tm[4] * cm[0] + cm[4]
        runs.append(_Run(round(y, 1), x, font_size * scale, "Bold" in font, text))

    plain = page.extract_text(visitor_text=visit) or ""
    lines = _lines(runs)
    if not lines:
        return plain
    return _layout(lines)


def _lines(runs: list[_Run]) -> list[_Line]:
    lines: list[_Line] = []
    group: list[_Run] = []

    def close() -> None:
        text = "".join(r.text for r in sorted(group, key=lambda r: r.x)).replace("\n", " ")
        text = " ".join(text.split())
        if text:
            chars = Counter()
            for r in group:
                chars[(r.size, r.bold)] += len(r.text.strip())
            (size, _), _ = chars.most_common(1)[0]
            bold = all(r.bold for r in group if r.text.strip())
            lines.append(_Line(group[0].y, size, bold, text))
        group.clear()

    for run in runs:
        if group and abs(run.y - group[0].y) > 1.0:
            close()
        group.append(run)
        if run.text.endswith("\n"):
            close()
    if group:
        close()
    return lines


def _layout(lines: list[_Line]) -> str:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    body = weights.most_common(1)[0][0]
    gaps = [a.y - b.y for a, b in itertools.pairwise(lines) if 0 < a.y - b.y < 4 * body]
    spacing = statistics.median(gaps) if gaps else body * 1.2

    def is_heading(line: _Line) -> bool:
        short = len(line.text) < 90
        return line.size >= body * HEADING_SCALE or (line.bold and short and line.size >= body)

    out: list[str] = []
    previous: _Line | None = None
    for line in lines:
        heading = is_heading(line)
        if previous is not None:
            gap = previous.y - line.y
            same_heading = heading and is_heading(previous) and abs(previous.size - line.size) < 0.5
            if same_heading and gap < 2 * line.size:
                out[-1] += " " + line.text  # a heading wrapped over two lines
                previous = line
                continue
            if heading or is_heading(previous) or gap > PARAGRAPH_GAP * spacing or gap < 0:
                out.append("")
        out.append(("# " + line.text) if heading else line.text)
        previous = line
    return "\n".join(out)
