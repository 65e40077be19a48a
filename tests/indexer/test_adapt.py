"""`confsearch adapt`: pairs from the index's own passages, a model saved beside the index that
indexes and is recorded in the manifest. Trains the real small model for a few steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from indexer.adapt import ADAPTED_FILE, adapt, pairs
from indexer.build import build
from indexer.embedding import DEFAULT_MODEL, load_embedder
from indexer.store import Generation
from search_api.cli import app
from tests.conftest import copy_corpus


def test_pairs_take_a_sentence_out_of_its_passage_and_pair_each_heading_once(
    built_index: Path,
):
    generation = Generation.open_current(built_index)
    try:
        texts = {r["text"] for r in generation.query("SELECT text FROM passages")}
        sections = {r["section"] for r in generation.query("SELECT section FROM passages")}
        examples = pairs(generation)
    finally:
        generation.close()
    sentence_pairs = [(a, p) for a, p in examples if p not in texts]
    heading_pairs = [(a, p) for a, p in examples if p in texts]
    assert sentence_pairs and heading_pairs
    for anchor, rest in sentence_pairs:
        assert len(anchor.split()) >= 8
        assert anchor not in rest  # the sentence is taken out of what it is paired with
        assert any(anchor in t for t in texts)
    assert {a for a, _ in heading_pairs} <= sections  # the communiqué's headings
    assert len({a for a, _ in heading_pairs}) == len(heading_pairs)  # each heading once
    assert pairs_of(built_index) == examples  # the same pairs every time
    assert len(pairs_of(built_index, limit=5)) == 5


def pairs_of(index_dir: Path, **options) -> list[tuple[str, str]]:
    generation = Generation.open_current(index_dir)
    try:
        return pairs(generation, **options)
    finally:
        generation.close()


def test_adapted_model_is_saved_indexes_and_is_recorded_in_the_manifest(
    tmp_path: Path, built_index: Path
):
    examples = pairs_of(built_index)[:16]
    output = built_index / "models" / "adapted-test"
    report = adapt(DEFAULT_MODEL, examples, output, minutes=2, batch_size=8)
    assert report.steps == 2 and report.examples == 16
    assert (output / "model.safetensors").is_file()
    assert not list(output.parent.glob("*.partial"))
    recorded = json.loads((output / ADAPTED_FILE).read_text())
    assert recorded["base"] == DEFAULT_MODEL and recorded["method"] == "pairs"
    assert not list(output.rglob("*.pkl")) and not list(output.rglob("*.bin"))

    base = load_embedder(DEFAULT_MODEL)
    adapted = load_embedder(str(output))  # the fast plain-torch path runs it like the base
    assert type(adapted).__name__ == type(base).__name__ == "BertEmbedder"
    question = ["which country paid off its last foreign loan?"]
    before, after = base.embed_batch(question)[0], adapted.embed_batch(question)[0]
    assert np.isclose(np.linalg.norm(after), 1, atol=1e-3)
    assert 0.9 < float(before @ after) < 0.99999  # moved, not destroyed, by two small steps

    # The communiqué alone: what is checked is the manifest, not the vectors of every passage.
    small = copy_corpus(tmp_path / "small", speeches=[], pdf=False)
    index_dir = tmp_path / "adapted-index"
    build(small, index_dir, adapted)
    built = Generation.open_current(index_dir)
    try:
        assert built.manifest["model"] == str(output)
        assert built.manifest["model_adapted"]["base"] == DEFAULT_MODEL
        assert built.manifest["model_adapted"]["steps"] == 2
    finally:
        built.close()


def test_adapt_without_an_index_says_so(tmp_path: Path):
    result = CliRunner().invoke(app, ["adapt", "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "index the corpus first" in result.output


def test_too_few_pairs_for_a_batch_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ValueError, match="at least 32 are needed"):
        adapt(DEFAULT_MODEL, [("a", "b")] * 3, tmp_path / "m", minutes=1)
    assert not (tmp_path / "m").exists()


def test_distilling_a_teacher_matches_its_in_batch_similarities(tmp_path: Path, built_index: Path):
    examples = pairs_of(built_index)[:8]
    output = tmp_path / "distilled"
    report = adapt(DEFAULT_MODEL, examples, output, minutes=2, batch_size=8, teacher=DEFAULT_MODEL)
    assert report.method == f"distil:{DEFAULT_MODEL}" and report.steps == 1
    # A student that is its teacher agrees with it but for dropout (training mode): far below
    # the KL of one that ranks the batch's passages otherwise (several units at scale 20).
    assert 0 <= report.loss_first < 0.5
    assert json.loads((output / ADAPTED_FILE).read_text())["method"] == report.method
