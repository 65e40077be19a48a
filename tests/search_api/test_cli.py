"""The `confsearch` command: index a corpus, search it; and parse_filter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search_api.cli import app, parse_filter
from search_api.query import QueryError
from tests.conftest import copy_corpus
from tests.search_api.conftest import TUV_2005, TUV_2019

runner = CliRunner()

SUMMARY = re.compile(r"passages: (\d+) in the index, (\d+) embedded")


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def assert_clean_failure(result, code: int = 2) -> str:
    """A failed command exits with `code`, explains itself, and shows no traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr


def search_json(index_dir: Path, query: str, *options: str) -> dict:
    result = invoke(
        "search", query, "--index-dir", index_dir, "--model", "fake", "--json", *options
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- index ---------------------------------------------------------------------------------


def test_index_prints_a_summary_of_what_it_added(tmp_path: Path, corpus_dir: Path):
    result = invoke("index", corpus_dir, "--index-dir", tmp_path / "index", "--model", "fake")

    assert result.exit_code == 0, result.output
    assert "published" in result.stdout
    assert "6 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in result.stdout
    in_index, embedded = map(int, SUMMARY.search(result.stdout).groups())
    assert in_index == embedded > 0
    assert (tmp_path / "index" / "CURRENT").is_file()


def test_second_index_run_is_unchanged_and_embeds_nothing(tmp_path: Path, corpus_dir: Path):
    args = ("index", corpus_dir, "--index-dir", tmp_path / "index", "--model", "fake")
    first = invoke(*args)
    second = invoke(*args)

    assert second.exit_code == 0, second.output
    assert "unchanged, nothing to publish" in second.stdout
    assert "0 added, 0 updated, 0 removed, 6 unchanged" in second.stdout
    in_index, embedded = map(int, SUMMARY.search(second.stdout).groups())
    assert embedded == 0
    assert in_index == int(SUMMARY.search(first.stdout).group(1))


def test_an_unchanged_corpus_is_checked_without_loading_torch(tmp_path: Path, corpus_dir: Path):
    """Re-running `confsearch index` on an unchanged corpus is a second's work: it must not
    pay torch's import (about 2 s), which only embedding and searching need."""
    index_dir = tmp_path / "index"
    assert invoke("index", corpus_dir, "--index-dir", index_dir, "--model", "fake").exit_code == 0
    script = (
        "import sys\nfrom search_api.cli import app\n"
        f"try:\n    app(['index', {str(corpus_dir)!r}, '--index-dir', {str(index_dir)!r},"
        " '--model', 'fake'])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('torch loaded:', 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "unchanged, nothing to publish" in done.stdout
    assert done.stdout.strip().endswith("torch loaded: False")


def test_index_reports_an_empty_file_skipped_with_its_reason(tmp_path: Path, corpus_dir: Path):
    (corpus_dir / "oco" / "blank.txt").write_text("")

    result = invoke("index", corpus_dir, "--index-dir", tmp_path / "index", "--model", "fake")

    assert result.exit_code == 0, result.output
    assert "6 added" in result.stdout and "1 skipped" in result.stdout
    assert "skipped oco/blank.txt: empty file" in result.stdout


def test_second_index_run_with_a_skipped_file_is_unchanged(tmp_path: Path, corpus_dir: Path):
    (corpus_dir / "oco" / "blank.txt").write_text("")
    args = ("index", corpus_dir, "--index-dir", tmp_path / "index", "--model", "fake")
    invoke(*args)

    second = invoke(*args)

    assert second.exit_code == 0, second.output
    assert "unchanged, nothing to publish" in second.stdout, second.stdout
    assert "skipped oco/blank.txt: empty file" in second.stdout


def test_index_json_prints_the_report(tmp_path: Path, corpus_dir: Path):
    result = invoke(
        "index", corpus_dir, "--index-dir", tmp_path / "index", "--model", "fake", "--json"
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["published"] is True
    assert len(report["added"]) == 6 and TUV_2019 in report["added"]
    assert report["embedded"] == report["passages"] > 0
    assert report["generation"] == (tmp_path / "index" / "CURRENT").read_text().strip()


def test_index_reads_corpus_index_dir_and_model_from_the_environment(
    tmp_path: Path, corpus_dir: Path
):
    env = {
        "CONFSEARCH_CORPUS_DIR": str(corpus_dir),
        "CONFSEARCH_INDEX_DIR": str(tmp_path / "from-env"),
        "CONFSEARCH_MODEL": "fake",
    }
    result = invoke("index", env=env)

    assert result.exit_code == 0, result.output
    assert "6 added" in result.stdout
    assert (tmp_path / "from-env" / "CURRENT").is_file()


def test_index_of_a_missing_corpus_fails_with_a_message(tmp_path: Path):
    result = invoke(
        "index", tmp_path / "nowhere", "--index-dir", tmp_path / "index", "--model", "fake"
    )

    message = assert_clean_failure(result)
    assert "nowhere" in message and "does not exist" in message


@pytest.mark.parametrize("which", ["corpus", "index"])
def test_index_given_a_file_for_a_folder_fails_with_a_message(
    tmp_path: Path, corpus_dir: Path, which: str
):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    corpus, index = (a_file, tmp_path / "index") if which == "corpus" else (corpus_dir, a_file)

    result = invoke("index", corpus, "--index-dir", index, "--model", "fake")

    message = assert_clean_failure(result)
    assert "notes.txt" in message and "is a file" in message


# -- search --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    corpus = copy_corpus(root / "corpus")
    result = invoke("index", corpus, "--index-dir", root / "index", "--model", "fake")
    assert result.exit_code == 0, result.output
    return root / "index"


def test_search_json_prints_the_api_response(cli_index: Path):
    response = search_json(cli_index, "e-commerce", "-k", "2")

    assert response["query"] == "e-commerce" and response["k"] == 2
    assert len(response["results"]) == 2
    for result in response["results"]:
        assert {"text", "score", "source", "section", "page", "highlight", "document"} <= set(
            result
        )
        assert result["highlight"] in result["text"]


def test_search_prints_numbered_passages_with_title_and_highlight(cli_index: Path):
    response = search_json(cli_index, "climate change", "-k", "2")
    result = invoke(
        "search", "climate change", "--index-dir", cli_index, "--model", "fake", "-k", "2"
    )

    assert result.exit_code == 0, result.output
    first, second = response["results"]
    assert f"1. {first['document']['title']}" in result.stdout
    assert f"2. {second['document']['title']}" in result.stdout
    assert first["highlight"] in result.stdout
    assert first["source"] in result.stdout
    assert "3. " not in result.stdout


def test_search_defaults_to_five_passages(cli_index: Path):
    assert len(search_json(cli_index, "climate")["results"]) == 5


def test_search_reads_the_model_from_the_environment(cli_index: Path):
    result = invoke(
        "search",
        "climate",
        "--index-dir",
        cli_index,
        "--json",
        "-k",
        "1",
        env={"CONFSEARCH_MODEL": "fake"},
    )

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["results"]) == 1


def test_search_country_and_year_filters(cli_index: Path):
    response = search_json(
        cli_index, "climate", "-k", "10", "--filter", "country=TUV", "--filter", "year=2019"
    )

    assert len(response["results"]) == 10
    assert {r["source"] for r in response["results"]} == {TUV_2019}


def test_search_year_range_filter(cli_index: Path):
    response = search_json(
        cli_index, "climate", "-k", "50", "-f", "year=2015..2019", "-f", "country=TUV"
    )

    assert response["results"]
    assert {r["source"] for r in response["results"]} == {TUV_2019}


def test_search_open_year_range_filter(cli_index: Path):
    response = search_json(cli_index, "climate", "-k", "50", "--filter", "year=..2005")

    assert {r["source"] for r in response["results"]} == {TUV_2005}


def test_search_list_filter(cli_index: Path):
    response = search_json(cli_index, "climate", "-k", "50", "--filter", "country=tuv,fji")

    assert {r["document"]["country"] for r in response["results"]} == {"TUV", "FJI"}


def test_search_offset_gives_the_next_passages(cli_index: Path):
    four = search_json(cli_index, "trade", "-k", "4")["results"]
    later = search_json(cli_index, "trade", "-k", "2", "--offset", "2")["results"]

    assert [r["id"] for r in later] == [r["id"] for r in four[2:]]


def test_search_place_filter_with_a_comma_in_the_value(cli_index: Path):
    # Places are written "City, Country" (the communiqué's is "Rarotonga, Cook Islands").
    response = search_json(cli_index, "trade", "-k", "3", "-f", "place=Rarotonga, Cook Islands")

    assert len(response["results"]) == 3
    assert {r["document"]["doc_type"] for r in response["results"]} == {"communique"}


def test_search_matching_nothing_says_so(cli_index: Path):
    result = invoke(
        "search", "climate", "--index-dir", cli_index, "--model", "fake", "-f", "country=ZZZ"
    )

    assert result.exit_code == 0, result.output
    assert "No passages found." in result.stdout


@pytest.mark.parametrize("item", ["year", "year=", "=2019", "  "])
def test_search_with_a_malformed_filter_fails_with_a_message(cli_index: Path, item: str):
    result = invoke(
        "search", "climate", "--index-dir", cli_index, "--model", "fake", "--filter", item
    )

    message = assert_clean_failure(result)
    assert "FIELD=VALUE" in message


@pytest.mark.parametrize(
    ("item", "expected"), [("colour=red", "colour"), ("year=abc", "whole number")]
)
def test_search_with_a_bad_filter_value_fails_with_a_message(cli_index, item, expected):
    result = invoke("search", "climate", "--index-dir", cli_index, "--model", "fake", "-f", item)

    assert expected in assert_clean_failure(result)


def test_search_with_an_empty_query_fails_with_a_message(cli_index: Path):
    result = invoke("search", "   ", "--index-dir", cli_index, "--model", "fake")

    assert "empty" in assert_clean_failure(result)


@pytest.mark.parametrize("k", ["0", "51"])
def test_search_with_k_out_of_range_fails(cli_index: Path, k: str):
    result = invoke("search", "climate", "--index-dir", cli_index, "--model", "fake", "-k", k)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "-k" in result.output


@pytest.mark.parametrize("make_dir", [False, True])
def test_search_without_an_index_says_to_run_confsearch_index(tmp_path: Path, make_dir: bool):
    index_dir = tmp_path / "index"
    if make_dir:
        index_dir.mkdir()

    result = invoke("search", "climate", "--index-dir", index_dir, "--model", "fake")

    assert "confsearch index" in assert_clean_failure(result, code=2)


def test_search_with_another_model_than_the_index_says_which(cli_index: Path):
    result = invoke("search", "climate", "--index-dir", cli_index, "--model", "fake-32")

    message = assert_clean_failure(result)
    assert "fake-64" in message and "fake-32" in message


# -- parse_filter --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], {}),
        (["year=2019"], {"year": "2019"}),
        (["country=TUV", "year=2019"], {"country": "TUV", "year": "2019"}),
        (["year=2015..2019"], {"year": {"gte": "2015", "lte": "2019"}}),
        (["year=2015.."], {"year": {"gte": "2015"}}),
        (["year=..2019"], {"year": {"lte": "2019"}}),
        (["country=TUV,FJI"], {"country": ["TUV", "FJI"]}),
        (["country=TUV, FJI,"], {"country": ["TUV", "FJI"]}),
        ([" country = TUV "], {"country": "TUV"}),
        (["title=a=b"], {"title": "a=b"}),
    ],
)
def test_parse_filter(items: list[str], expected: dict):
    assert parse_filter(items) == expected


@pytest.mark.parametrize("item", ["year", "year=", "=2019", "year=  ", " = "])
def test_parse_filter_rejects_items_without_field_and_value(item: str):
    with pytest.raises(QueryError, match="FIELD=VALUE"):
        parse_filter([item])


def test_search_mode_option_selects_the_leg(cli_index: Path):
    data = search_json(cli_index, "cyclone", "--mode", "keyword")
    assert data["mode"] == "keyword"


def test_eval_prints_metrics_for_each_mode_side_by_side(cli_index: Path, tmp_path: Path):
    question = {
        "id": "e1",
        "kind": "exact",
        "question": "climate change",
        "documents": [TUV_2019],
        "evidence": ["climate change"],
        "filters": {"country": "TUV", "year": 2019},
    }
    path = tmp_path / "questions.jsonl"
    path.write_text(json.dumps(question) + "\n")
    result = invoke("eval", str(path), "--index-dir", str(cli_index), "--model", "fake")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:8] == ["kind", "n", "mode", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10"]
    rows = [line.split() for line in lines[1:]]
    assert {r[2] for r in rows} == {"hybrid", "semantic", "keyword"}
    # The only question's answer is the filtered speech: every mode finds it first.
    assert all(r[3] == "1.000" for r in rows)


def test_eval_of_a_malformed_questions_file_fails_cleanly(cli_index: Path, tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{not json\n")
    result = invoke("eval", str(path), "--index-dir", str(cli_index), "--model", "fake")
    assert "line 1" in assert_clean_failure(result)


def test_search_honours_a_max_k_above_fifty_from_the_environment(cli_index: Path):
    options = ("--index-dir", cli_index, "--model", "fake", "--json", "--mode", "semantic")
    wide = invoke("search", "climate", *options, "-k", "80", env={"CONFSEARCH_MAX_K": "80"})
    narrow = invoke("search", "climate", *options, "-k", "80")

    assert wide.exit_code == 0, wide.output
    assert len(json.loads(wide.stdout)["results"]) == 80
    assert "50" in assert_clean_failure(narrow)


def test_search_by_year_prints_each_year_with_its_documents(cli_index: Path):
    result = invoke("search", "climate change", "--index-dir", cli_index, "--model", "fake",
                    "--by-year", "-k", "3")  # fmt: skip

    assert result.exit_code == 0, result.output
    years = [line.split(" — ")[0] for line in result.stdout.splitlines() if " — " in line]
    assert years == sorted(years, reverse=True) and len(years) == 3
    assert "document" in result.stdout


def test_search_literal_reads_no_year(cli_index: Path):
    understood = search_json(cli_index, "Tuvalu in 2005", "-k", "1")
    literal = search_json(cli_index, "Tuvalu in 2005", "-k", "1", "--literal")

    assert understood["understood"]["year"] == {"value": 2005, "text": "in 2005"}
    assert "understood" not in literal


def _upload_folder(tmp_path: Path, documents: list[str]) -> tuple[Path, Path]:
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "report-01.txt").write_text(
        "Tokelau joins the customs family\n\nTokelau was admitted as the 24th member of the "
        "Oceania Customs Organization at the annual conference in Apia, after three years as "
        "an observer.\n"
    )
    (folder / "README.md").write_text("Reports for the upload evaluation.\n")
    question = {"id": "up-1", "kind": "upload", "documents": documents,
                "question": "which territory became the 24th member of the customs organisation",
                "evidence": ["was admitted as the 24th member"]}  # fmt: skip
    (folder / "questions.jsonl").write_text(json.dumps(question) + "\n")
    return folder, folder / "questions.jsonl"


def test_eval_with_uploads_finds_documents_added_through_the_admin_api_to_a_scratch_copy(
    cli_index: Path, tmp_path: Path
):
    corpus = cli_index.parent / "corpus"
    served = (cli_index / "CURRENT").read_text()
    generations = sorted(p.name for p in cli_index.iterdir())
    folder, questions = _upload_folder(tmp_path, ["report-01.txt"])

    result = invoke("eval", questions, "--uploads", folder, "--index-dir", cli_index,
                    "--model", "fake", "--mode", "keyword",
                    env={"CONFSEARCH_CORPUS_DIR": str(corpus)})  # fmt: skip

    assert result.exit_code == 0, result.output
    row = next(line.split() for line in result.output.splitlines() if line.startswith("upload"))
    assert row[:5] == ["upload", "1", "keyword", "1.000", "1.000"]  # found, first
    # The real corpus and index are untouched: the uploads went to a scratch copy.
    assert not (corpus / "uploads").exists()
    assert (cli_index / "CURRENT").read_text() == served
    assert sorted(p.name for p in cli_index.iterdir()) == generations


def test_eval_with_uploads_names_a_file_the_folder_lacks(cli_index: Path, tmp_path: Path):
    folder, questions = _upload_folder(tmp_path, ["report-09.txt"])
    result = invoke("eval", questions, "--uploads", folder, "--index-dir", cli_index,
                    "--model", "fake", "--mode", "keyword",
                    env={"CONFSEARCH_CORPUS_DIR": str(cli_index.parent / "corpus")})  # fmt: skip
    assert "report-09.txt" in assert_clean_failure(result)
