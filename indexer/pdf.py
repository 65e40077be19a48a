"""Text of a PDF, page by page, with pypdf.

Plain `extract_text` loses what a reader sees at once: which lines are headings (a larger or
bold font) and where paragraphs end (a wider gap between lines). The text visitor gives each
run's position, size and font, from which lines are rebuilt, headings marked in Markdown
style ("# ...") and paragraph gaps kept as blank lines, for the normaliser to read.

A PDF may be hostile: not a PDF at all, encrypted, truncated, damaged. `extract_pdf` turns
every failure into a DocumentError whose message says what to do, reads what pypdf can repair
(with a warning), and leaves out a page that cannot be read rather than the whole document.
A decompression bomb, or a PDF that never finishes parsing, is stopped by the time and memory
limits of the worker process that reads documents (indexer.documents, indexer.sandbox).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import re
import statistics
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

HEADING_SCALE = 1.12  # a line this much larger than body text is a heading
PARAGRAPH_GAP = 1.4  # a gap this much wider than the usual line spacing ends a paragraph
HEADER_WINDOW = 1024  # "%PDF-" must appear in the first 1 KiB (ISO 32000 §7.5.2, leniently)
TAIL_WINDOW = 1024  # a complete PDF has "%%EOF" this near its end
_OBJECT = re.compile(rb"(?<![0-9])(\d{1,10})\s+\d{1,5}\s+obj\b")  # "12 0 obj"
NO_TEXT = "no extractable text (scanned images?): OCR it first"


class DocumentError(Exception):
    """A document that cannot be read; the message says why, for the indexing summary."""


class LimitError(DocumentError):
    """Reading stopped at a limit on time or memory (or one of pypdf's safety limits): the
    file may be sound, and reading it with higher limits may succeed."""


@dataclass
class PdfText:
    pages: list[str]  # one string per page (1-based page N is item N-1)
    warnings: list[str] = field(default_factory=list)
    title: str | None = None  # the title its author gave it (document information)
    stated: dict = field(default_factory=dict)  # the rest of what that says: the author


# Titles that PDF writers fill in by themselves: a file name, "Microsoft Word - …", "Untitled",
# "PowerPoint Presentation".
_NO_TITLE = re.compile(
    r"^(?:microsoft\s+\w+\s+-\s|untitled\b|document\s*\d*$|slide\s*\d+$"
    r"|(?:(?:microsoft\s+)?powerpoint\s+)?presentation\s*\d*$)"
    r"|\.(?:docx?|pdf|odt|rtf|pptx?|indd|tex|dvi|txt|html?)$",
    re.IGNORECASE,
)
# A numbered part of a document as its heading: "Annex 1", "Appendix B", "Part II", "Chapter
# 3: Trade", "Session Four", "Agenda item 5".
_PART = re.compile(
    r"^(?:annex|appendix|attachment|schedule|part|chapter|section|session|article|item|"
    r"agenda\s+item)\s+(?:\d+|[ivxlc]+|[a-z]|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"\b",
    re.IGNORECASE,
)


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
    return extract_pdf(path).pages


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER_WINDOW)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from exc
    if b"%PDF-" in head:
        return
    start = head.lstrip()[:64].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        looks = "an HTML or XML page (a failed download?): download the PDF again"
    elif start.startswith(b"pk\x03\x04"):
        looks = "a ZIP archive (a Word or PowerPoint file?): export it to PDF"
    elif start.startswith(b"\xd0\xcf\x11\xe0"):
        looks = "an old Microsoft Office file: export it to PDF"
    else:
        looks = "another kind of file: give it its real type, or export it to PDF"
    raise DocumentError(f"not a PDF: no %PDF- header at its start; it looks like {looks}")


def extract_pdf(path: Path) -> PdfText:
    """Read a PDF in this process (no limits): its pages' text and what went wrong. A
    truncated file (an incomplete download) is read again with a stand-in trailer, so that
    pypdf rebuilds its table of objects and the pages that are there can be read."""
    _check_header(path)
    try:
        return _extract(path)
    except LimitError:
        raise
    except DocumentError as exc:
        data = path.read_bytes()
        if b"%%EOF" in data[-TAIL_WINDOW:]:
            raise
        first = exc
    cause = str(first).removeprefix("unreadable PDF: ")
    reason = (f"unreadable PDF, probably truncated (it does not end with %%EOF: an incomplete "
              f"download or copy?): {cause}")  # fmt: skip
    if b"/Encrypt" in data:
        raise DocumentError(reason) from first
    try:
        text = _extract(io.BytesIO(_with_trailer(data)), report_repairs=False)
    except LimitError:
        raise
    except DocumentError:
        raise DocumentError(reason) from first
    text.warnings.insert(0, "truncated PDF (it does not end with %%EOF): text was recovered "
                            "from the part that is there; get the complete file")  # fmt: skip
    return text


def _with_trailer(data: bytes) -> bytes:
    numbers = [int(n) for n in _OBJECT.findall(data)]
    size = max(numbers, default=0) + 1
    return data + b"\ntrailer\n<< /Size %d >>\nstartxref\n0\n%%%%EOF\n" % size


def _extract(source: Path | io.BytesIO, report_repairs: bool = True) -> PdfText:
    with _pypdf_complaints() as complaints:
        try:
            reader = PdfReader(source)
            _unlock(reader)
            pages = list(reader.pages)
        except DocumentError:
            raise
        except MemoryError:
            raise
        except Exception as exc:  # pypdf raises many types on malformed files
            raise _reading_error(exc) from exc
        if not pages:
            raise DocumentError("PDF has no pages")
        texts: list[str] = []
        failures: list[tuple[int, Exception]] = []
        for number, page in enumerate(pages, start=1):
            try:
                texts.append(_page_text(page))
            except MemoryError:
                raise
            except Exception as exc:
                failures.append((number, exc))
                texts.append("")
    if len(failures) == len(pages):
        raise _reading_error(failures[0][1]) from failures[0][1]
    notes: list[str] = []
    if failures:
        numbers = ", ".join(str(n) for n, _ in failures)
        notes.append(f"page(s) {numbers} could not be read and are left out: "
                     f"{_reading_error(failures[0][1])}")  # fmt: skip
    if not any(t.strip() for t in texts):
        raise DocumentError(f"PDF has {NO_TEXT}")
    failed = {n for n, _ in failures}
    blank = [str(n) for n, t in enumerate(texts, start=1) if not t.strip() and n not in failed]
    if blank and len(texts) > 1:
        notes.append(f"page(s) {', '.join(blank)} have no extractable text (scanned images?): "
                     "OCR the PDF to index them")  # fmt: skip
    if complaints and report_repairs:
        notes.extend(describe_complaints(complaints))
    stated = _information(reader)
    return PdfText(texts, notes, stated.pop("title", None), stated)


def _information(reader: PdfReader) -> dict:
    """What the PDF's document information says of it that a reader would: a title its author
    gave (not one its writer filled in), the author."""
    try:
        info = reader.metadata
        found = {"title": info.title, "author": info.author} if info else {}
    except Exception:  # a damaged information dictionary costs nothing but itself
        return {}
    stated = {}
    for key, value in found.items():
        if not isinstance(value, str):  # an array or a number where text belongs
            continue
        text = " ".join(value.split())
        if 3 <= len(text) <= 300 and re.search(r"[^\W\d_]{3}", text):
            stated[key] = text
    if _NO_TITLE.search(stated.get("title", "")):
        del stated["title"]
    return stated


# "fontTools is required to fully parse the encoding of a CFF Type1 font": pypdf lacks an
# optional package, which is not damage in the file.
_MISSING = re.compile(r"\b(?P<module>[A-Za-z_][\w.]*) is required\b")
_PACKAGES = {"fontTools": "fonttools", "cryptography": "cryptography", "PIL": "pillow"}


def describe_complaints(complaints: list[str]) -> list[str]:
    """What pypdf's complaints mean for the reader: a missing package named as such, the
    rest as a damaged file repaired while reading."""
    notes, damage, missing_packages = [], [], set()
    for complaint in complaints:
        missing = _MISSING.search(complaint)
        if missing:
            module = missing.group("module")
            package = _PACKAGES.get(module, module.lower())
            if package in missing_packages:  # once per package, not once per font
                continue
            missing_packages.add(package)
            notes.append(
                f"pypdf needs the package {package} to read part of this PDF "
                f"({complaint[:160]}): text may be missing; pip install {package}"
            )
        else:
            damage.append(complaint)
    if damage:
        shown = "; ".join(c[:160] for c in damage[:2])
        notes.append(f"damaged PDF, repaired while reading (pypdf: {shown}): "
                     "some text may be missing")  # fmt: skip
    return list(dict.fromkeys(notes))


def _unlock(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty user password (only its owner's permissions are
    protected), or say that it needs a password."""
    if not reader.is_encrypted:
        return
    try:
        ok = reader.decrypt("")
    except DependencyError as exc:
        raise _reading_error(exc) from exc
    except Exception as exc:
        raise DocumentError(f"encrypted PDF that cannot be opened ({exc})") from exc
    if not ok:
        raise DocumentError(
            "encrypted PDF: it needs a password to open; index a copy saved without the password"
        )


def _reading_error(exc: Exception) -> DocumentError:
    if isinstance(exc, DocumentError):
        return exc
    if isinstance(exc, LimitReachedError):
        # pypdf's own fixed caps: not a limit of ours that a setting could raise.
        return DocumentError(f"PDF goes over pypdf's safety limits (a decompression bomb?): {exc}")
    if isinstance(exc, DependencyError):
        return DocumentError(
            f"encrypted PDF that needs an extra package to decrypt ({exc}): "
            "pip install cryptography"
        )
    if isinstance(exc, FileNotDecryptedError):
        return DocumentError(f"encrypted PDF: it needs a password to open ({exc})")
    if isinstance(exc, RecursionError):
        return DocumentError("unreadable PDF: its objects are nested too deeply")
    return DocumentError(f"unreadable PDF: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def _pypdf_complaints() -> Iterator[list[str]]:
    """Collect what pypdf logs or warns about while it reads (it repairs damaged files)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = " ".join(record.getMessage().split())
            if message and message not in messages:
                messages.append(message)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        for warning in caught:
            message = " ".join(str(warning.message).split())
            if message not in messages:
                messages.append(message)
    finally:
        logger.removeHandler(handler)


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

    def joined(first: _Line, second: _Line) -> bool:
        """Two heading lines of one size close together are one heading wrapped over two
        lines, unless either is a numbered part of the document ("Annex 1", "Part II",
        "Session Four"): a title over its first part, two headings."""
        return not (_PART.match(first.text) or _PART.match(second.text))

    out: list[str] = []
    previous: _Line | None = None
    for line in lines:
        heading = is_heading(line)
        if previous is not None:
            gap = previous.y - line.y
            same_heading = heading and is_heading(previous) and abs(previous.size - line.size) < 0.5
            if same_heading and gap < 2 * line.size and joined(previous, line):
                out[-1] += " " + line.text  # a heading wrapped over two lines
                previous = line
                continue
            if heading or is_heading(previous) or gap > PARAGRAPH_GAP * spacing or gap < 0:
                out.append("")
        out.append(("# " + line.text) if heading else line.text)
        previous = line
    return "\n".join(out)
