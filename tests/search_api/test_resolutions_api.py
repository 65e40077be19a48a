"""Researchers and resolutions through the API: reference lookups in every mode, citations
on results, the citation graph, browsing in order, exports."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import BuildReport, build
from indexer.embedders.fake import FakeEmbedder
from search_api import references
from search_api.filters import parse_filters
from search_api.settings import Settings
from tests.conftest import CORPUS
from tests.search_api.conftest import check_error, serve

NUMBERS = ["0047_1948", "0242_1967", "0338_1973", "0538_1983", "0542_1983", "0660_1990",
           "0661_1990", "0678_1990", "0687_1991"]  # fmt: skip
MODES = ["hybrid", "semantic", "keyword"]


def doc_id(number: str) -> str:
    return f"unsc-resolutions-s_res_{number}_en_gold-txt"


@pytest.fixture(scope="module")
def resolution_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, BuildReport]:
    root = tmp_path_factory.mktemp("resolutions")
    corpus = root / "corpus"
    (corpus / "unsc-resolutions").mkdir(parents=True)
    for number in NUMBERS:
        name = f"S_RES_{number}_EN_GOLD.txt"
        shutil.copy(CORPUS / "unsc-resolutions" / name, corpus / "unsc-resolutions" / name)
    (corpus / "ungdc-pacific").mkdir()
    shutil.copy(CORPUS / "ungdc-pacific" / "FJI_74_2019.txt", corpus / "ungdc-pacific")
    shutil.copy(CORPUS / "manifest.csv", corpus / "manifest.csv")
    report = build(corpus, root / "index", FakeEmbedder())
    settings = Settings(index_dir=root / "index", corpus_dir=corpus, model="fake")
    return settings, report


@pytest.fixture(scope="module")
def client(resolution_index) -> Iterator[TestClient]:
    with serve(resolution_index[0]) as test_client:
        yield test_client


def first(client: TestClient, query: str, mode: str, **body) -> dict:
    response = client.post("/search", json={"query": query, "mode": mode, "k": 5, **body})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "citation"),
    [
        ("resolution 242", "S/RES/242 (1967), para"),
        ("res 338", "S/RES/338 (1973), para"),
        ("S/RES/678 (1990)", "S/RES/678 (1990), para"),
        ("SC res 660", "S/RES/660 (1990), para"),
        ("661 (1990)", "S/RES/661 (1990)"),
        ("Security Council resolution 687 (1991)", "S/RES/687 (1991)"),
        ("resolution 678 paragraph 2", "S/RES/678 (1990), para. 2"),
        ("res 687 para 8", "S/RES/687 (1991), para. 8"),
        ("S/RES/660 (1990), para. 2", "S/RES/660 (1990), para. 2"),
        ("operative paragraph 3 of resolution 242", "S/RES/242 (1967), para. 3"),
        ("S/RES/242 (1967), op. para. 3", "S/RES/242 (1967), para. 3"),
        ("paras. 2-3 of resolution 687", "S/RES/687 (1991), para. 2"),
        ("paragraphs 3 and 5 of resolution 687", "S/RES/687 (1991), para. 3"),
        ("what did resolution 660 demand of Iraq", "S/RES/660 (1990)"),
        ("SCR 242", "S/RES/242 (1967), para"),
        ("resolution number 338", "S/RES/338 (1973), para"),
        ("resolution #678", "S/RES/678 (1990), para"),
    ],
)
def test_a_named_resolution_comes_first_in_every_mode(
    client: TestClient, query: str, citation: str, mode: str
):
    assert first(client, query, mode)["citation"].startswith(citation)


@pytest.mark.parametrize(
    "query", ["resolutions 660 to 678", "resolutions 660-678", "resolutions 660, 661 and 678"]
)
def test_resolutions_named_together_each_come_on_the_first_page(client: TestClient, query: str):
    """In turn, each one's first decision before any one's second (the index holds 660, 661
    and 678 of those numbers)."""
    body = client.post("/search", json={"query": query, "k": 3}).json()

    assert [r["document"]["symbol"] for r in body["results"]] == [
        "S/RES/660 (1990)", "S/RES/661 (1990)", "S/RES/678 (1990)"
    ]  # fmt: skip


def test_the_response_says_which_resolutions_it_read_and_ignore_sets_them_aside(
    client: TestClient,
):
    body = client.post("/search", json={"query": "what did resolution 660 demand", "k": 3})
    asked = client.post("/search", json={"query": "S/RES/678 (1990), para. 2", "k": 1})
    several = client.post("/search", json={"query": "resolutions 660 to 661", "k": 2})
    ignored = client.post("/search", json={"query": "resolution 660", "k": 3,
                                           "ignore": ["resolution"]})  # fmt: skip

    assert body.json()["understood"]["resolution"] == {
        "value": "S/RES/660 (1990)", "text": "resolution 660"
    }  # fmt: skip
    assert asked.json()["understood"]["resolution"]["value"] == "S/RES/678 (1990), para. 2"
    assert several.json()["understood"]["resolution"] == {
        "value": ["S/RES/660 (1990)", "S/RES/661 (1990)"], "text": "resolutions 660 to 661"
    }  # fmt: skip
    # a removed chip: the words are only words, nothing is put first
    assert "resolution" not in (ignored.json()["understood"] or {})
    cited = [r["citation"] for r in ignored.json()["results"]]
    assert cited[0] != "S/RES/660 (1990), paras. 1–2"  # its decisions first, when read
    assert not all(c.startswith("S/RES/660 ") for c in cited)  # 661 cites it, by the words


def test_a_span_of_years_or_of_hundreds_of_numbers_names_no_resolutions():
    assert references.find("resolutions 2015-2019 on climate") == []
    assert references.find("resolutions 1 to 900") == []
    assert [r.number for r in references.find("resolutions 660 through 662")] == [660, 661, 662]


def test_a_passage_of_several_paragraphs_is_cited_by_the_one_asked_for(client: TestClient):
    hit = first(client, "S/RES/660 (1990), para. 2", "hybrid")

    assert hit["paragraphs"] == "1–2"  # what the passage holds
    assert hit["citation"] == "S/RES/660 (1990), para. 2"  # what the researcher asked for


@pytest.mark.parametrize(
    ("query", "paragraphs"),
    [("paras. 2-3 of resolution 687", ["2", "3"]),
     ("resolution 687 paragraphs 8 to 10", ["8", "9", "10"]),
     ("paragraphs 3 and 5 of resolution 687", ["3", "5"])],
)  # fmt: skip
def test_several_paragraphs_asked_for_come_first_in_order(
    client: TestClient, query: str, paragraphs: list[str]
):
    hits = client.post("/search", json={"query": query, "k": 10}).json()["results"]

    cited = [h["citation"].rsplit(" ", 1)[-1] for h in hits]
    assert list(dict.fromkeys(cited))[: len(paragraphs)] == paragraphs  # 9 is two passages


def test_a_symbol_in_keyword_mode_is_not_read_as_noise(client: TestClient):
    results = client.post("/search", json={"query": "S/RES/687", "mode": "keyword", "k": 20})

    hits = results.json()["results"]
    assert hits and all("687" in h["text"] or h["document"]["number"] == 687 for h in hits)


def test_results_from_resolutions_carry_symbol_paragraph_and_citation(client: TestClient):
    hit = first(client, "resolution 678 paragraph 2", "hybrid")

    assert hit["paragraphs"] == "2" and hit["section"] == "Paragraph 2"
    assert hit["text"].startswith("2. Authorizes Member States")  # the number stays
    document = hit["document"]
    assert (document["symbol"], document["number"], document["year"]) == (
        "S/RES/678 (1990)", 678, 1990)  # fmt: skip
    assert document["vote"] == "recorded" and document["votes_against"] == 2


def test_a_resolution_named_alone_comes_whole_decisions_first(client: TestClient):
    hits = client.post("/search", json={"query": "resolution 242", "k": 10}).json()["results"]

    assert [h["citation"] for h in hits[:5]] == [
        *(f"S/RES/242 (1967), para. {n}" for n in range(1, 5)),
        "S/RES/242 (1967), preamble",
    ]


def test_unnumbered_operative_clauses_are_cited_as_the_operative_part(client: TestClient):
    # 47 (1948) reaffirms 38 and enlarges the Commission before its numbered paragraphs: what
    # it did, not its preamble, and read first with its decisions
    hits = client.post("/search", json={"query": "resolution 47", "k": 30}).json()["results"]
    citations = [h["citation"] for h in hits]

    assert citations[0] == "S/RES/47 (1948), operative part"
    assert "Reaffirms its resolution 38 (1948)" in hits[0]["text"]
    assert citations.index("S/RES/47 (1948), para. 1") < citations.index(
        "S/RES/47 (1948), preamble"
    )
    document = client.get(f"/documents/{doc_id('0047_1948')}").json()
    assert {"symbol": "S/RES/38 (1948)", "paragraph": "operative"}.items() <= next(
        c for c in document["cites"] if c["symbol"].startswith("S/RES/38")
    ).items()


def test_a_long_preamble_does_not_bury_what_the_resolution_decided(client: TestClient):
    hits = client.post("/search", json={"query": "resolution 687", "k": 50}).json()["results"]
    sections = [h["section"] for h in hits]

    assert sections[0] == "Paragraph 1"  # what it decided, then why
    operative = sections[: sections.index("Preamble")]
    assert len(operative) > 20
    preamble = hits[len(operative) :]
    assert len(preamble) > 2 and all(h["section"] == "Preamble" for h in preamble)
    assert preamble[0]["text"].startswith("Resolution 687 (1991)")  # from its opening
    numbers = [int(h["paragraphs"].split("–")[0]) for h in hits[: len(operative)]
               if h["paragraphs"]]  # fmt: skip
    assert numbers == sorted(numbers)


def test_an_assembly_resolution_is_not_taken_for_the_councils(client: TestClient):
    hits = client.post("/search", json={"query": "resolution 77/276 core group"}).json()

    assert all(h["document"].get("number") != 77 for h in hits["results"][:3])


def test_a_mismatched_file_is_reported_and_indexed_under_its_texts_symbol(resolution_index):
    _, report = resolution_index
    warnings = [
        w for source, w in report.warnings if source.endswith("S_RES_0542_1983_EN_GOLD.txt")
    ]

    assert warnings and "text is resolution S/RES/538 (1983)" in warnings[0]


# -- the citation graph ----------------------------------------------------------------------


def test_a_document_lists_what_it_cites_and_what_cites_it_with_paragraphs(client: TestClient):
    resolution_660 = client.get(f"/documents/{doc_id('0660_1990')}").json()
    resolution_678 = client.get(f"/documents/{doc_id('0678_1990')}").json()

    citing = {(c["symbol"], c["paragraph"]) for c in resolution_660["cited_by"]}
    assert ("S/RES/678 (1990)", "preamble") in citing and ("S/RES/678 (1990)", "1") in citing
    cited = {(c["number"], c["paragraph"]) for c in resolution_678["cites"]}
    assert (660, "preamble") in cited and (660, "1") in cited
    outside = [c for c in resolution_678["cites"] if c["number"] == 662]
    assert outside and outside[0]["id"] is None  # not in this index, still listed


@pytest.mark.parametrize("value", ["S/RES/660", "S/RES/660 (1990)", "660", ["660"]])
def test_the_cites_filter_selects_the_documents_that_cite_a_resolution(client: TestClient, value):
    hits = client.post(
        "/search", json={"query": "Iraq Kuwait", "k": 20, "filters": {"cites": value}}
    ).json()["results"]
    numbers = {h["document"]["number"] for h in hits}

    assert numbers and numbers <= {661, 678, 687}
    assert 660 not in numbers


def test_the_cites_filter_as_a_get_parameter(client: TestClient):
    hits = client.get("/search", params={"q": "Iraq", "cites": "S/RES/660"}).json()["results"]

    assert hits and all(h["document"]["number"] in (661, 678, 687) for h in hits)


def test_a_cites_value_that_names_no_resolution_is_a_clear_error(client: TestClient):
    response = client.post("/search", json={"query": "x", "filters": {"cites": "banana"}})

    assert "S/RES/242" in check_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "value", ["IRQ", "irq", ["IRQ", "ZAF"], "Iraq", ["kuwait", "the Republic of Iraq"]]
)
def test_the_countries_filter_selects_the_resolutions_about_a_country(client: TestClient, value):
    hits = client.post(
        "/search", json={"query": "withdrawal of forces", "k": 20, "filters": {"countries": value}}
    ).json()["results"]

    assert {h["document"]["number"] for h in hits} == {660, 661, 678, 687}
    assert all("IRQ" in h["document"]["countries"].split(",") for h in hits)


def test_the_countries_facet_counts_each_country_a_resolution_is_about(client: TestClient):
    facets = client.post(
        "/search", json={"query": "withdrawal of forces", "k": 20, "facets": True}
    ).json()["facets"]["countries"]

    # 660, 661 and 687 are about Iraq and Kuwait both: each counts for the two
    assert facets["IRQ"] >= 4 and facets["KWT"] >= 3 and "IRQ,KWT" not in facets


def test_the_countries_filter_as_a_get_parameter_and_its_error(client: TestClient):
    hits = client.get("/search", params={"q": "withdrawal", "countries": "ISR"}).json()["results"]
    bad = client.post("/search", json={"query": "x", "filters": {"countries": ["IRQ", ""]}})
    unknown = client.post("/search", json={"query": "x", "filters": {"countries": "Atlantis"}})

    assert hits and {h["document"]["number"] for h in hits} <= {242, 338}
    assert "empty" in check_error(bad, 422, "invalid_request")
    assert "'Atlantis' is neither" in check_error(unknown, 422, "invalid_request")


def test_a_country_in_the_words_prefers_the_resolutions_about_it(client: TestClient):
    body = client.post("/search", json={"query": "what did the Council demand of Israel"}).json()
    literal = client.post(
        "/search", json={"query": "what did the Council demand of Israel", "understand": False}
    ).json()

    assert body["understood"]["country"] == {"value": "ISR", "text": "Israel"}
    assert body["results"][0]["document"]["number"] in (242, 338)
    assert "understood" not in literal or not literal["understood"]


def test_the_document_page_links_cited_and_citing_resolutions(client: TestClient):
    page = client.get(f"/documents/{doc_id('0660_1990')}/view").text

    assert "Cited by" in page and f"/documents/{doc_id('0678_1990')}/view" in page
    assert "?format=bibtex" in page and "?format=ris" in page
    assert "<dt>Countries concerned</dt><dd>Iraq, Kuwait</dd>" in page


# -- browsing ----------------------------------------------------------------------------------


def test_resolutions_of_a_year_listed_in_number_order(client: TestClient):
    body = client.get(
        "/documents", params={"doc_type": "resolution", "year": 1990, "sort": "number"}
    ).json()

    assert [d["number"] for d in body["documents"]] == [660, 661, 678]


def test_a_number_range_newest_first(client: TestClient):
    body = client.get(
        "/documents", params={"number_from": 600, "number_to": 700, "sort": "-number"}
    ).json()

    assert [d["number"] for d in body["documents"]] == [687, 678, 661, 660]


def test_an_unknown_sort_is_a_clear_error(client: TestClient):
    message = check_error(client.get("/documents", params={"sort": "colour"}), 422)

    assert "number" in message and "year" in message


# -- exports -----------------------------------------------------------------------------------


def test_search_results_as_csv(client: TestClient):
    response = client.get("/search", params={"q": "resolution 678 paragraph 2", "k": 3,
                                             "format": "csv"})  # fmt: skip

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8's mark: Excel reads it so
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[0]["rank"] == "1"
    assert rows[0]["citation"] == "S/RES/678 (1990), para. 2"
    assert rows[0]["symbol"] == "S/RES/678 (1990)" and rows[0]["paragraphs"] == "2"


def test_a_documents_citation_as_bibtex_and_ris(client: TestClient):
    bib = client.get(f"/documents/{doc_id('0678_1990')}/cite", params={"format": "bibtex"})
    ris = client.get(f"/documents/{doc_id('0678_1990')}/cite", params={"format": "ris"})

    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.text.startswith("@misc{SRES6781990,")
    assert "title = {{Resolution 678 (1990) of 29 November 1990}}" in bib.text
    assert "author = {{United Nations Security Council}}" in bib.text
    assert "number = {S/RES/678 (1990)}" in bib.text and "year = {1990}" in bib.text
    lines = ris.text.split("\r\n")
    assert lines[0] == "TY  - GOVDOC" and "PY  - 1990" in lines and "DA  - 1990/11/29" in lines
    assert "M1  - S/RES/678 (1990)" in lines and lines[-2] == "ER  - "


def test_citation_formats_are_checked(client: TestClient):
    check_error(client.get(f"/documents/{doc_id('0678_1990')}/cite?format=docx"), 422)
    check_error(client.get("/documents/nowhere/cite"), 404, "not_found")


def test_a_speech_is_cited_by_its_title_and_page_or_section(client: TestClient):
    body = {"query": "Fiji climate", "k": 3, "filters": {"doc_type": "speech"}}
    hits = client.post("/search", json=body).json()["results"]

    assert hits and hits[0]["citation"].startswith(hits[0]["document"]["title"])


def test_cli_prints_csv(resolution_index, tmp_path: Path):
    from typer.testing import CliRunner

    from search_api.cli import app

    settings, _ = resolution_index
    result = CliRunner().invoke(app, ["search", "resolution 242", "--index-dir",
                                      str(settings.index_dir), "--model", "fake",
                                      "--format", "csv", "-k", "2"])  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["citation"] for r in rows] == ["S/RES/242 (1967), para. 1",
                                             "S/RES/242 (1967), para. 2"]  # fmt: skip


def _lineage(client: TestClient, number: str, **params) -> dict:
    response = client.get(f"/documents/{doc_id(number)}/lineage", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_lineage_follows_what_later_resolutions_built_on_one(client: TestClient):
    one_step = _lineage(client, "0660_1990", depth=1)
    two_steps = _lineage(client, "0660_1990")  # depth 2 by default

    assert one_step["direction"] == "cited_by" and not one_step["truncated"]
    depths = {n["symbol"]: n["depth"] for n in one_step["nodes"]}
    assert depths == {"S/RES/660 (1990)": 0, "S/RES/661 (1990)": 1, "S/RES/678 (1990)": 1,
                      "S/RES/687 (1991)": 1}  # fmt: skip
    edges = {(e["source"], e["target"]) for e in two_steps["edges"]}
    # each resolution once, at the fewest steps; the references among them are edges
    assert [n["depth"] for n in two_steps["nodes"]] == [0, 1, 1, 1]
    assert (doc_id("0687_1991"), doc_id("0678_1990")) in edges
    assert (doc_id("0678_1990"), doc_id("0660_1990")) in edges
    # every reference among the documents returned, those between the last ones too
    assert (doc_id("0687_1991"), doc_id("0678_1990")) in {
        (e["source"], e["target"]) for e in one_step["edges"]
    }
    pair = (doc_id("0678_1990"), doc_id("0660_1990"))
    paragraphs = {e["paragraph"] for e in two_steps["edges"] if (e["source"], e["target"]) == pair}
    assert {"preamble", "1"} <= paragraphs


def test_lineage_back_names_what_the_index_does_not_hold(client: TestClient):
    back = _lineage(client, "0687_1991", direction="cites", depth=2)

    ids = {n["id"] for n in back["nodes"]}
    assert {doc_id("0660_1990"), doc_id("0661_1990"), doc_id("0678_1990")} <= ids
    outside = [e for e in back["edges"] if e["target"] is None]
    assert outside and all(e["symbol"].startswith("S/RES/") for e in outside)
    assert "S/RES/662 (1990)" in {e["symbol"] for e in outside}


def test_lineage_stops_at_its_limit_and_says_so(client: TestClient):
    capped = _lineage(client, "0660_1990", limit=1)

    assert capped["truncated"] is True and len(capped["nodes"]) == 2
    kept = {n["id"] for n in capped["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in capped["edges"])


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/documents/no-such-document/lineage", {}, 404, "no document"),
        (f"/documents/{doc_id('0660_1990')}/lineage", {"direction": "sideways"}, 422, "direction"),
        (f"/documents/{doc_id('0660_1990')}/lineage", {"depth": 6}, 422, "depth"),
        (f"/documents/{doc_id('0660_1990')}/lineage", {"year": 1990}, 422, "unknown parameter"),
        (f"/documents/{doc_id('0660_1990')}", {"include-text": "true"}, 422, "include_text"),
        (f"/documents/{doc_id('0660_1990')}/cite", {"fromat": "ris"}, 422, "unknown parameter"),
    ],
)
def test_a_bad_lineage_request_is_a_json_error(client: TestClient, path, params, status, words):
    response = client.get(path, params=params)

    check_error(response, status)
    assert words in response.json()["error"]["message"]


def _cli(*args) -> object:
    from typer.testing import CliRunner

    from search_api.cli import app

    return CliRunner().invoke(app, ["lineage", *map(str, args)])


def test_the_cli_follows_the_same_lineage_by_number_or_symbol(resolution_index, client):
    index_dir = resolution_index[0].index_dir
    printed = _cli("660", "--depth", "1", "--index-dir", index_dir)
    as_json = _cli("S/RES/660 (1990)", "--json", "--index-dir", index_dir)

    assert printed.exit_code == 0, printed.output
    lines = printed.stdout.splitlines()
    assert lines[0] == "Resolution 660 (1990) of 2 August 1990"
    at = lines.index("  Resolution 678 (1990) of 29 November 1990")
    assert lines[at + 1].startswith("    cites S/RES/660 (1990) (preamble, 1")
    assert json.loads(as_json.stdout) == _lineage(client, "0660_1990")


def test_the_cli_walks_back_and_names_what_the_index_lacks(resolution_index):
    back = _cli("687", "--back", "--depth", "1", "--index-dir", resolution_index[0].index_dir)

    assert back.exit_code == 0, back.output
    assert "  Resolution 678 (1990) of 29 November 1990" in back.stdout
    assert "S/RES/662 (1990)" in back.stdout.splitlines()[-1]  # not in the index


def test_the_cli_says_when_nothing_is_numbered_so(resolution_index):
    missing = _cli("99999", "--index-dir", resolution_index[0].index_dir)

    assert missing.exit_code == 2 and "Traceback" not in missing.output
    assert "no resolution numbered so" in missing.stderr


def test_lineage_of_a_second_copy_is_that_of_the_resolution_it_holds(client: TestClient):
    """542's file holds 538's text (indexer/build.py marks it a second copy): its references
    are counted with 538, and so is its lineage."""
    copy = _lineage(client, "0542_1983", direction="cites")
    original = _lineage(client, "0538_1983", direction="cites")

    assert copy["nodes"][0]["id"] == doc_id("0538_1983")
    assert copy["nodes"] == original["nodes"] and copy["edges"] == original["edges"]


def test_a_note_that_says_it_is_a_resolution_does_not_take_its_references(tmp_path: Path):
    """A Markdown note whose front matter says `number: 660` is a document of that number
    too; references to 660 still lead to the resolution read from its own text."""
    corpus = tmp_path / "corpus"
    (corpus / "unsc-resolutions").mkdir(parents=True)
    for number in ("0660_1990", "0661_1990"):
        name = f"S_RES_{number}_EN_GOLD.txt"
        shutil.copy(CORPUS / "unsc-resolutions" / name, corpus / "unsc-resolutions" / name)
    (corpus / "a").mkdir()
    (corpus / "a" / "notes.md").write_text(
        "---\ndoc_type: resolution\nnumber: 0660\nyear: 1990\n---\n# Notes\n\nOn 660.\n"
    )
    build(corpus, tmp_path / "index", FakeEmbedder())
    with serve(Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake")) as api:
        cited = api.get(f"/documents/{doc_id('0661_1990')}").json()["cites"]
        notes = api.get("/documents/a-notes-md").json()

    assert notes["number"] == 660  # "0660" is 660, not octal
    assert {c["id"] for c in cited if c["number"] == 660} == {doc_id("0660_1990")}


def test_a_second_copy_is_neither_pinned_twice_nor_a_group_of_its_own(client: TestClient):
    # 542's file holds 538 (1983) again, in another transcription
    named = client.post("/search", json={"query": "resolution 538", "k": 50}).json()["results"]
    count = client.get(f"/documents/{doc_id('0538_1983')}").json()["passage_count"]
    assert {h["document"]["id"] for h in named[:count]} == {doc_id("0538_1983")}

    grouped = client.post("/search", json={"query": "resolution 538 Lebanon", "k": 10,
                                            "group_by": "document"}).json()  # fmt: skip
    ids = [g["document"]["id"] for g in grouped["groups"]]
    assert len({doc_id("0538_1983"), doc_id("0542_1983")} & set(ids)) == 1


@pytest.mark.parametrize(
    ("query", "opening"),
    [
        ("operative paragraph 3 of resolution 338", "3. Decides that, immediately"),
        ("S/RES/660 (1990), para. 2", "2. Demands that Iraq withdraw immediately"),
        ("SC res 660", "1. Condemns the Iraqi invasion of Kuwait"),
    ],
)
def test_a_named_resolutions_highlight_is_what_it_decided(client: TestClient, query, opening):
    # its closeness to "resolution 338" picked the adoption line ("Adopted at the 1747th
    # meeting …") or the title
    hit = client.post("/search", json={"query": query, "k": 1}).json()["results"][0]
    assert hit["highlight"].startswith(opening)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"symbol": "S/RES/660"}, {doc_id("0660_1990")}),  # without its year
        ({"symbol": ["s/res/660", "S/RES/242 (1967)"]}, {doc_id("0660_1990"), doc_id("0242_1967")}),
        # cited as a question cites it
        ({"symbol": "S/RES/242(1967)"}, {doc_id("0242_1967")}),
        ({"symbol": ["UNSCR 660", "res. 338", "678"]},
         {doc_id("0660_1990"), doc_id("0338_1973"), doc_id("0678_1990")}),
        ({"symbol": "242 (1967)"}, {doc_id("0242_1967")}),
        ({"symbol": "242 (1966)"}, set()),  # not of that year
        ({"doc_type": "resolutions", "organisation": "Security Council", "year": 1967},
         {doc_id("0242_1967")}),
        ({"doc_type": "Speeches"}, {"ungdc-pacific-fji_74_2019-txt"}),
        ({"organisation": "UNGA"}, {"ungdc-pacific-fji_74_2019-txt"}),
    ],
)  # fmt: skip
def test_filter_values_as_people_write_them(client: TestClient, filters, expected):
    # each matched nothing, without an error, where the question reader took the same words
    body = {"query": "the Council and the parties", "k": 50, "filters": filters}
    hits = client.post("/search", json=body).json()["results"]

    assert {h["document"]["id"] for h in hits} == expected


@pytest.mark.parametrize("value", ["Congo", "the Congo", "Republic of the Congo"])
def test_congo_as_a_filter_means_either_congo_as_in_a_question(value):
    # in 1960 both were "the Republic of the Congo": COG alone missed the 11 about COD
    condition = parse_filters({"countries": value})

    assert set(condition.params) == {",COD,", ",COG,"}
    assert parse_filters({"countries": "Zaire"}).params == [",COD,"]


def test_a_filter_value_matches_as_given_and_as_people_mean_it():
    # a corpus whose own document type is "statement" keeps finding its own
    assert parse_filters({"doc_type": "statement"}).params == ["statement", "speech"]
    organisations = parse_filters({"organisation": ["OCO", "UNSC"]}).params
    assert organisations == ["OCO", "UNSC", "Oceania Customs Organisation",
                             "United Nations Security Council"]  # fmt: skip
    assert parse_filters({"place": "Suva"}).params == ["Suva"]
