"""Building the index: first build, incremental rebuilds, failures, published generations."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from indexer import store
from indexer.build import build, embed_context
from indexer.checksums import sha256_file
from indexer.chunking import ChunkingOptions
from indexer.embedders.fake import FakeEmbedder
from indexer.store import Generation, current_generation
from tests.conftest import COMMUNIQUE_PDF, COMMUNIQUE_TXT, CORPUS, SPEECHES, copy_corpus

TUV_2019 = "ungdc-pacific/TUV_74_2019.txt"
FJI_2019 = "ungdc-pacific/FJI_74_2019.txt"
ALL_SOURCES = sorted([COMMUNIQUE_PDF, COMMUNIQUE_TXT] + [f"ungdc-pacific/{s}" for s in SPEECHES])


@contextmanager
def opened(index_dir: Path):
    generation = Generation.open_current(index_dir)
    try:
        yield generation
    finally:
        generation.close()


def documents(index_dir: Path) -> dict[str, dict]:
    with opened(index_dir) as generation:
        rows = generation.query("SELECT * FROM documents")
        return {row["source"]: dict(row) for row in rows}


def passages(index_dir: Path, source: str) -> list[dict]:
    with opened(index_dir) as generation:
        rows = generation.query(
            "SELECT p.* FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.source = ? ORDER BY p.ordinal",
            (source,),
        )
        return [dict(row) for row in rows]


def row_count(generation: Generation, table: str) -> int:
    return generation.query_one(f"SELECT COUNT(*) FROM {table}")[0]


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def add_paragraph(path: Path, paragraph: str) -> None:
    """Put a new paragraph after the first line of a speech (one paragraph per line)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(1, paragraph)
    path.write_text("\n".join(lines), encoding="utf-8")


def record_embedded_texts(monkeypatch, embedder: FakeEmbedder) -> list[str]:
    seen: list[str] = []
    original = embedder.embed_batch

    def recording(texts):
        seen.extend(texts)
        return original(texts)

    monkeypatch.setattr(embedder, "embed_batch", recording)
    return seen


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path / "corpus", speeches=["TUV_74_2019.txt", "FJI_74_2019.txt"])


# --- first build -------------------------------------------------------------------------------


def test_first_build_indexes_every_document(corpus_dir, tmp_path, embedder):
    report = build(corpus_dir, tmp_path / "index", embedder)
    assert report.published
    assert sorted(report.added) == ALL_SOURCES
    assert report.updated == report.removed == report.unchanged == []
    assert report.skipped == []
    assert report.passages > len(ALL_SOURCES)
    assert report.embedded == report.passages
    assert report.reused == 0
    assert report.generation == current_generation(tmp_path / "index").name


def test_first_build_manifest_json_describes_the_generation(built_index, embedder):
    generation = current_generation(built_index)
    manifest = json.loads((generation / "manifest.json").read_text())
    with opened(built_index) as opened_generation:
        passage_count = row_count(opened_generation, "passages")
        document_count = row_count(opened_generation, "documents")
        assert opened_generation.index.ntotal == passage_count
        assert opened_generation.embeddings.shape == (passage_count, embedder.dimension)
    assert manifest["model"] == embedder.name
    assert manifest["dimension"] == embedder.dimension
    assert manifest["counts"] == {"documents": document_count, "passages": passage_count}
    assert document_count == len(ALL_SOURCES)
    assert manifest["generation"] == generation.name
    assert {"faiss", "numpy", "sqlite", "confsearch"} <= set(manifest["versions"])
    assert set(manifest["files"]) == {"passages.sqlite", "vectors.faiss", "embeddings.npy",
                                      "sentence_vectors.npy", "sentence_alone.npy",
                                      "sentence_offsets.npy", "keyword_rows.npy",
                                      "keyword_counts.npy", "passage_lengths.npy",
                                      "pair_keys.npy", "pair_starts.npy", "pair_rows.npy",
                                      "pair_counts.npy"}  # fmt: skip
    for name, digest in manifest["files"].items():
        assert sha256_file(generation / name) == digest


def test_documents_carry_manifest_metadata(built_index):
    docs = documents(built_index)
    communique = docs[COMMUNIQUE_TXT]
    assert communique["title"] == "Communiqué of the 26th OCO Annual Conference"
    assert communique["doc_type"] == "communique"
    assert communique["year"] == 2024
    tuvalu = docs[TUV_2019]
    assert tuvalu["country"] == "TUV"
    assert tuvalu["year"] == 2019
    assert tuvalu["passage_count"] == len(passages(built_index, TUV_2019))


def test_session_four_passage_is_indexed_with_its_section(built_index):
    rows = passages(built_index, COMMUNIQUE_TXT)
    four = [r for r in rows if r["section"] == "Session Four"]
    assert len(four) == 1
    assert "Kiribati, PNG, New Zealand and PIFS" in four[0]["text"]
    pdf_four = [r for r in passages(built_index, COMMUNIQUE_PDF) if r["section"] == "Session Four"]
    assert len(pdf_four) == 1
    assert pdf_four[0]["page"] == 2


def test_stored_vectors_are_the_embeddings_of_context_and_passage(built_index, embedder):
    docs = documents(built_index)
    with opened(built_index) as generation:
        rows = generation.query(
            "SELECT p.id, p.section, p.text, d.title FROM passages p"
            " JOIN documents d ON d.id = p.document_id"
        )
        for row in rows:
            expected = embedder.embed_batch([f"{embed_context(row['title'], row['section'])}\n"
                                             f"{row['text']}"])[0]  # fmt: skip
            assert np.allclose(generation.embeddings[row["id"]], expected, atol=1e-6)
    assert docs


def test_every_passage_has_one_sentence_vector_per_sentence(built_index, embedder):
    with opened(built_index) as generation:
        rows = generation.query("SELECT id, text, sentences FROM passages ORDER BY id")
        for row, vectors in zip(rows, generation.sentence_vectors(r["id"] for r in rows),
                                strict=True):  # fmt: skip
            spans = json.loads(row["sentences"])
            assert spans
            assert vectors.shape == (len(spans), embedder.dimension)
            for start, end in spans:
                assert row["text"][start:end].strip() == row["text"][start:end]


def test_sentence_arrays_hold_each_passage_sentences_in_passage_order(built_index, embedder):
    with opened(built_index) as generation:
        rows = generation.query("SELECT id, sentences FROM passages ORDER BY id")
        counts = [len(json.loads(r["sentences"])) for r in rows]
        columns = {c["name"] for c in generation.query("PRAGMA table_info(passages)")}
        folder = generation.path
    assert "sentence_vectors" not in columns  # stored once, in the arrays
    assert [r["id"] for r in rows] == list(range(len(rows)))
    vectors = np.load(folder / "sentence_vectors.npy")
    offsets = np.load(folder / "sentence_offsets.npy")
    assert offsets.dtype == np.int64 and offsets.shape == (len(rows) + 1,)
    assert offsets[0] == 0 and np.array_equal(np.diff(offsets), counts)
    assert vectors.dtype == np.float16 and vectors.shape == (sum(counts), embedder.dimension)


def test_sentence_vectors_are_the_sentences_embeddings(built_index, embedder):
    with opened(built_index) as generation:
        row = generation.query_one("SELECT id, text, sentences FROM passages WHERE id = 3")
        vectors = generation.sentence_vectors([row["id"]])[0]
    first, last = json.loads(row["sentences"])[0], json.loads(row["sentences"])[-1]
    for vector, (start, end) in ((vectors[0], first), (vectors[-1], last)):
        expected = embedder.embed_batch([row["text"][start:end]])[0]
        assert np.allclose(vector, expected, atol=2e-3)  # float16


class PoolingFake(FakeEmbedder):
    """A fake whose sentence vectors, like a real model's pooled ones, are not the sentences
    embedded alone: here, the passage's own vector for each of its sentences."""

    def embed_with_sentences(self, texts, spans):
        vectors = self.embed_batch(texts)
        return vectors, [np.tile(v, (len(s), 1)) for v, s in zip(vectors, spans, strict=True)]


def test_sentences_are_also_embedded_on_their_own(corpus_dir, tmp_path):
    embedder = PoolingFake()
    build(corpus_dir, tmp_path / "index", embedder)
    with opened(tmp_path / "index") as generation:
        row = generation.query_one(
            "SELECT p.id, p.text, p.sentences FROM passages p JOIN documents d"
            " ON d.id = p.document_id WHERE d.source = ? AND p.ordinal = 1", (TUV_2019,)
        )  # fmt: skip
        pooled = generation.sentence_vectors([row["id"]])[0]
        alone = generation.sentence_vectors([row["id"]], alone=True)[0]
        gathered, counts = generation.gather_sentences(np.array([row["id"]]), alone=True)
    spans = json.loads(row["sentences"])
    assert len(spans) >= 2 and alone.shape == pooled.shape == (len(spans), embedder.dimension)
    for vector, (start, end) in zip(alone, spans, strict=True):
        assert np.allclose(vector, embedder.embed_batch([row["text"][start:end]])[0], atol=2e-3)
    assert not np.allclose(alone, pooled, atol=2e-3)
    assert np.array_equal(gathered, alone) and counts.tolist() == [len(spans)]


def test_every_passage_fits_the_model_limit_with_its_context(built_index, embedder):
    with opened(built_index) as generation:
        rows = generation.query(
            "SELECT p.section, p.text, d.title FROM passages p"
            " JOIN documents d ON d.id = p.document_id"
        )
    for row in rows:
        embedded = f"{embed_context(row['title'], row['section'])}\n{row['text']}"
        # The context line may be cut to fit; the whole input is never over the limit.
        assert embedder.count_tokens([row["text"]])[0] <= embedder.max_tokens
        assert embedded.endswith(row["text"])


def test_progress_is_reported_up_to_the_last_document(small_corpus, tmp_path, embedder):
    calls = []
    build(small_corpus, tmp_path / "index", embedder, progress=lambda *a: calls.append(a))
    assert calls
    done, total, _ = calls[-1]
    assert done == total == 4


def test_missing_corpus_folder_is_an_error(tmp_path, embedder):
    with pytest.raises(FileNotFoundError):
        build(tmp_path / "nowhere", tmp_path / "index", embedder)


# --- incremental rebuilds ----------------------------------------------------------------------


def test_rebuild_of_an_unchanged_corpus_embeds_nothing_and_publishes_nothing(
    corpus_dir, built_index, embedder
):
    before = current_generation(built_index).name
    embedded_before = embedder.embedded
    report = build(corpus_dir, built_index, embedder)
    assert embedder.embedded == embedded_before
    assert report.embedded == 0
    assert not report.published
    assert sorted(report.unchanged) == ALL_SOURCES
    assert report.added == report.updated == report.removed == []
    assert report.generation == before
    assert current_generation(built_index).name == before
    assert generations(built_index) == [before]


def test_changing_one_file_reembeds_only_its_changed_passages(
    corpus_dir, built_index, embedder, monkeypatch
):
    old_texts = {r["text"] for r in passages(built_index, TUV_2019)}
    paragraph = "Tuvalu also announced a new programme of zebra crossings for island pedestrians."
    add_paragraph(corpus_dir / TUV_2019, paragraph)
    seen = record_embedded_texts(monkeypatch, embedder)

    report = build(corpus_dir, built_index, embedder)

    assert report.published
    assert report.updated == [TUV_2019]
    assert sorted(report.unchanged) == sorted(set(ALL_SOURCES) - {TUV_2019})
    new_rows = passages(built_index, TUV_2019)
    changed = [r for r in new_rows if r["text"] not in old_texts]
    assert changed and any(paragraph in r["text"] for r in changed)
    assert report.embedded == len(changed)
    assert report.reused == report.passages - len(changed)
    title = documents(built_index)[TUV_2019]["title"]
    passage_inputs = [t for t in seen if t.startswith(title)]
    assert len(passage_inputs) == len(changed)
    # Sentence vectors are computed for the changed passages only.
    changed_text = " ".join(r["text"] for r in changed)
    assert all(t in changed_text for t in seen if not t.startswith(title))


def sentence_vectors_by_key(index_dir: Path) -> list[tuple[str, np.ndarray]]:
    """(embed key, sentence vectors pooled and embedded alone, side by side) of each passage,
    in passage order."""
    with opened(index_dir) as generation:
        rows = generation.query("SELECT id, embed_key FROM passages ORDER BY id")
        pooled = generation.sentence_vectors(r["id"] for r in rows)
        alone = generation.sentence_vectors((r["id"] for r in rows), alone=True)
        return [(r["embed_key"], np.hstack([p, a]))
                for r, p, a in zip(rows, pooled, alone, strict=True)]  # fmt: skip


def test_unchanged_passages_keep_their_sentence_vectors(corpus_dir, built_index, embedder):
    before = dict(sentence_vectors_by_key(built_index))
    add_paragraph(corpus_dir / TUV_2019, "Tuvalu also opened a registry of outrigger canoes.")
    (corpus_dir / COMMUNIQUE_PDF).unlink()  # the first document: every later id shifts
    report = build(corpus_dir, built_index, embedder)
    after = sentence_vectors_by_key(built_index)
    kept = [(key, vectors) for key, vectors in after if key in before]
    # Copied documents and the changed document's unchanged passages alike.
    assert report.updated == [TUV_2019]
    assert 0 < report.embedded < len(passages(built_index, TUV_2019))
    assert len(kept) == report.reused == len(after) - report.embedded
    for key, vectors in kept:
        assert vectors.dtype == np.float16 and np.array_equal(vectors, before[key]), key


def test_unchanged_documents_keep_their_passages_after_another_changes(
    corpus_dir, built_index, embedder
):
    before = passages(built_index, FJI_2019)
    add_paragraph(corpus_dir / TUV_2019, "A new paragraph about the ocean and the reefs.")
    build(corpus_dir, built_index, embedder)
    after = passages(built_index, FJI_2019)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "id"} for r in rows]  # noqa: E731
    assert strip(after) == strip(before)


def test_vectors_stay_aligned_with_passages_after_a_document_is_removed(
    corpus_dir, built_index, embedder
):
    (corpus_dir / COMMUNIQUE_PDF).unlink()  # the first document: every later id shifts
    build(corpus_dir, built_index, embedder)
    with opened(built_index) as generation:
        rows = generation.query(
            "SELECT p.id, p.section, p.text, d.title FROM passages p"
            " JOIN documents d ON d.id = p.document_id"
        )
        assert generation.index.ntotal == len(rows)
        for row in rows:
            text = f"{embed_context(row['title'], row['section'])}\n{row['text']}"
            assert np.allclose(generation.embeddings[row["id"]], embedder.embed_batch([text])[0])


def test_deleting_a_file_removes_its_document_and_passages(corpus_dir, built_index, embedder):
    count_before = json.loads((current_generation(built_index) / "manifest.json").read_text())
    removed_passages = len(passages(built_index, FJI_2019))
    (corpus_dir / FJI_2019).unlink()
    report = build(corpus_dir, built_index, embedder)
    assert report.published
    assert report.removed == [FJI_2019]
    assert report.embedded == 0
    assert FJI_2019 not in documents(built_index)
    assert passages(built_index, FJI_2019) == []
    with opened(built_index) as generation:
        orphans = generation.query_one(
            "SELECT COUNT(*) FROM passages WHERE document_id NOT IN (SELECT id FROM documents)"
        )[0]
        assert orphans == 0
        counts = generation.manifest["counts"]
    assert counts["documents"] == count_before["counts"]["documents"] - 1
    assert counts["passages"] == count_before["counts"]["passages"] - removed_passages


def test_adding_a_file_reports_it_added(corpus_dir, built_index, embedder):
    new = "pif/leaders-2019.md"
    (corpus_dir / "pif").mkdir()
    (corpus_dir / new).write_text(
        "# Fiftieth Pacific Islands Forum\n\nLeaders met in Funafuti, Tuvalu, in August 2019 "
        "and declared a climate change crisis in the Blue Pacific.\n",
        encoding="utf-8",
    )
    report = build(corpus_dir, built_index, embedder)
    assert report.published
    assert report.added == [new]
    assert report.updated == report.removed == []
    document = documents(built_index)[new]
    assert document["title"] == "Fiftieth Pacific Islands Forum"  # derived: no manifest row
    assert document["year"] == 2019
    rows = passages(built_index, new)
    assert rows and "climate change crisis" in rows[0]["text"]
    assert report.embedded == len(rows)


def test_editing_only_manifest_metadata_updates_the_document(corpus_dir, built_index, embedder):
    manifest = corpus_dir / "manifest.csv"
    old_title = "Tuvalu – statement at the UN General Debate, 74th session (2019)"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(old_title, "Tuvalu at the UN, 2019"),
        encoding="utf-8",
    )
    report = build(corpus_dir, built_index, embedder)
    assert report.published
    assert report.updated == [TUV_2019]
    assert documents(built_index)[TUV_2019]["title"] == "Tuvalu at the UN, 2019"
    assert documents(built_index)[FJI_2019]["title"].startswith("Fiji")


def test_sidecar_metadata_is_indexed(corpus_dir, built_index, embedder):
    (corpus_dir / (FJI_2019 + ".meta.json")).write_text('{"place": "Suva", "doc_type": "address"}')
    report = build(corpus_dir, built_index, embedder)
    assert report.updated == [FJI_2019]
    fiji = documents(built_index)[FJI_2019]
    assert (fiji["place"], fiji["doc_type"]) == ("Suva", "address")


def test_force_rebuild_publishes_without_reembedding(corpus_dir, built_index, embedder):
    before = current_generation(built_index).name
    embedded_before = embedder.embedded
    report = build(corpus_dir, built_index, embedder, force=True)
    assert report.published
    assert report.generation != before
    assert embedder.embedded == embedded_before
    assert report.reused == report.passages


def test_changed_chunking_options_rebuild_every_document(corpus_dir, built_index, embedder):
    report = build(corpus_dir, built_index, embedder, ChunkingOptions(target_tokens=120))
    assert report.published
    assert sorted(report.updated) == ALL_SOURCES


# --- documents that cannot be indexed ----------------------------------------------------------


def test_broken_pdf_and_empty_file_are_skipped_with_reasons_and_the_rest_indexed(
    small_corpus, tmp_path, embedder
):
    (small_corpus / "oco" / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Cat")
    (small_corpus / "oco" / "empty.txt").write_bytes(b"")
    (small_corpus / "oco" / "slides.pptx").write_bytes(b"PK\x03\x04")
    report = build(small_corpus, tmp_path / "index", embedder)
    reasons = dict(report.skipped)
    assert set(reasons) == {"oco/broken.pdf", "oco/empty.txt", "oco/slides.pptx"}
    assert "PDF" in reasons["oco/broken.pdf"]
    assert "empty" in reasons["oco/empty.txt"]
    assert "unsupported" in reasons["oco/slides.pptx"]
    assert report.published
    assert "oco/broken.pdf" not in report.added
    indexed = documents(tmp_path / "index")
    assert set(indexed) == {COMMUNIQUE_PDF, COMMUNIQUE_TXT, TUV_2019, FJI_2019}


def test_rebuild_with_a_broken_file_left_in_the_corpus_publishes_nothing(
    small_corpus, tmp_path, embedder
):
    (small_corpus / "oco" / "empty.txt").write_bytes(b"")
    index_dir = tmp_path / "index"
    build(small_corpus, index_dir, embedder)
    before = current_generation(index_dir).name
    report = build(small_corpus, index_dir, embedder)
    assert report.skipped == [("oco/empty.txt", "empty file")]  # still reported
    assert not report.published
    assert current_generation(index_dir).name == before


def test_non_numeric_year_in_manifest_skips_that_document_with_a_reason(
    small_corpus, tmp_path, embedder
):
    manifest = small_corpus / "manifest.csv"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(",2019,", ",twenty-nineteen,") if line.startswith(FJI_2019) else line
             for line in lines]  # fmt: skip
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = build(small_corpus, tmp_path / "index", embedder)
    reasons = dict(report.skipped)
    assert "year" in reasons[FJI_2019]
    assert FJI_2019 not in documents(tmp_path / "index")
    assert TUV_2019 in documents(tmp_path / "index")


def test_second_file_claiming_an_id_already_used_is_skipped(small_corpus, tmp_path, embedder):
    fiji_id = "ungdc-pacific-fji_74_2019-txt"
    (small_corpus / (TUV_2019 + ".meta.json")).write_text(json.dumps({"id": fiji_id}))
    report = build(small_corpus, tmp_path / "index", embedder)
    reasons = dict(report.skipped)
    assert "already used" in reasons[TUV_2019]
    assert FJI_2019 in reasons[TUV_2019]
    assert documents(tmp_path / "index")[FJI_2019]["id"] == fiji_id
    assert TUV_2019 not in documents(tmp_path / "index")


def test_cp1252_file_is_indexed_with_a_warning(small_corpus, tmp_path, embedder):
    (small_corpus / "legacy.txt").write_bytes("Délégués – “Blue Pacific”.".encode("cp1252"))
    report = build(small_corpus, tmp_path / "index", embedder)
    assert "legacy.txt" in report.added
    assert [source for source, _ in report.warnings] == ["legacy.txt"]
    assert "Délégués" in passages(tmp_path / "index", "legacy.txt")[0]["text"]


def test_max_file_bytes_skips_large_files(small_corpus, tmp_path, embedder):
    report = build(small_corpus, tmp_path / "index", embedder, max_file_bytes=10_000)
    reasons = dict(report.skipped)
    assert set(reasons) == {TUV_2019, FJI_2019}  # 12 kB each
    assert "limit of 10000 bytes" in reasons[TUV_2019]
    assert set(documents(tmp_path / "index")) == {COMMUNIQUE_PDF, COMMUNIQUE_TXT}


# --- generations -------------------------------------------------------------------------------


def test_current_points_at_a_complete_generation_and_the_previous_is_kept(
    corpus_dir, built_index, embedder
):
    first = current_generation(built_index)
    add_paragraph(corpus_dir / TUV_2019, "A paragraph that makes a second generation.")
    report = build(corpus_dir, built_index, embedder)
    second = current_generation(built_index)
    assert second.name == report.generation != first.name
    assert (built_index / "CURRENT").read_text().strip() == second.name
    for name in ("manifest.json", *store.FILES):
        assert (second / name).is_file()
    assert first.is_dir()
    previous = Generation.open(first)
    try:
        assert previous.manifest["generation"] == first.name
        assert previous.index.ntotal == previous.manifest["counts"]["passages"]
    finally:
        previous.close()
    assert not list(built_index.glob(".building-*"))


def same_second_names(monkeypatch, suffixes: str) -> None:
    """Generation names stamped with one fixed second, then the given random suffixes."""
    clock = SimpleNamespace(strftime=lambda *_: "20260101T000000", gmtime=lambda: None,
                            time=store.time.time)  # fmt: skip
    letters = iter(suffixes)
    monkeypatch.setattr(store, "time", clock)
    monkeypatch.setattr(
        store, "uuid", SimpleNamespace(uuid4=lambda: SimpleNamespace(hex=next(letters) * 32))
    )


def test_previous_generation_is_kept_when_builds_follow_within_one_second(
    corpus_dir, tmp_path, embedder, monkeypatch
):
    # Builds in the same second get names that differ only by their random suffix, which need
    # not sort in the order the builds ran.
    same_second_names(monkeypatch, "fedcba")
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, embedder)
    for n in range(3):
        previous = current_generation(index_dir).name
        add_paragraph(corpus_dir / TUV_2019, f"Paragraph number {n} that makes a generation.")
        assert build(corpus_dir, index_dir, embedder).published
        assert (index_dir / previous).is_dir(), f"build {n + 2} deleted {previous}"
        assert current_generation(index_dir).name != previous


def test_old_generations_are_pruned_to_the_current_and_the_previous(
    corpus_dir, tmp_path, embedder, monkeypatch
):
    same_second_names(monkeypatch, "abcdef")  # names in build order
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, embedder)
    names = [current_generation(index_dir).name]
    for n in range(3):
        add_paragraph(corpus_dir / TUV_2019, f"Paragraph number {n} that makes a generation.")
        build(corpus_dir, index_dir, embedder)
        names.append(current_generation(index_dir).name)
    assert generations(index_dir) == names[-2:]


def test_failed_build_leaves_the_published_generation_in_place(
    corpus_dir, built_index, embedder, monkeypatch
):
    before = current_generation(built_index).name
    counts = json.loads((built_index / before / "manifest.json").read_text())["counts"]
    add_paragraph(corpus_dir / TUV_2019, "A paragraph that will never be embedded.")

    def broken(texts):
        raise RuntimeError("model crashed")

    monkeypatch.setattr(embedder, "embed_batch", broken)
    with pytest.raises(RuntimeError, match="model crashed"):
        build(corpus_dir, built_index, embedder)

    assert (built_index / "CURRENT").read_text().strip() == before
    assert generations(built_index) == [before]
    assert not list(built_index.glob(".building-*"))
    with opened(built_index) as generation:
        assert generation.name == before
        assert generation.manifest["counts"] == counts
        assert row_count(generation, "passages") == counts["passages"]

    monkeypatch.undo()
    report = build(corpus_dir, built_index, embedder)
    assert report.published
    assert report.updated == [TUV_2019]


def test_unreadable_previous_index_is_rebuilt_from_scratch(corpus_dir, built_index, embedder):
    generation = current_generation(built_index)
    (generation / "manifest.json").write_text("{ not json")
    report = build(corpus_dir, built_index, embedder)
    assert report.published
    assert sorted(report.added) == ALL_SOURCES
    with opened(built_index) as opened_generation:
        assert opened_generation.name == report.generation


def resolution_corpus(target: Path, *numbers: int) -> Path:
    """The collection's files named for `numbers`, under `target`/unsc-resolutions."""
    folder = target / "unsc-resolutions"
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        path = next((CORPUS / "unsc-resolutions").glob(f"S_RES_{number:04d}_*"))
        (folder / path.name).write_bytes(path.read_bytes())
    return target


COPY_538 = "unsc-resolutions/S_RES_0542_1983_EN_GOLD.txt"  # the text of 538 under 542's name
OWN_538 = "unsc-resolutions/S_RES_0538_1983_EN_GOLD.txt"


def test_a_documents_warnings_are_reported_by_every_build_until_it_changes(tmp_path, embedder):
    corpus = resolution_corpus(tmp_path / "corpus", 425, 538, 542)
    first = build(corpus, tmp_path / "index", embedder)
    unchanged = build(corpus, tmp_path / "index", embedder)  # nothing to publish
    (corpus / "note.txt").write_text("An unrelated note on the Council.", encoding="utf-8")
    another = build(corpus, tmp_path / "index", embedder)  # 542 copied, not read

    assert not unchanged.published and another.published and COPY_538 in another.unchanged
    for report in (first, unchanged, another):
        said = [w for source, w in report.warnings if source == COPY_538]
        assert any("the file name says resolution 542" in w for w in said)
    stored = json.loads(documents(tmp_path / "index")[COPY_538]["extra"])
    assert any("resolution 542" in w for w in stored["warnings"])  # what the API shows


def test_a_second_copy_of_a_resolution_is_marked_and_its_references_counted_once(
    tmp_path, embedder
):
    corpus = resolution_corpus(tmp_path / "corpus", 425, 538, 542)
    build(corpus, tmp_path / "index", embedder)
    docs = documents(tmp_path / "index")
    copy, own = docs[COPY_538], docs[OWN_538]

    assert copy["symbol"] == own["symbol"] == "S/RES/538 (1983)"
    assert json.loads(copy["extra"])["duplicate_of"] == own["id"]
    assert "duplicate_of" not in json.loads(own["extra"])
    with opened(tmp_path / "index") as generation:
        citing = generation.query("SELECT document_id FROM citations WHERE number = 425")
        assert {row[0] for row in citing} == {own["id"]}  # "cited by" lists 538 once

    # without the file named for 538, its copy is the resolution: read again, cited, unmarked
    (corpus / OWN_538).unlink()
    report = build(corpus, tmp_path / "index", embedder)
    copy = documents(tmp_path / "index")[COPY_538]
    assert COPY_538 in report.updated and report.embedded == 0
    assert "duplicate_of" not in json.loads(copy["extra"]) and json.loads(copy["citations"])
