"""The benchmark suite imports and formats its report; no timing is run or asserted here."""

from __future__ import annotations

import numpy as np
import pytest

from bench import __main__ as bench_main
from bench import indexing, ingestion, machine, models, queries, scale, startup, understanding
from bench.common import question_pool
from bench.report import Row, Section, Table, format_text, to_markdown


def fake_sections() -> list[Section]:
    return [
        Section(
            "Indexing throughput",
            [
                Row("confsearch", "90 passages/s", how="median of 3 runs"),
                Row("speed-up over naive", "4.90×", "≥ 3×", True),
                Row("speed-up over txtai", "0.90×", "≥ 1×", False),
            ],
            [Table("detail", ["a", "b"], [["1", "2|3"]])],
            ["a note"],
        )
    ]


def test_report_formats_text_and_markdown():
    machine_lines = [("CPU", "fake"), ("flags", "amx_bf16 yes")]
    text = format_text(machine_lines, fake_sections(), "title")
    assert "speed-up over naive" in text and "NOT MET" in text
    assert "targets missed: speed-up over txtai" in text
    markdown = to_markdown(machine_lines, fake_sections(), "title", "python -m bench")
    assert markdown.startswith("# title")
    assert "| speed-up over naive | 4.90× | ≥ 3× | met |" in markdown
    assert "2\\|3" in markdown and "make bench" in markdown


def test_modules_expose_their_sections():
    for module in (indexing, ingestion, models, queries, scale, startup, understanding):
        assert callable(module.run)
    assert set(bench_main.OPTIONAL) == {"models"}  # named only: mpnet's index takes 20 min
    assert set(bench_main.SECTIONS) == {
        "indexing", "ingestion", "queries", "scale", "startup", "understanding"
    }  # fmt: skip
    assert callable(machine.describe)


def test_helpers_on_small_inputs():
    pool = question_pool()
    assert len(pool) == len(set(pool)) >= 2000
    assert indexing.sample(list(range(10)), 4) == [0, 2, 5, 7]
    real = np.eye(4, dtype=np.float32)
    vectors = scale.synthetic(real, 10)
    assert vectors.shape == (10, 4)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors[:4], real)


def test_scale_generation_copies_passages_and_their_sentence_vectors(built_index, tmp_path):
    from indexer import vector_index
    from indexer.store import Generation, current_generation

    source = Generation.open_current(built_index)
    real = len(source.embeddings)
    count = 2 * real + 3  # two whole copies and three passages of a third
    vectors = scale.synthetic(np.asarray(source.embeddings), count)
    index, params = vector_index.build(vectors, "flat")
    scale.write_generation(current_generation(built_index), tmp_path / "scale", vectors, index,
                           params)  # fmt: skip
    copy = Generation.open_current(tmp_path / "scale")  # every file's SHA-256 checked
    try:
        assert len(copy.sentence_offsets) == count + 1
        ids = [0, real - 1, real, 2 * real + 2]
        for i, rows in zip(ids, copy.sentence_vectors(ids), strict=True):
            assert np.array_equal(rows, source.sentence_vectors([i % real])[0])
        assert len(copy.sentences) == copy.sentence_offsets[-1]
    finally:
        copy.close()
        source.close()


def test_server_timing_and_process_tree_figures():
    import os

    from bench.common import process_cpu, server_timing, tree_pss

    header = "model;dur=2.31, dense;dur=0.40, total;dur=5.12"
    assert server_timing(header) == {"model": 2.31, "dense": 0.40, "total": 5.12}
    assert server_timing("") == {}
    assert tree_pss(os.getpid()) > 10 * 2**20  # this interpreter holds more than 10 MB
    assert process_cpu(os.getpid()) > 0


def test_compare_needs_an_index_and_serves_each_build_from_its_own_tree(tmp_path, capsys):
    from bench import compare

    with pytest.raises(SystemExit) as exit_:
        compare.main(["HEAD", "--index-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "no index in" in capsys.readouterr().err
    command, env = compare.serve_command(tmp_path / "tree", tmp_path / "index", 8000)
    assert env["PYTHONPATH"] == str(tmp_path / "tree")  # the baseline's code, not this tree's
    assert command[-2:] == ["--index-dir", str(tmp_path / "index")]
