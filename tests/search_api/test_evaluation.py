"""Metrics on a tiny example computed by hand."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from search_api.evaluation import (
    Outcome,
    Question,
    collection,
    format_table,
    is_correct,
    load_questions,
    summarise,
)


def question(kind: str = "exact") -> Question:
    return Question("q", kind, "?", ["a.txt"], ["the answer"])


def test_first_correct_at_rank_two_gives_hand_computed_metrics():
    metrics = Outcome(question(), "hybrid", ranks=[2, 5], relevant_total=2).metrics()
    assert metrics["R@1"] == 0.0
    assert metrics["R@5"] == 1.0
    assert metrics["R@10"] == 1.0
    assert metrics["MRR@10"] == pytest.approx(0.5)
    # DCG = 1/log2(3) + 1/log2(6); ideal with 2 relevant = 1 + 1/log2(3)
    assert metrics["nDCG@10"] == pytest.approx((0.63093 + 0.38685) / (1 + 0.63093), abs=1e-4)


def test_no_correct_result_scores_zero():
    metrics = Outcome(question(), "keyword", ranks=[]).metrics()
    assert all(value == 0.0 for value in metrics.values())


def test_correct_beyond_ten_counts_for_nothing_at_ten():
    metrics = Outcome(question(), "semantic", ranks=[11]).metrics()
    assert metrics["R@10"] == 0.0 and metrics["MRR@10"] == 0.0


def test_summary_averages_per_kind_and_overall():
    outcomes = [
        Outcome(question("exact"), "hybrid", ranks=[1]),
        Outcome(question("exact"), "hybrid", ranks=[]),
        Outcome(question("paraphrase"), "hybrid", ranks=[4]),
    ]
    table = summarise(outcomes)
    assert table["exact"]["hybrid"]["R@1"] == 0.5
    assert table["paraphrase"]["hybrid"]["MRR@10"] == 0.25
    assert table["all"]["hybrid"]["R@5"] == pytest.approx(2 / 3)
    assert table["all"]["hybrid"]["n"] == 3
    text = format_table(table, ["hybrid"], markdown=True)
    assert text.splitlines()[0].startswith("| kind | n | mode | R@1")


def test_a_passage_is_correct_from_a_listed_document_with_an_evidence_phrase():
    q = Question("q", "exact", "?", ["a.txt"], ["Falepili  Union"])
    hit = {"source": "a.txt", "text": "the falepili union treaty", "also_in": []}
    assert is_correct(SimpleNamespace(**hit), q)
    assert not is_correct(SimpleNamespace(**{**hit, "source": "b.txt"}), q)
    assert is_correct(SimpleNamespace(**{**hit, "source": "b.txt", "also_in": ["a.txt"]}), q)
    assert not is_correct(SimpleNamespace(**{**hit, "text": "another union"}), q)


def test_questions_file_is_read_and_bad_lines_are_reported(tmp_path: Path):
    good = {"id": "e1", "kind": "exact", "question": "q", "documents": ["a"], "evidence": ["x"]}
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({**good, "filters": {"year": 1}}))
    assert [q.filters for q in load_questions(path)] == [None, {"year": 1}]
    path.write_text('{"id": "e1"}\n')
    with pytest.raises(ValueError, match="line 1"):
        load_questions(path)


def test_shipped_question_set_has_sixty_questions_in_three_kinds():
    questions = load_questions(Path(__file__).parents[2] / "eval" / "questions.jsonl")
    kinds = [q.kind for q in questions]
    assert len(questions) >= 60
    for kind in ("paraphrase", "exact", "filtered"):
        assert kinds.count(kind) >= 20
    assert all(q.filters for q in questions if q.kind == "filtered")


def test_shipped_set_has_forty_resolution_questions_of_each_sort():
    questions = load_questions(Path(__file__).parents[2] / "eval" / "questions.jsonl")
    on_resolutions = [q for q in questions if collection(q) == "unsc-resolutions"]

    assert len(on_resolutions) >= 40
    kinds = [q.kind for q in on_resolutions]
    assert kinds.count("reference") >= 15 and kinds.count("filtered") >= 10
    assert any("para" in q.question for q in on_resolutions if q.kind == "reference")


@pytest.mark.parametrize(
    "name", ["questions.jsonl", "heldout/questions.jsonl", "heldout2/questions.jsonl"]
)
def test_every_shipped_label_names_real_documents_holding_its_evidence(name: str):
    corpus = Path(__file__).parents[2] / "corpus"
    for q in load_questions(Path(__file__).parents[2] / "eval" / name):
        texts = [
            " ".join((corpus / source).read_text(encoding="utf-8-sig").split())
            for source in q.documents
            if not source.endswith(".pdf")
        ]
        assert texts, q.id
        for phrase in q.evidence:
            assert any(" ".join(phrase.split()) in t for t in texts), (q.id, phrase)


def test_evaluation_page_reports_the_test_part_for_every_kind_and_mode():
    """docs/evaluation.md is what `confsearch eval --split test` reproduces: its results table
    must hold a row for each kind of the shipped set and each mode, with the test part's
    counts (an edit once left the table's header with no rows)."""
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "evaluation.md").read_text(encoding="utf-8")
    section = page.split("## Results: the test part", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[2] in {"hybrid", "semantic", "keyword"}:
            rows[(cells[0], cells[2])] = int(cells[1])
    test = [q for q in load_questions(root / "eval" / "questions.jsonl") if q.split == "test"]
    counts = {kind: sum(q.kind == kind for q in test) for kind in {q.kind for q in test}}
    counts["all"] = len(test)
    for kind, n in counts.items():
        for mode in ("hybrid", "semantic", "keyword"):
            assert rows.get((kind, mode)) == n, (kind, mode)
