"""Find the documents of a corpus and read each into normalised text."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from indexer.html import html_to_text
from indexer.normalise import NormalisedText, normalise
from indexer.pdf import DocumentError, read_pdf_pages

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
IGNORE_FILE = ".confsearchignore"

__all__ = ["DocumentError", "LoadedDocument", "discover", "load"]


@dataclass
class LoadedDocument:
    source: str
    text: NormalisedText
    html_title: str | None = None
    warnings: list[str] = field(default_factory=list)


def _ignore_patterns(root: Path) -> list[str]:
    path = root / IGNORE_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _ignored(source: str, patterns: list[str]) -> bool:
    """gitignore-style: `name` anywhere, `dir/` a folder anywhere, `a/b*` from the root."""
    name = source.rsplit("/", 1)[-1]
    folders = source.split("/")[:-1]
    for pattern in patterns:
        if pattern.endswith("/"):
            folder = pattern.strip("/")
            if "/" in folder:
                if source.startswith(folder + "/"):
                    return True
            elif any(fnmatchcase(part, folder) for part in folders):
                return True
            continue
        pattern = pattern.lstrip("/")
        bare = pattern.removeprefix("**/")
        if fnmatchcase(source, pattern) or ("/" not in bare and fnmatchcase(name, bare)):
            return True
    return False


def discover(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Sources (relative paths) of the documents under root, and (source, reason) of files
    left out that a user might have expected in."""
    patterns = _ignore_patterns(root)
    found, skipped = [], []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            source = path.relative_to(root).as_posix()
            if _ignored(source, patterns):
                continue
            suffix = path.suffix.lower()
            if suffix not in SUPPORTED:
                if not name.endswith((".meta.json", ".csv")):
                    skipped.append((source, f"unsupported file type {suffix or '(none)'}"))
                continue
            found.append(source)
    return found, skipped


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); else Windows-1252, which decodes any byte, with a warning."""
    if b"\x00" in data[:8192]:
        raise DocumentError("binary data, not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), ["not UTF-8: decoded as Windows-1252"]


def load(root: Path, source: str, max_bytes: int | None = None) -> LoadedDocument:
    """Read one document; raises DocumentError with a reason a person can act on."""
    path = root / source
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise DocumentError("empty file")
    if max_bytes is not None and size > max_bytes:
        raise DocumentError(f"file of {size} bytes is over the limit of {max_bytes} bytes")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        doc = LoadedDocument(source, normalise(read_pdf_pages(path), paged=True))
    else:
        raw, warnings = decode(path.read_bytes())
        title = None
        if suffix in HTML_SUFFIXES:
            title, raw = html_to_text(raw)
        doc = LoadedDocument(source, normalise([raw]), title or None, warnings)
    if not doc.text.text.strip():
        raise DocumentError("no text in the document")
    return doc
