"""Find the documents of a corpus and read each into normalised text."""

from __future__ import annotations

import codecs
import dataclasses
import errno
import os
import stat
import unicodedata
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from indexer import sandbox
from indexer.html import read_html
from indexer.markdown import markdown_to_text
from indexer.normalise import Block, NormalisedText, normalise
from indexer.pdf import DocumentError, LimitError, extract_pdf

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
IGNORE_FILE = ".confsearchignore"

TIMEOUT_S = 60.0  # wall-clock seconds to read and normalise one document
MEMORY_MB = 1024  # memory (address space of the worker process) to read one document
NUL_WINDOW = 8192  # NUL bytes in this many first bytes: binary (as git and grep decide)
SAMPLE_CHARS = 65536  # characters looked at, at the start, middle and end, to judge text
MAX_NON_TEXT = 0.05  # more control or unassigned characters than this share: not text
MAX_FALLBACK_NON_ASCII = 0.30  # Windows-1252 text in a Western language has far fewer
MIN_JUDGED_CHARS = 256  # shorter text is not judged by its share of non-ASCII characters
_BOMS = [  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
]
_WHITESPACE_CONTROLS = set("\t\n\r\f\v")

__all__ = ["DocumentError", "LimitError", "LoadedDocument", "discover", "load", "read_document"]


@dataclass
class LoadedDocument:
    source: str
    text: NormalisedText
    # the title the file gives itself: HTML <title> or <meta>, front matter, a PDF's information
    html_title: str | None = None
    warnings: list[str] = field(default_factory=list)
    stated: dict = field(default_factory=dict)  # what else it says of itself (date, author …)


def _ignore_patterns(root: Path) -> list[str]:
    path = root / IGNORE_FILE
    if not path.is_file():
        return []
    lines = path.read_bytes().decode("utf-8-sig", errors="replace").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _ignored(source: str, patterns: list[str], is_dir: bool = False) -> bool:
    """gitignore-style: `name` anywhere, `dir/` a folder anywhere, `a/b*` from the root."""
    name = source.rsplit("/", 1)[-1]
    folders = source.split("/") if is_dir else source.split("/")[:-1]
    for pattern in patterns:
        if pattern.endswith("/"):
            folder = pattern.strip("/")
            if "/" in folder:
                if (source + "/" if is_dir else source).startswith(folder + "/"):
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
    left out that a user might have expected in: unsupported types, links that are broken,
    loop or lead out of the corpus, links to folders (not followed) and special files."""
    patterns = _ignore_patterns(root)
    real_root = os.path.realpath(root)
    found, skipped = [], []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            path = Path(folder) / name
            if path.is_symlink():  # os.walk does not follow it: say so
                dirs.remove(name)
                source = path.relative_to(root).as_posix()
                if not _ignored(source, patterns, is_dir=True):
                    skipped.append((source, _folder_link_reason(path, real_root)))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            source = path.relative_to(root).as_posix()
            if _ignored(source, patterns):
                continue
            suffix = path.suffix.lower()
            checked = suffix in SUPPORTED or path.is_symlink()
            problem = _name_problem(source) or (_path_problem(path, real_root) if checked else None)
            if problem:
                skipped.append((source, problem))
                continue
            if suffix not in SUPPORTED:
                if not name.endswith((".meta.json", ".csv")):
                    skipped.append((source, f"unsupported file type {suffix or '(none)'}"))
                continue
            found.append(source)
    return found, skipped


def _name_problem(source: str) -> str | None:
    """A name that is not UTF-8 (os.walk gives its bytes as surrogates) cannot be stored."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(source).decode("utf-8", errors="backslashreplace")
        return f"file name is not valid UTF-8 ({shown}): rename it"
    return None


def _folder_link_reason(path: Path, real_root: str) -> str:
    target = os.path.realpath(path)
    if not _inside(target, real_root):
        return f"symbolic link to a folder outside the corpus ({target}), not followed"
    return (
        "symbolic link to a folder, not followed (it could repeat the corpus or loop): "
        "move or copy the folder into the corpus to index it"
    )


def _inside(real_path: str, real_root: str) -> bool:
    return os.path.commonpath([real_path, real_root]) == real_root


def _path_problem(path: Path, real_root: str) -> str | None:
    """Why `path` is not a file of the corpus that can be read (None when it is): a symbolic
    link that is broken, loops or points outside the corpus; a folder; a device or pipe."""
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return None  # missing: load() says it cannot be read
    if is_link:
        target = os.readlink(path)
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"symbolic link loop ({path.name} -> {target}): fix or remove the link"
            if exc.errno == errno.ENOENT:
                return f"broken symbolic link: its target {target} does not exist"
            return f"cannot follow symbolic link to {target}: {exc.strerror or exc}"
    real = os.path.realpath(path)
    if not _inside(real, real_root):
        return (
            f"symbolic link points outside the corpus (to {real}): copy the file into the "
            "corpus to index it"
        )
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode) and not os.access(path, os.R_OK):
        return "cannot read: permission denied (check the file's permissions)"
    if not stat.S_ISREG(mode):
        kind = (
            "a folder" if stat.S_ISDIR(mode)
            else "a named pipe" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )  # fmt: skip
        return f"not a regular file ({kind}): only files are indexed"
    return None


def decode(data: bytes) -> tuple[str, list[str]]:
    """Text of a file's bytes, and warnings about how it was decoded: UTF-8, or UTF-16 or
    UTF-32 with a byte-order mark (or UTF-16 without one); else Windows-1252, which decodes
    any byte, with a warning. Binary data raises DocumentError: NUL bytes, or too many
    characters that text does not have."""
    warnings: list[str] = []
    text = None
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                text = body.decode(codec, errors="replace")
                warnings.append(f"{name} text with invalid bytes: they were replaced with �")
            break
    fallback = False
    if text is None:
        head = data[:NUL_WINDOW]
        if b"\x00" in head:
            text = _bomless_utf16(data)
            if text is None:
                raise DocumentError(
                    "binary data, not text (it has NUL bytes): is it another kind of file "
                    "named as text?"
                )
            warnings.append("UTF-16 text without a byte-order mark: decoded as UTF-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
                fallback = True
                warnings.append(
                    "not UTF-8: decoded as Windows-1252; check its accented letters, or "
                    "save it as UTF-8"
                )
    _check_text(text, fallback)
    return text, warnings


def wide_text(data: bytes) -> bool:
    """Whether `data` (a file's first bytes) is UTF-16 or UTF-32 text, whose NUL bytes are
    parts of characters, not signs of binary data."""
    marks = tuple(bom for bom, _, name in _BOMS if name != "UTF-8")
    return data.startswith(marks) or _bomless_utf16(data[:NUL_WINDOW]) is not None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly ASCII text has a NUL in every other byte."""
    sample = data[: NUL_WINDOW - NUL_WINDOW % 2]
    if len(sample) < 4:
        return None
    for codec, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if zeros.count(0) >= 0.7 * len(zeros):
            try:
                return data[: len(data) - len(data) % 2].decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def _sample(text: str) -> str:
    if len(text) <= 3 * SAMPLE_CHARS:
        return text
    middle = len(text) // 2
    return text[:SAMPLE_CHARS] + text[middle : middle + SAMPLE_CHARS] + text[-SAMPLE_CHARS:]


def _check_text(text: str, fallback: bool) -> None:
    """Refuse binary data that happened to decode: many control, unassigned, private-use or
    replaced characters, or (decoded as Windows-1252) mostly characters outside ASCII."""
    sample = _sample(text)
    if not sample:
        return
    odd = 0
    for char in sample:
        if char == "\ufffd":
            odd += 1
        elif not char.isprintable() and char not in _WHITESPACE_CONTROLS:
            odd += unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}
    if odd > max(2, MAX_NON_TEXT * len(sample)):
        raise DocumentError(
            f"binary data, not text ({odd / len(sample):.0%} of its characters are control "
            "or unknown characters): is it another kind of file named as text?"
        )
    if fallback and len(sample) >= MIN_JUDGED_CHARS:  # a few accented words may be most of it
        non_ascii = sum(1 for char in sample if ord(char) > 127)
        if non_ascii > MAX_FALLBACK_NON_ASCII * len(sample):
            raise DocumentError(
                f"not text in a known encoding ({non_ascii / len(sample):.0%} of its bytes are "
                "outside ASCII and it is not UTF-8): binary data, or text in another encoding "
                "that should be saved as UTF-8"
            )


def load(
    root: Path,
    source: str,
    max_bytes: int | None = None,
    *,
    timeout_s: float | None = TIMEOUT_S,
    memory_mb: float | None = MEMORY_MB,
    isolated: bool = True,
) -> LoadedDocument:
    """Read one document; raises DocumentError with a reason a person can act on.

    The document is read and normalised in a worker process (indexer.sandbox) that is
    stopped after `timeout_s` seconds or when it needs more than `memory_mb` MB (None: no
    limit), which raises LimitError: a decompression bomb or a file that takes for ever to
    parse cannot hang or exhaust the indexer. `isolated=False` reads it here, without limits."""
    path = root / source
    problem = _name_problem(source) or _path_problem(path, os.path.realpath(root))
    if problem:
        raise DocumentError(problem)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise DocumentError("empty file")
    if max_bytes is not None and size > max_bytes:
        raise LimitError(
            f"file of {size} bytes is over the limit of {max_bytes} bytes: raise the file size "
            "limit to index it"
        )
    if not isolated or not sandbox.SUPPORTED:
        return read_document(root, source)
    noun = "PDF" if path.suffix.lower() in PDF_SUFFIXES else "document"
    pool = sandbox.shared_pool(preload=(__name__,))
    try:
        reply = pool.call(f"{__name__}:_read_job", [str(root), source], timeout_s, memory_mb)
    except sandbox.SandboxTimeout as exc:
        raise LimitError(
            f"{noun} took longer than {timeout_s:g} s to read and was stopped (pathological "
            "or very large?): raise the time limit for reading a document if it is genuine"
        ) from exc
    except sandbox.SandboxMemoryError as exc:
        raise LimitError(
            f"{noun} needs more than {memory_mb:g} MB of memory to read and was stopped (a "
            "decompression bomb?): raise the memory limit for reading a document if it is "
            "genuine"
        ) from exc
    except sandbox.SandboxCrash as exc:
        raise DocumentError(f"unreadable {noun}: its reader crashed ({exc})") from exc
    except sandbox.SandboxJobError as exc:
        raise DocumentError(f"unreadable {noun}: {exc.type_name}: {exc.message}") from exc
    except sandbox.SandboxUnavailable:  # logged once by the pool
        return read_document(root, source)
    if "error" in reply:
        raise (LimitError if reply["limit"] else DocumentError)(reply["error"])
    return _from_json(reply)


def read_document(root: Path, source: str) -> LoadedDocument:
    """Read and normalise one document in this process, without limits."""
    path = root / source
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        pdf = extract_pdf(path)
        text = normalise(pdf.pages, paged=True)
        doc = LoadedDocument(source, text, pdf.title, pdf.warnings, pdf.stated)
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read: {exc.strerror or exc}") from exc
        if data.startswith(b"%PDF-"):  # a PDF saved with a text extension: read what it is
            pdf = extract_pdf(path)
            named = f"a PDF named {suffix or 'without an extension'}: read as a PDF"
            text = normalise(pdf.pages, paged=True)
            loaded = LoadedDocument(source, text, pdf.title, [named, *pdf.warnings], pdf.stated)
            return _with_text(loaded)
        raw, warnings = decode(data)
        title, stated = None, {}
        if suffix in HTML_SUFFIXES:
            title, raw, stated = read_html(raw)
        elif suffix in MARKDOWN_SUFFIXES:
            title, raw, stated = markdown_to_text(raw)
        doc = LoadedDocument(source, normalise([raw]), title or None, warnings, stated)
    return _with_text(doc)


def _with_text(doc: LoadedDocument) -> LoadedDocument:
    if not doc.text.text.strip():
        raise DocumentError("no text in the document")
    return doc


def _read_job(root: str, source: str) -> dict:
    """In the worker: read_document as JSON, or {"error": reason, "limit": ...}."""
    try:
        doc = read_document(Path(root), source)
    except DocumentError as exc:
        return {"error": str(exc), "limit": isinstance(exc, LimitError)}
    except RecursionError:
        return {"error": "document nested too deeply to read", "limit": False}
    return dataclasses.asdict(doc)


def _from_json(data: dict) -> LoadedDocument:
    text = data["text"]
    normalised = NormalisedText(
        text=text["text"],
        blocks=[Block(**block) for block in text["blocks"]],
        page_starts=[tuple(start) for start in text["page_starts"]],
    )
    return LoadedDocument(
        data["source"], normalised, data["html_title"], data["warnings"], data["stated"]
    )
