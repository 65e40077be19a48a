"""The index on disk: a folder of generations and a pointer to the published one.

    INDEX_DIR/
      CURRENT                 name of the published generation ("gen-20261128T041500-3f2a")
      gen-.../manifest.json   format, model, dimension, counts, versions, SHA-256 of each file
      gen-.../passages.sqlite documents, passages (text, section, page, offsets, sentences)
      gen-.../vectors.faiss   unit vectors, inner product = cosine; FAISS id = passage id
      gen-.../embeddings.npy  the same vectors in float32, for re-use by the next build
      gen-.../sentence_vectors.npy  float16, one row per sentence of every passage, in order:
                              the dense leg's re-scoring and highlights (memory-mapped)
      gen-.../sentence_offsets.npy  int64: passage i's sentences are rows offsets[i]:offsets[i+1]
      gen-.../sentence_alone.npy    float16, the same sentences each embedded on its own: what
                              a long question's clauses are matched against (dense leg)
      gen-.../keyword_*.npy, passage_lengths.npy  the keyword leg's posting lists
                              (indexer/postings.py)

A build writes a new generation beside the published one, syncs it to disk and then replaces
CURRENT atomically, so a reader never sees a half-written index. Published generations are
never modified; the previous one is kept as a fallback.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from indexer import postings, vector_index
from indexer.checksums import sha256_file
from indexer.fields import FIELDS, NAMES
from indexer.folding import folded

log = logging.getLogger(__name__)

FORMAT_VERSION = 11
POINTER = "CURRENT"
KEEP_GENERATIONS = 2
FILES = ("passages.sqlite", "vectors.faiss", "embeddings.npy", "sentence_vectors.npy",
         "sentence_alone.npy", "sentence_offsets.npy", *postings.FILES)  # fmt: skip

# How passages_fts splits and stems words; the keyword leg tokenizes questions the same way to
# look their words up in passages_vocab.
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
DOCUMENT_COLUMNS = ("id", "source", *NAMES, "extra", "citations", "content_sha256",
                    "fingerprint", "text", "passage_count")  # fmt: skip


def _document_table() -> str:
    fields = ",\n".join(
        f"    {f.name} {f.sql_type}" + (" NOT NULL" if f.required or f.default is not None else "")
        for f in FIELDS
    )
    indexes = "".join(
        f"CREATE INDEX documents_{f.name} ON documents({f.name}"
        + (" COLLATE NOCASE" if f.type is str else "")
        + ");\n"
        for f in FIELDS
        if f.sql_index
    )
    return f"""CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
{fields},
    extra TEXT NOT NULL DEFAULT '{{}}',
    citations TEXT NOT NULL DEFAULT '[]',  -- JSON [[number, year, paragraph], ...]
    content_sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    text TEXT NOT NULL,
    passage_count INTEGER NOT NULL
);
{indexes}"""


SCHEMA = (
    _document_table()
    + f"""
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,              -- row of the FAISS index
    document_id TEXT NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL,
    section TEXT, page INTEGER, page_end INTEGER,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_sha TEXT NOT NULL,             -- same text in two renditions collapses in results
    embed_key TEXT NOT NULL,            -- model + embedded text: vectors re-used across builds
    sentences TEXT NOT NULL,            -- JSON [[start, end], ...] relative to text
    paragraphs TEXT                     -- numbered paragraphs it holds: "2", "4–5"
);  -- each passage's sentence vectors: sentence_vectors.npy, rows sentence_offsets.npy[id:id+2]
-- The keyword leg: bm25 over title, section and text (contentless: the text is in passages).
CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, section, text, content='', tokenize='{FTS_TOKENIZER}'
);
-- Passages holding each FTS5 token, copied from passages_fts at publish (an fts5vocab table
-- would count a token by reading its whole posting list at every question), where its
-- postings begin in keyword_rows.npy and its id, by which pair_keys.npy names two tokens
-- that follow one another (indexer/postings.py). The keyword leg leaves out the words too
-- common to score at scale (search_api/keyword.py).
CREATE TABLE passages_vocab (
    term TEXT PRIMARY KEY, id INTEGER NOT NULL, docs INTEGER NOT NULL, first INTEGER NOT NULL
) WITHOUT ROWID;
-- Resolutions each document refers to (indexer/citations.py), from documents.citations at
-- publish: "cites" and "cited by" in both directions.
CREATE TABLE citations (
    document_id TEXT NOT NULL REFERENCES documents(id),
    number INTEGER NOT NULL,              -- the resolution referred to
    year INTEGER,                         -- its year, as the reference gives it
    paragraph TEXT NOT NULL               -- where: "preamble", an operative paragraph, "operative"
);
CREATE TABLE skipped (               -- files left out, so an unchanged one is not retried
    source TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX passages_document ON passages(document_id, ordinal);
CREATE INDEX passages_embed_key ON passages(embed_key);
CREATE INDEX citations_number ON citations(number);
CREATE INDEX citations_document ON citations(document_id);
"""
)
_INSERT_DOCUMENT = (
    f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in DOCUMENT_COLUMNS)})"
)


class IndexError_(Exception):
    """The index is missing or unreadable; the message says what to do."""


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


class GenerationWriter:
    """Writes one new generation; `publish` makes it the one readers open."""

    def __init__(self, index_dir: Path, dimension: int, index_type: str = "auto") -> None:
        vector_index.choose(0, index_type)  # fail early on an unknown type
        index_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.index_dir = index_dir
        # The sequence number orders generations even when two builds share a second.
        self.name = f"gen-{next_sequence(index_dir):06d}-{stamp}-{uuid.uuid4().hex[:6]}"
        self.path = index_dir / f".building-{self.name}"
        self.path.mkdir()
        self.dimension = dimension
        self.index_type = index_type
        self.db = sqlite3.connect(self.path / "passages.sqlite")
        self.db.executescript(SCHEMA)
        self._vectors: list[np.ndarray] = []
        self._sentences: list[np.ndarray] = []  # float16, one array per document
        self._alone: list[np.ndarray] = []  # the same sentences embedded on their own
        self._sentence_counts: list[int] = []  # per passage
        self.passage_count = 0
        self.document_count = 0

    def add_document(
        self,
        doc: dict,
        passages: list[dict],
        vectors: np.ndarray,
        sentence_vectors: list[np.ndarray],
        alone_vectors: list[np.ndarray],
    ) -> None:
        """`doc` has the documents columns; each passage the passages columns but `id`, with
        its vector in `vectors`, its sentences' vectors (one row each) in `sentence_vectors`
        and the same sentences embedded on their own in `alone_vectors`."""
        if not len(sentence_vectors) == len(alone_vectors) == len(passages):
            raise ValueError(f"{len(passages)} passages but {len(sentence_vectors)} and "
                             f"{len(alone_vectors)} sentence vector arrays for document "
                             f"{doc['id']!r}")  # fmt: skip
        rows16 = [np.asarray(s, dtype=np.float16).reshape(-1, self.dimension)
                  for s in sentence_vectors]  # fmt: skip
        alone16 = [np.asarray(s, dtype=np.float16).reshape(-1, self.dimension)
                   for s in alone_vectors]  # fmt: skip
        if [len(s) for s in rows16] != [len(s) for s in alone16]:
            raise ValueError(f"document {doc['id']!r}: the sentences embedded on their own "
                             "are not the passages' sentences")  # fmt: skip
        self._sentence_counts.extend(len(s) for s in rows16)
        if rows16:
            self._sentences.append(np.concatenate(rows16))
            self._alone.append(np.concatenate(alone16))
        self.db.execute(_INSERT_DOCUMENT, {**doc, "passage_count": len(passages)})
        self.document_count += 1
        rows = []
        for passage in passages:
            rows.append({**passage, "id": self.passage_count})
            self.passage_count += 1
        self.db.executemany(
            "INSERT INTO passages_fts (rowid, title, section, text) VALUES (?, ?, ?, ?)",
            [
                (r["id"], folded(doc["title"]), folded(r["section"] or ""), folded(r["text"]))
                for r in rows
            ],
        )
        self.db.executemany(
            'INSERT INTO passages (id, document_id, ordinal, section, page, page_end, start, "end",'
            " text, text_sha, embed_key, sentences, paragraphs) VALUES (:id, :document_id,"
            " :ordinal, :section, :page, :page_end, :start, :end, :text, :text_sha, :embed_key,"
            " :sentences, :paragraphs)",
            rows,
        )
        self._vectors.append(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimension))

    def add_skipped(self, source: str, fingerprint: str, reason: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO skipped VALUES (?, ?, ?)", (source, fingerprint, reason)
        )

    def publish(self, manifest: dict) -> Path:
        postings.write_keyword_index(self.db, self.path, self.passage_count)
        write_citations(self.db)
        self.db.commit()
        self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()
        vectors = (
            np.concatenate(self._vectors)
            if self._vectors
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        np.save(self.path / "embeddings.npy", vectors, allow_pickle=False)
        self._write_sentences()
        index, search_params = vector_index.build(vectors, self.index_type)
        faiss.write_index(index, str(self.path / "vectors.faiss"))
        files = {name: sha256_file(self.path / name) for name in FILES}
        manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "generation": self.name,
            "dimension": self.dimension,
            "index": search_params,
            "metric": "inner_product",
            "counts": {**manifest.get("counts", {}), "passages": len(vectors)},
            "files": files,
            "versions": {
                "faiss": faiss.__version__,
                "numpy": np.__version__,
                "sqlite": sqlite3.sqlite_version,
                **manifest.get("versions", {}),
            },
        }
        (self.path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for name in (*FILES, "manifest.json"):
            _fsync_file(self.path / name)
        fsync_dir(self.path)
        final = self.index_dir / self.name
        os.replace(self.path, final)
        tmp = self.index_dir / f".{POINTER}.tmp"
        tmp.write_text(self.name + "\n")
        _fsync_file(tmp)
        os.replace(tmp, self.index_dir / POINTER)
        fsync_dir(self.index_dir)
        prune(self.index_dir)
        return final

    def _write_sentences(self) -> None:
        """sentence_offsets.npy, sentence_vectors.npy and sentence_alone.npy from the
        passages added, in order; the vectors streamed into the files, not joined in memory
        first."""
        offsets = np.zeros(len(self._sentence_counts) + 1, dtype=np.int64)
        np.cumsum(self._sentence_counts, out=offsets[1:])
        np.save(self.path / "sentence_offsets.npy", offsets, allow_pickle=False)
        for name, blocks in (("sentence_vectors.npy", self._sentences),
                             ("sentence_alone.npy", self._alone)):  # fmt: skip
            out = np.lib.format.open_memmap(
                self.path / name,
                mode="w+",
                dtype=np.float16,
                shape=(int(offsets[-1]), self.dimension),
            )
            at = 0
            for block in blocks:
                out[at : at + len(block)] = block
                at += len(block)
            out.flush()
            del out
            blocks.clear()

    def abort(self) -> None:
        try:
            self.db.close()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)


def write_citations(db: sqlite3.Connection) -> None:
    """Fill the citations table from each document's list of references."""
    db.execute(
        "INSERT INTO citations (document_id, number, year, paragraph) "
        "SELECT d.id, json_extract(c.value, '$[0]'), json_extract(c.value, '$[1]'), "
        "json_extract(c.value, '$[2]') FROM documents d, json_each(d.citations) c"
    )


def next_sequence(index_dir: Path) -> int:
    numbers = [0]
    for path in index_dir.glob("*gen-*"):
        part = path.name.split("gen-", 1)[1].split("-", 1)[0]
        if part.isdigit():
            numbers.append(int(part))
    return max(numbers) + 1


def prune(index_dir: Path, keep: int = KEEP_GENERATIONS) -> None:
    """Remove unfinished builds and generations older than the last `keep`."""
    current = current_generation(index_dir)
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    keep_set = set(generations[-keep:]) | ({current} if current else set())
    for path in generations:
        if path not in keep_set:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".building-*"):
        if path.is_dir() and time.time() - path.stat().st_mtime > 3600:
            shutil.rmtree(path, ignore_errors=True)


def verify_files(path: Path, manifest: dict) -> None:
    """Check each file against the SHA-256 in the manifest before anything parses it: FAISS
    trusts the sizes written in its header, so a truncated or flipped file must not reach it."""
    for name, expected in manifest.get("files", {}).items():
        try:
            actual = sha256_file(path / name)
        except OSError as exc:
            raise IndexError_(f"index generation {path.name}: {name} unreadable ({exc})") from exc
        if actual != expected:
            raise IndexError_(
                f"index generation {path.name}: {name} is corrupt (SHA-256 {actual[:12]}…, "
                f"manifest says {expected[:12]}…)"
            )


def _open_sentences(path: Path, embeddings_shape: tuple) -> tuple[np.ndarray, ...]:
    """sentence_vectors.npy, sentence_alone.npy and sentence_offsets.npy, memory-mapped,
    checked against each other and against the passages (ValueError when they disagree)."""
    vectors = np.load(path / "sentence_vectors.npy", mmap_mode="r", allow_pickle=False)
    alone = np.load(path / "sentence_alone.npy", mmap_mode="r", allow_pickle=False)
    offsets = np.load(path / "sentence_offsets.npy", mmap_mode="r", allow_pickle=False)
    passages, dimension = embeddings_shape
    for name, array in (("sentence_vectors.npy", vectors), ("sentence_alone.npy", alone)):
        if array.dtype != np.float16 or array.shape != (len(vectors), dimension):
            raise ValueError(f"{name} is {array.dtype} {array.shape}, not float16 "
                             f"({len(vectors)}, {dimension})")  # fmt: skip
    if offsets.dtype != np.int64 or offsets.shape != (passages + 1,):
        raise ValueError(f"sentence_offsets.npy is {offsets.dtype} {offsets.shape}, not "
                         f"int64 ({passages + 1},)")  # fmt: skip
    if offsets[0] != 0 or offsets[-1] != len(vectors) or np.any(np.diff(offsets) < 0):
        raise ValueError("sentence_offsets.npy does not cover sentence_vectors.npy in order")
    return vectors, alone, offsets


def _read_index(path: Path, params: dict) -> faiss.Index:
    """The FAISS index memory-mapped, read-only, so that the worker processes of one server
    share its pages (flat and HNSW codes map with IO_FLAG_MMAP_IFC, IVF lists with
    IO_FLAG_MMAP); read into memory where this FAISS cannot map it."""
    mapped = (
        faiss.IO_FLAG_MMAP
        if params.get("type", "flat").startswith("ivf")
        else (faiss.IO_FLAG_MMAP_IFC)
    )
    try:
        return faiss.read_index(str(path), mapped | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        return faiss.read_index(str(path))


class Generation:
    """A published generation opened read-only; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexError_(f"index generation {path} has no readable manifest: {exc}") from exc
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexError_(
                f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}:"
                " rebuild it with `confsearch index`"
            )
        verify_files(path, manifest)
        self.path = path
        self.manifest = manifest
        try:
            self.index = _read_index(path / "vectors.faiss", manifest.get("index", {}))
            embeddings = np.load(path / "embeddings.npy", mmap_mode="r", allow_pickle=False)
            sentences, alone, offsets = _open_sentences(path, embeddings.shape)
            # Plain ndarray views of the same mapped memory: np.memmap runs Python code on
            # every slice (a page's sentence vectors: 30 µs as memmaps, 6 µs as views).
            self.embeddings, self.sentences, self.sentences_alone, self.sentence_offsets = (
                np.asarray(a) for a in (embeddings, sentences, alone, offsets)
            )
            self.postings = postings.Postings(path)
            if self.postings.passages != len(self.embeddings):
                raise ValueError(f"passage_lengths.npy has {self.postings.passages} passages, "
                                 f"embeddings.npy {len(self.embeddings)}")  # fmt: skip
        except (RuntimeError, OSError, ValueError) as exc:
            raise IndexError_(f"index generation {path.name} is unreadable: {exc}") from exc
        # The connections are all opened now: the files stay readable even if a later build
        # prunes this generation while it is still being served. Several, each used by one
        # thread at a time: SQLite releases the GIL while it runs a query, so concurrent
        # requests' queries run side by side instead of queueing on one shared connection.
        uri = f"file:{path / 'passages.sqlite'}?mode=ro&immutable=1"
        self._connections: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._pool_size = max(4, os.cpu_count() or 1)
        for _ in range(self._pool_size):
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            db.row_factory = sqlite3.Row
            self._connections.put(db)

    @classmethod
    def open(cls, path: Path) -> Generation:
        return cls(path)

    @classmethod
    def open_current(cls, index_dir: Path) -> Generation:
        """The published generation; if it fails its checksums or cannot be read, the newest
        older generation that opens (with an error in the log saying so)."""
        path = current_generation(index_dir)
        if path is None:
            raise IndexError_(
                f"no index in {index_dir}: build one with `confsearch index CORPUS_DIR`"
            )
        try:
            return cls(path)
        except IndexError_ as exc:
            failure = exc
        for older in sorted(index_dir.glob("gen-*"), reverse=True):
            if older.is_dir() and older.name < path.name:
                try:
                    generation = cls(older)
                except IndexError_:
                    continue
                log.error("%s; serving the previous generation %s instead", failure, older.name)
                return generation
        raise failure

    def sentence_vectors(self, ids: Iterable[int], alone: bool = False) -> list[np.ndarray]:
        """Each passage's sentence vectors (float16, one row per sentence, in the passage's
        order): read-only views of the memory-mapped sentence_vectors.npy (`alone`: of
        sentence_alone.npy, each sentence embedded on its own)."""
        ids = np.fromiter(ids, dtype=np.int64)
        starts = self.sentence_offsets[ids].tolist()
        ends = self.sentence_offsets[ids + 1].tolist()
        vectors = self.sentences_alone if alone else self.sentences
        return [vectors[a:b] for a, b in zip(starts, ends, strict=True)]

    def gather_sentences(
        self, ids: np.ndarray, alone: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sentence vectors of all the passages `ids` in one float16 matrix, passage after
        passage, and how many rows each passage has: one gather from the memory-mapped file
        (`alone`: the sentences embedded on their own)."""
        ids = np.asarray(ids, dtype=np.int64)
        starts = np.asarray(self.sentence_offsets[ids])
        counts = np.asarray(self.sentence_offsets[ids + 1]) - starts
        firsts = np.cumsum(counts) - counts  # where each passage begins in the matrix
        rows = np.repeat(starts - firsts, counts) + np.arange(int(counts.sum()))
        vectors = self.sentences_alone if alone else self.sentences
        return np.asarray(vectors[rows]), counts

    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
        with self._connection() as db:
            return db.execute(sql, params).fetchone()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection of the pool, for this thread alone until the block ends."""
        db = self._connections.get()
        try:
            yield db
        finally:
            self._connections.put(db)

    def close(self) -> None:
        """Closes the connections once every query that holds one has finished; a later
        query fails with sqlite3.ProgrammingError rather than waiting."""
        held = [self._connections.get() for _ in range(self._pool_size)]
        for db in held:
            db.close()
            self._connections.put(db)

    @property
    def name(self) -> str:
        return self.path.name
