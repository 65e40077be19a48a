"""Build the index of a corpus, incrementally.

Each document has a fingerprint (its bytes, its metadata, the chunking settings and the
model): an unchanged document is copied from the published generation without being read,
chunked or embedded, and a passage whose embedded text is unchanged keeps its vectors. Only
when something changed is a new generation written and published.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from indexer import __version__, citations, resolutions
from indexer.adapt import adapted_from
from indexer.checksums import sha256_file
from indexer.chunking import ChunkingOptions, Passage, chunk
from indexer.documents import DocumentError, discover, load
from indexer.embedding import Embedder
from indexer.fields import NAMES
from indexer.folding import fold
from indexer.metadata import COPY_OF, WARNINGS, Manifest, MetadataError, derive, slug
from indexer.pdf import LimitError
from indexer.store import Generation, GenerationWriter, IndexError_, current_generation

log = logging.getLogger(__name__)

# What is derived from a document's text; a new version re-reads every document (vectors of
# unchanged passages are re-used). 2: a resolution's subjects in its passages' context;
# 3: its countries without the voters' and the United Kingdom's full name read whole;
# 4: the Congo of 1960-1963 and Zaire as COD (indexer/countries.py); 5: a resolution's
# unnumbered operative clauses before its numbered ones as its "Operative part"; 6: their
# references, and those of a resolution that numbers nothing, made in the "operative" part;
# 7: the collection's notes after an adoption line cite nothing (indexer/citations.py);
# 8: only page furniture dropped, not lines without a word ("467 (1980),"), compounds kept
# across line ends (indexer/normalise.py), more adoption and date forms, countries from the
# resolution's own text (indexer/resolutions.py), misdated references not linked, the
# warnings stored with their document; 9: places whose names hold a country's read whole
# ("New Guinea" is no Guinea, "Guinea (Bissau)" is Guinea-Bissau: indexer/countries.py),
# and a run over the model's limit cut into the most whole words that fit (chunking.py);
# 10: a PDF's headings numbered anew on each page ("Annex 1", "Annex 2") kept, and two
# headings one above the other no longer joined as one wrapped heading (indexer/pdf.py);
# 11: the early resolutions' votes read from their notes ("In the absence of any objection
# … adopted unanimously", "voted on in parts") and "by 10 votes (…, absent)"; 12: what a
# file says of itself read as metadata: Markdown front matter, HTML <meta> and <html lang>,
# a PDF's document information (its title, unless its writer filled it in; its author);
# 13: front matter's lists ("tags", "author") kept, what it cannot keep reported; 14:
# full-width letters and digits ("ＯＣＯ ２０２４") folded for both legs as ligatures are;
# 15: countries by the names researchers type ("Falklands", "Ceylon", "Ivory Coast") in
# the countries a resolution is about; 16: a state renamed under its present code (Burma
# is MMR, Dahomey BEN, Upper Volta BFA).
CHUNKER_VERSION = 16


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    passages: int = 0
    embedded: int = 0  # passages whose vectors were computed in this build
    reused: int = 0  # passages whose vectors came from the previous generation
    seconds: float = 0.0
    generation: str | None = None
    published: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        """The report as JSON (the API's BuildSummary; `confsearch index --json`)."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "warnings": [{"source": s, "message": m} for s, m in self.warnings],
            "passages": self.passages,
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
            "published": self.published,
            "generation": self.generation,
        }


@dataclass
class Planned:
    source: str
    doc_id: str
    values: dict
    content_sha256: str
    fingerprint: str


@dataclass
class Prepared:
    """A changed document, read and chunked; `embed` fills in its missing vectors."""

    row: dict
    passages: list[dict]
    vectors: np.ndarray
    sentence_vectors: list[np.ndarray]
    alone_vectors: list[np.ndarray]  # the same sentences, each embedded on its own
    todo: list[int]  # passages whose vectors must be computed
    inputs: list[str]
    spans: list[list[tuple[int, int]]]
    warnings: list[str] = field(default_factory=list)
    reused: int = 0  # passages whose vectors came from the previous generation
    embedded: int = 0


@dataclass
class Skip:
    reason: str
    limited: bool = False  # stopped by a size, time or memory limit that may be raised
    transient: bool = False  # not recorded: the next build tries the document again


Result = Prepared | Skip
# An engine turns the changed documents into results, one per document and in their order:
# the local engine below, or indexer.ray_engine on a Ray cluster.
Engine = Callable[["Job"], Iterator[Result]]


@dataclass
class Job:
    """What an engine needs to prepare and embed the changed documents of one build."""

    corpus_dir: Path
    items: list[Planned]
    embedder: Embedder
    options: ChunkingOptions
    limits: tuple  # (max file bytes, read timeout s, read memory MB)
    previous: Generation | None
    batch_passages: int = 512


def embed_context(title: str, section: str | None) -> str:
    """What is prepended to a passage when it is embedded, so that "Tuvalu ... 2019" or
    "Session Four" in a question meets the passage that lies under that title."""
    return f"{title} — {section}" if section and section != title else title


@dataclass
class _Plan:
    """What a build does with each document of the corpus."""

    planned: list[Planned]  # every document to be in the new generation, in order
    unchanged: set[str]  # ids of documents copied from the previous generation as they are
    skipped: list[tuple[str, str, str]]  # (source, fingerprint, reason) recorded as skipped
    named: dict[int, str]  # resolution number → the document whose file name says it

    def changed(self) -> list[Planned]:
        return [p for p in self.planned if p.doc_id not in self.unchanged]


def build(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    options: ChunkingOptions | None = None,
    max_file_bytes: int | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    force: bool = False,
    batch_passages: int = 512,
    index_type: str = "auto",
    read_timeout_s: float | None = 60.0,
    read_memory_mb: float | None = 1024,
    engine: Engine | None = None,
) -> BuildReport:
    """Index `corpus_dir` into a new generation under `index_dir` when anything changed.

    Only new and changed documents go to the `engine` (default: this process); whichever
    engine prepares them, this process alone writes and publishes the generation.
    `progress(documents_done, documents_total, passages_embedded)` is called as work goes."""
    started = time.perf_counter()
    options = options or ChunkingOptions(max_tokens=embedder.max_tokens)
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist")
    report = BuildReport()
    previous = _open_previous(index_dir)
    limits = (max_file_bytes, read_timeout_s, read_memory_mb)
    try:
        plan = _plan_build(corpus_dir, embedder, options, previous, limits, force, report)
        same_type = previous is None or index_type in ("auto", _index_type(previous))
        if previous is not None and not report.changed and not force and same_type:
            report.passages = previous.manifest["counts"]["passages"]
            report.generation = previous.name
            for row in previous.query("SELECT source, extra FROM documents ORDER BY rowid"):
                report.warnings.extend((row["source"], w) for w in _stored_warnings(row))
            return report
        job = Job(corpus_dir, plan.changed(), embedder, options, limits, previous, batch_passages)
        writer = GenerationWriter(index_dir, embedder.dimension, index_type)
        try:
            _write(writer, job, plan, engine or local_engine, report, progress)
            gen_path = writer.publish(_manifest(embedder, options, writer.document_count))
        except BaseException:
            writer.abort()
            raise
        report.generation = gen_path.name
        report.published = True
        return report
    finally:
        if previous is not None:
            previous.close()
        report.seconds = round(time.perf_counter() - started, 3)


def _plan_build(
    corpus_dir: Path,
    embedder: Embedder,
    options: ChunkingOptions,
    previous: Generation | None,
    limits: tuple,
    force: bool,
    report: BuildReport,
) -> _Plan:
    """Sort the corpus's documents into unchanged, added, updated and removed (in
    `report`); a file skipped before and unchanged since is skipped again unread."""
    settings_key = json.dumps(
        {"chunker": CHUNKER_VERSION, "options": asdict(options), "model": embedder.name},
        sort_keys=True,
    )
    manifest = Manifest.load(corpus_dir)
    sources, report.skipped = discover(corpus_dir)
    old_docs = _previous_documents(previous)
    old_skipped = _previous_skipped(previous)
    planned = _plan(corpus_dir, sources, manifest, settings_key, report)
    named = _named(planned)
    carried = [
        p
        for p in planned
        if not force and old_skipped.get(p.source, ("",))[0] in (p.fingerprint, _limited(p, limits))
    ]
    for p in carried:
        report.skipped.append((p.source, old_skipped[p.source][1]))
    planned = [p for p in planned if p not in carried]
    # A document is copied as it is unless it changed, or it became or ceased to be the
    # second copy of a resolution whose file came or went.
    unchanged = {
        p.doc_id
        for p in planned
        if not force
        and p.doc_id in old_docs
        and old_docs[p.doc_id]["fingerprint"] == p.fingerprint
        and _copy_of(old_docs[p.doc_id], named) == _stored_extra(old_docs[p.doc_id]).get(COPY_OF)
    }
    for p in planned:
        if p.doc_id in unchanged:
            report.unchanged.append(p.source)
        else:
            (report.updated if p.doc_id in old_docs else report.added).append(p.source)
    current_ids = {p.doc_id for p in planned}
    report.removed = sorted(
        previous_source
        for doc_id, previous_source in _previous_sources(previous).items()
        if doc_id not in current_ids
    )
    skipped = [(p.source, *old_skipped[p.source]) for p in carried]
    return _Plan(planned, unchanged, skipped, named)


def _write(
    writer: GenerationWriter,
    job: Job,
    plan: _Plan,
    engine: Engine,
    report: BuildReport,
    progress: Callable[[int, int, int], None] | None,
) -> None:
    """Every planned document into `writer`, in order: unchanged ones copied from the
    previous generation, changed ones as the engine prepared them."""
    results = engine(job)
    for done, item in enumerate(plan.planned, start=1):
        if item.doc_id in plan.unchanged:
            _copy_document(writer, job.previous, item.doc_id, report)
        else:
            _add(writer, item, next(results), job.limits, plan, report)
        if progress:
            progress(done, len(plan.planned), report.embedded)
    if next(results, None) is not None:
        raise RuntimeError("engine returned more documents than it was given")
    for record in plan.skipped:
        writer.add_skipped(*record)


def _add(
    writer: GenerationWriter,
    item: Planned,
    result: Result,
    limits: tuple,
    plan: _Plan,
    report: BuildReport,
) -> None:
    """One changed document as the engine prepared it, or its reason for being skipped."""
    if isinstance(result, Skip):
        _skip(report, item.source, result.reason)
        # A file stopped by a limit is read again once the limit changes.
        key = _limited(item, limits) if result.limited else item.fingerprint
        if not result.transient:
            plan.skipped.append((item.source, key, result.reason))
        return
    if result.row["id"] != item.doc_id:  # an engine must keep the order
        raise RuntimeError(f"engine returned {result.row['id']!r} for {item.doc_id!r}")
    _mark_copy(result.row, plan.named)
    report.warnings.extend((item.source, w) for w in _stored_warnings(result.row))
    report.passages += len(result.passages)
    report.reused += result.reused
    report.embedded += result.embedded
    writer.add_document(result.row, result.passages, result.vectors, result.sentence_vectors,
                        result.alone_vectors)  # fmt: skip


def _manifest(embedder: Embedder, options: ChunkingOptions, documents: int) -> dict:
    adapted = _adapted(embedder.name)
    return {
        "model": embedder.name,
        **({"model_adapted": adapted} if adapted else {}),  # made by `confsearch adapt`
        "embed_context": "title — section",
        "chunking": asdict(options),
        "chunker_version": CHUNKER_VERSION,
        "fields": list(NAMES),  # the document fields (indexer/fields.py) its rows hold
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "counts": {"documents": documents},
        "versions": {"confsearch": __version__},
    }


def _adapted(model: str) -> dict | None:
    path = Path(model).expanduser()
    return adapted_from(path) if path.is_dir() else None


def _index_type(generation: Generation) -> str:
    return generation.manifest.get("index", {}).get("type", "flat")


def _open_previous(index_dir: Path) -> Generation | None:
    if current_generation(index_dir) is None:
        return None
    try:
        return Generation.open_current(index_dir)
    except (IndexError_, RuntimeError, OSError, ValueError) as exc:
        log.warning("previous index unreadable, rebuilding from scratch: %s", exc)
        return None


def _previous_documents(previous: Generation | None) -> dict[str, dict]:
    """id → what the plan needs of each document in the published generation."""
    if previous is None:
        return {}
    rows = previous.query("SELECT id, source, fingerprint, doc_type, number, extra FROM documents")
    return {r["id"]: dict(r) for r in rows}


def _named(planned: list[Planned]) -> dict[int, str]:
    """Resolution number → the document whose file name says it (the first, in order)."""
    named: dict[int, str] = {}
    for p in planned:
        number = resolutions.file_number(p.source)
        if number is not None:
            named.setdefault(number, p.doc_id)
    return named


def _copy_of(row: dict, named: dict[int, str]) -> str | None:
    """For a second copy of a resolution, the document that holds it under its own file
    name: the collection's S_RES_0542 file holds the text of 538, which S_RES_0538 holds."""
    number = row["number"]
    if row["doc_type"] != "resolution" or number is None:
        return None
    if resolutions.file_number(row["source"]) in (None, number):
        return None
    holder = named.get(number)
    return holder if holder != row["id"] else None


def _mark_copy(row: dict, named: dict[int, str]) -> None:
    """Mark a second copy and leave its references to the file named for the resolution: a
    resolution is cited once, wherever two files hold it ("cited by" lists it once). Its
    text stays searchable: the two files are two printings, not always word for word."""
    holder = _copy_of(row, named)
    if holder is None:
        return
    extra = _stored_extra(row)
    extra[COPY_OF] = holder
    said = f"a second copy of {row['symbol']}, which {holder} holds under its own name: "
    extra[WARNINGS] = [*extra.get(WARNINGS, []), said + "its references are counted there"]
    row["extra"] = json.dumps(extra, sort_keys=True)
    row["citations"] = "[]"


def _stored_extra(row) -> dict:
    return json.loads(row["extra"] or "{}")


def _stored_warnings(row) -> list[str]:
    """The warnings stored with a document (a build reports them until its file changes)."""
    return list(_stored_extra(row).get(WARNINGS, []))


def _previous_skipped(previous: Generation | None) -> dict[str, tuple[str, str]]:
    if previous is None:
        return {}
    return {
        r[0]: (r[1], r[2])
        for r in previous.query("SELECT source, fingerprint, reason FROM skipped")
    }


def _previous_sources(previous: Generation | None) -> dict[str, str]:
    if previous is None:
        return {}
    return {r[0]: r[1] for r in previous.query("SELECT id, source FROM documents")}


def _plan(corpus_dir, sources, manifest, settings_key, report) -> list[Planned]:
    planned: list[Planned] = []
    owners: dict[str, str] = {}
    for source in sources:
        try:
            content_sha = sha256_file(corpus_dir / source)
            values = manifest.lookup(corpus_dir, source)
        except (OSError, MetadataError) as exc:
            report.skipped.append((source, str(exc)))
            continue
        doc_id = str(values.get("id") or slug(source))
        if doc_id in owners:
            report.skipped.append((source, f"document id {doc_id!r} is already used by "
                                           f"{owners[doc_id]}"))  # fmt: skip
            continue
        owners[doc_id] = source
        fingerprint = hashlib.sha256(
            json.dumps([content_sha, values, settings_key], sort_keys=True).encode()
        ).hexdigest()
        planned.append(Planned(source, doc_id, values, content_sha, fingerprint))
    return planned


def _copy_document(writer: GenerationWriter, previous: Generation, doc_id: str, report) -> None:
    doc = dict(previous.query_one("SELECT * FROM documents WHERE id = ?", (doc_id,)))
    doc.pop("passage_count")
    rows = previous.query(
        "SELECT * FROM passages WHERE document_id = ? ORDER BY ordinal", (doc_id,)
    )
    passages = [{k: r[k] for k in r.keys() if k != "id"} for r in rows]  # noqa: SIM118
    ids = [r["id"] for r in rows]
    vectors = np.asarray(previous.embeddings[ids], dtype=np.float32)
    writer.add_document(doc, passages, vectors, previous.sentence_vectors(ids),
                        previous.sentence_vectors(ids, alone=True))  # fmt: skip
    report.passages += len(rows)
    report.reused += len(rows)
    report.warnings.extend((doc["source"], w) for w in _stored_warnings(doc))


def _limited(item: Planned, limits: tuple) -> str:
    return f"{item.fingerprint}:{limits}"


def local_engine(job: Job) -> Iterator[Result]:
    """Prepare the changed documents here, embedding several documents' passages at a time:
    larger, length-sorted batches. Passages whose embedded text the previous generation
    already holds keep their vectors."""
    batch: list[Result] = []
    for item in job.items:
        batch.append(prepare(item, job.corpus_dir, job.embedder, job.options, job.limits,
                             job.previous))  # fmt: skip
        if sum(len(r.todo) for r in batch if isinstance(r, Prepared)) >= job.batch_passages:
            embed(job.embedder, [r for r in batch if isinstance(r, Prepared)])
            yield from batch
            batch.clear()
    embed(job.embedder, [r for r in batch if isinstance(r, Prepared)])
    yield from batch


def prepare(
    item: Planned,
    corpus_dir: Path,
    embedder: Embedder,
    options: ChunkingOptions,
    limits: tuple,
    previous: Generation | None = None,
) -> Result:
    """Read, describe and chunk a changed document; re-use the vectors of passages whose
    embedded text `previous` already has. Only the tokenizer is needed here, not the model."""
    try:
        max_bytes, timeout_s, memory_mb = limits
        loaded = load(corpus_dir, item.source, max_bytes, timeout_s=timeout_s, memory_mb=memory_mb)
        document = derive(item.values, item.source, loaded.text, loaded.html_title, loaded.stated)
    except LimitError as exc:
        return Skip(str(exc), limited=True)
    except (DocumentError, MetadataError, OSError, RecursionError) as exc:
        return Skip(str(exc))

    text, references, about, misdated = loaded.text, [], "", []
    resolution = resolutions.read(text, item.source, known=True)
    if document.doc_type == "resolution" and resolution is not None:
        text = resolutions.structure(text, resolution)  # preamble, operative paragraphs
        references = citations.extract(text, resolution.number)
        misdated = citations.misdated(text, resolution.number)
        # Its operative paragraphs rarely name what it is about ("Decides to remain seized
        # of the matter"): the names go into every passage's context (docs/evaluation.md).
        about = ", ".join(resolutions.subjects(text.text))

    def context(section: str | None) -> str:
        line = embed_context(document.title, section)
        return f"{line} — {about}" if about else line

    passages = [p for p in chunk(text, embedder.count_tokens, options, context) if p.text]
    if not passages:
        return Skip("no passages: the document has no text")
    folds = [fold(p.embed_text) for p in passages]  # ligatures folded for the model
    inputs = [text for text, _ in folds]
    keys = [hashlib.sha256(f"{embedder.name}\0{t}".encode()).hexdigest() for t in inputs]
    vectors, sentence_vectors, alone, todo, reused = _reuse(previous, keys, embedder.dimension)
    rows = [_passage_row(document.id, p, key) for p, key in zip(passages, keys, strict=True)]
    warnings = [*loaded.warnings, *document.warnings, *misdated]
    if warnings:
        document.extra[WARNINGS] = warnings
    doc_row = {
        **document.row(),
        "citations": json.dumps([[r.number, r.year, r.paragraph] for r in references]),
        "content_sha256": item.content_sha256,
        "fingerprint": item.fingerprint,
        "text": loaded.text.text,
    }
    # The embedded text starts with the context line, and folding moves later characters:
    # sentence spans move with both.
    spans = []
    for p, (_, offsets) in zip(passages, folds, strict=True):
        shift = len(p.embed_text) - len(p.text)
        spans.append([(offsets[s + shift], offsets[e + shift]) for s, e in p.sentences])
    return Prepared(doc_row, rows, vectors, sentence_vectors, alone, todo, inputs, spans,
                    warnings, reused)  # fmt: skip


def _reuse(previous: Generation | None, keys: list[str], dim: int) -> tuple:
    """(vectors, sentence vectors, sentences embedded alone, passages still to embed, how
    many re-used): the vectors of passages whose embedded text (`keys`) the previous
    generation already has."""
    vectors = np.zeros((len(keys), dim), dtype=np.float32)
    sentence_vectors = [np.zeros((0, dim), dtype=np.float32)] * len(keys)
    alone = list(sentence_vectors)
    todo, found = [], {}
    for i, key in enumerate(keys):
        row = _lookup(previous, key)
        if row is None:
            todo.append(i)
        else:
            found[i] = row["id"]
    if found:
        vectors[list(found)] = previous.embeddings[list(found.values())]
        for i, rows in zip(found, previous.sentence_vectors(found.values()), strict=True):
            sentence_vectors[i] = rows
        for i, rows in zip(found, previous.sentence_vectors(found.values(), True), strict=True):
            alone[i] = rows
    return vectors, sentence_vectors, alone, todo, len(found)


def _passage_row(document_id: str, p: Passage, embed_key: str) -> dict:
    """A passage's columns in the store but its id."""
    return {
        "document_id": document_id,
        "ordinal": p.ordinal,
        "section": p.section,
        "page": p.page,
        "page_end": p.page_end,
        "start": p.start,
        "end": p.end,
        "text": p.text,
        "text_sha": hashlib.sha256(" ".join(p.text.split()).encode()).hexdigest(),
        "embed_key": embed_key,
        "sentences": json.dumps(p.sentences),
        "paragraphs": p.paragraphs,
    }


def embed(embedder: Embedder, batch: list[Prepared]) -> None:
    """Compute the missing vectors of several documents in one call: each passage's vector,
    its sentences' vectors pooled from the passage's forward pass (highlights, the best
    sentence), and each sentence embedded on its own (what a long question's clauses are
    matched against: docs/evaluation.md). The store writes the sentences' as float16."""
    jobs = [(p, i) for p in batch for i in p.todo]
    if jobs:
        vectors, sentences = embedder.embed_with_sentences(
            [p.inputs[i] for p, i in jobs], [p.spans[i] for p, i in jobs]
        )
        texts = [p.inputs[i][a:b] for p, i in jobs for a, b in p.spans[i]]
        alone = embedder.embed_batch(texts) if texts else None
        at = 0
        for (prepared, i), vector, sentence_rows in zip(jobs, vectors, sentences, strict=True):
            prepared.vectors[i] = vector
            prepared.sentence_vectors[i] = sentence_rows
            count = len(prepared.spans[i])
            prepared.alone_vectors[i] = alone[at : at + count] if count else sentence_rows
            at += count
            prepared.embedded += 1
    for prepared in batch:
        prepared.todo = []


def _skip(report: BuildReport, source: str, reason: str) -> None:
    report.skipped.append((source, reason))
    for bucket in (report.added, report.updated):
        if source in bucket:
            bucket.remove(source)


def _lookup(previous: Generation | None, key: str):
    if previous is None:
        return None
    return previous.query_one("SELECT id FROM passages WHERE embed_key = ? LIMIT 1", (key,))
