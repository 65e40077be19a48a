"""Documents added and removed through the admin API: the files, never the index.

An upload is streamed from the request to a hidden temporary file in `corpus/uploads/`
(the indexer skips dot-files), counting bytes as they come: past the cap it is aborted
and the partial file removed, so a large body is never held in memory or kept on disk.
Its type is checked by extension and by content (a PDF starts with `%PDF-`; text and HTML
have no NUL byte and decode as text). It is then stored under a name the server chooses,
`uploads/<uuid4>.<ext>`, with a sidecar `<name>.meta.json` holding its metadata and the
client's file name (metadata only: never a path). Both are fsynced and renamed into place,
the sidecar first, so a build never sees the document without its metadata.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import tempfile
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from indexer.documents import PDF_SUFFIXES, SUPPORTED, DocumentError, decode, wide_text
from indexer.fields import BY_NAME, NAMES
from indexer.metadata import SIDECAR_SUFFIX, slug
from indexer.store import fsync_dir
from search_api.errors import ApiError

UPLOAD_DIR = "uploads"
FILE_FIELD = "file"
METADATA_FIELDS = NAMES  # a document's declared fields (indexer/fields.py)
FIELD_MAX_CHARS = 1000
FORM_OVERHEAD = 64 * 1024  # room for the metadata fields and multipart framing
SNIFF_BYTES = 1 << 20  # text is judged on its first MiB (NUL bytes are looked for in all)
_TOO_LARGE_HEADERS = {"Connection": "close"}  # the rest of the body is not read


def _umask() -> int:
    mask = os.umask(0o022)  # read at import (single-threaded), then put back
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # as an ordinary new file (mkstemp makes it 0600)


def supported_types() -> str:
    return ", ".join(sorted(SUPPORTED))


@dataclass
class Upload:
    temp: Path  # the received bytes, hidden in corpus/uploads until stored
    filename: str  # the client's file name: metadata only
    suffix: str
    size: int = 0
    fields: dict[str, str] = field(default_factory=dict)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"the document is larger than {limit / (1024 * 1024):g} MB, the most this server "
        "accepts (CONFSEARCH_MAX_UPLOAD_MB)",
        headers=_TOO_LARGE_HEADERS,
    )


def _client_filename(raw: bytes) -> str:
    """The last component of the client's file name, printable, at most 255 characters."""
    name = raw.decode("utf-8", errors="replace")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-255:]


class _Form:
    """python-multipart callbacks: the one file part written to disk as it arrives, the
    metadata fields (small, capped) kept in memory. A callback that raises stops parsing.
    File chunks are written from the callback (at most one network read, some kB: a write
    to the page cache, not worth a thread hop)."""

    def __init__(self, upload: Upload, out, max_bytes: int) -> None:
        self.upload, self.out, self.max_bytes = upload, out, max_bytes
        self.header_name = self.header_value = b""
        self.disposition = b""
        self.name: str | None = None
        self.is_file = False
        self.seen_file = False
        self.data = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.disposition, self.name, self.is_file = b"", None, False
        self.data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.strip().lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise ApiError(400, "a multipart part has no name in its Content-Disposition")
        self.name = options[b"name"].decode("utf-8", errors="replace")
        if b"filename" in options or self.name == FILE_FIELD:
            if self.name != FILE_FIELD:
                raise ApiError(422, f"send the document in the field {FILE_FIELD!r}")
            if self.seen_file:
                raise ApiError(422, "one document per upload")
            self.seen_file = self.is_file = True
            self.upload.filename = _client_filename(options.get(b"filename", b""))
            self.upload.suffix = Path(self.upload.filename).suffix.lower()
            if self.upload.suffix not in SUPPORTED:
                shown = self.upload.suffix or "(no extension)"
                raise ApiError(
                    415,
                    f"unsupported document type {shown}: upload one of {supported_types()}",
                )
        elif self.name not in METADATA_FIELDS:
            allowed = ", ".join((FILE_FIELD, *METADATA_FIELDS))
            raise ApiError(422, f"unknown field {self.name!r}; the fields are: {allowed}")
        elif self.name in self.upload.fields:
            raise ApiError(422, f"the field {self.name!r} is given twice")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.is_file:
            self.upload.size += len(chunk)
            if self.upload.size > self.max_bytes:
                raise _too_large(self.max_bytes)
            self.out.write(chunk)
        else:
            self.data += chunk
            if len(self.data) > 4 * FIELD_MAX_CHARS:
                raise ApiError(422, f"{self.name} is longer than {FIELD_MAX_CHARS} characters")

    def on_part_end(self) -> None:
        if self.is_file or self.name is None:
            return
        try:
            value = self.data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ApiError(422, f"{self.name} is not UTF-8 text") from None
        if len(value) > FIELD_MAX_CHARS:
            raise ApiError(422, f"{self.name} is longer than {FIELD_MAX_CHARS} characters")
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise ApiError(422, f"{self.name} contains control characters")
        if value:
            self.upload.fields[self.name] = value


async def receive(request: Request, corpus_dir: Path, max_bytes: int) -> Upload:
    """The uploaded document, on disk in a hidden temporary file under corpus/uploads."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or not params.get(b"boundary"):
        raise ApiError(
            415,
            f"send the document as multipart/form-data, the file in the field {FILE_FIELD!r} "
            f"(e.g. curl -F {FILE_FIELD}=@paper.pdf -F title=...)",
        )
    limit = max_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(max_bytes)
    folder = uploads_dir(corpus_dir)
    handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    upload = Upload(temp=Path(name), filename="", suffix="")
    try:
        with os.fdopen(handle, "wb") as out:
            form = _Form(upload, out, max_bytes)
            parser = MultipartParser(params[b"boundary"], form.callbacks())
            received = 0
            try:
                async for chunk in request.stream():
                    received += len(chunk)
                    if received > limit:
                        raise _too_large(max_bytes)
                    parser.write(chunk)
                parser.finalize()
            except ClientDisconnect:
                raise ApiError(400, "the upload was interrupted") from None
            except ApiError:
                raise
            except Exception as exc:  # python-multipart's parse errors
                raise ApiError(400, f"the multipart body is malformed ({exc})") from None
        if not form.seen_file:
            raise ApiError(422, f"no document: send it in the multipart field {FILE_FIELD!r}")
        return upload
    except BaseException:
        upload.temp.unlink(missing_ok=True)
        raise


def uploads_dir(corpus_dir: Path) -> Path:
    root = Path(corpus_dir).resolve()
    folder = root / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.resolve().is_relative_to(root) or folder.is_symlink():
        raise ApiError(403, f"{UPLOAD_DIR}/ in the corpus folder is a link: uploads refused")
    return folder


def sniff(path: Path, suffix: str) -> str | None:
    """Why the file's content is not of the type its extension says; None when it is."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        if suffix in PDF_SUFFIXES:
            return None if head.startswith(b"%PDF-") else "it does not start with %PDF-"
        if head.startswith(b"%PDF-"):
            return "it is a PDF: send it with a .pdf name"
        # UTF-16 and UTF-32 text holds NUL bytes by design; other text none anywhere
        block = b"" if wide_text(head) else head
        while block:
            if b"\x00" in block:
                return "it has NUL bytes: binary data, not text"
            block = handle.read(1 << 20)
    if not head:
        return None
    if len(head) == SNIFF_BYTES:  # do not judge a character cut in two at the end
        with contextlib.suppress(UnicodeDecodeError):
            head = head[: codecs.utf_8_decode(head, "strict", False)[1]]
    try:
        decode(head)  # the indexer's own judgement: UTF-8, or Windows-1252 that reads as text
    except DocumentError as exc:
        return str(exc)
    return None


def _metadata(upload: Upload) -> dict:
    values: dict = {}
    for name, value in upload.fields.items():
        try:
            values[name] = BY_NAME[name].value(value)
        except ValueError as exc:
            raise ApiError(422, f"{name}: {exc}") from None
    values["filename"] = upload.filename
    values["uploaded"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return values


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def store(upload: Upload, corpus_dir: Path) -> dict:
    """Check the received file and put it in place with its sidecar; {id, source, filename}.
    The temporary file is gone afterwards, stored or refused."""
    try:
        if upload.size == 0:
            raise ApiError(422, "the document is empty")
        problem = sniff(upload.temp, upload.suffix)
        if problem:
            raise ApiError(415, f"{upload.filename!r} is not a {upload.suffix} document: {problem}")
        metadata = _metadata(upload)
        folder = upload.temp.parent
        stored = folder / f"{uuid.uuid4().hex}{upload.suffix}"
        sidecar = folder / (stored.name + SIDECAR_SUFFIX)
        pending = folder / f".{sidecar.name}.part"
        _write_durably(pending, json.dumps(metadata, ensure_ascii=False, indent=1).encode())
        os.replace(pending, sidecar)
        with upload.temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        upload.temp.chmod(_FILE_MODE)
        os.replace(upload.temp, stored)
        fsync_dir(folder)
    finally:
        upload.temp.unlink(missing_ok=True)
    source = f"{UPLOAD_DIR}/{stored.name}"
    return {"id": slug(source), "source": source, "filename": upload.filename}


def remove(corpus_dir: Path, source: str) -> list[str]:
    """Delete a document's file and its sidecar from the corpus; the paths removed. A source
    that would lead outside the corpus folder (`..`, an absolute path, a link) is refused."""
    root = Path(corpus_dir).resolve()
    relative = Path(source)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ApiError(403, f"{source!r} is not a path inside the corpus folder")
    path = root / relative
    inside = path.parent.resolve().is_relative_to(root)
    if not inside or not Path(os.path.realpath(path)).is_relative_to(root):
        raise ApiError(403, f"{source!r} lies outside the corpus folder: not removed")
    removed = []
    for candidate in (path, path.with_name(path.name + SIDECAR_SUFFIX)):
        if candidate.is_file() or candidate.is_symlink():
            candidate.unlink()  # a link itself, never what it points to
            removed.append(candidate.relative_to(root).as_posix())
    if removed:
        fsync_dir(path.parent)
    return removed
