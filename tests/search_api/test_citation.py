"""Citations for reference managers and spreadsheets survive the text they quote: LaTeX's
special characters in BibTeX, formulas in CSV cells."""

from __future__ import annotations

import csv
import io

from indexer.fields import NAMES
from search_api.citation import bibtex, ris
from search_api.query import Query
from search_api.results import DocumentInfo, Hit, SearchResult
from search_api.serialise import search_csv


def _document(**values) -> DocumentInfo:
    return DocumentInfo(id="doc-1", source="oco/doc.txt", values={n: values.get(n) for n in NAMES})


def test_bibtex_escapes_every_latex_special_character():
    title = r"Tariffs ~ 5% & the ^ of C:\customs {draft} #2 for $ and _"
    entry = bibtex(_document(title=title, organisation="Customs & Co", year=2024))

    line = next(ln for ln in entry.splitlines() if ln.strip().startswith("title"))
    assert r"\textasciitilde{}" in line and r"\textasciicircum{}" in line
    assert r"C:\textbackslash{}customs" in line and r"\{draft\}" in line
    for escaped in (r"\%", r"\&", r"\#", r"\$", r"\_"):
        assert escaped in line
    assert "author = {{Customs \\& Co}}" in entry
    # what remains holds no bare special character LaTeX would read
    bare = line.replace(r"\textasciitilde{}", "").replace(r"\textasciicircum{}", "")
    bare = bare.replace(r"\textbackslash{}", "")
    assert "~" not in bare and "^" not in bare


def _hit(text: str, title: str) -> Hit:
    return Hit(passage_id=0, ordinal=0, score=1.0, text=text, section=None, page=None,
               page_end=None, start=0, end=len(text), document=_document(title=title))  # fmt: skip


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_shown_as_text():
    hits = [_hit('=HYPERLINK("http://x")', "+1 report"), _hit("-5 percent", "@SUM(A1)")]
    result = SearchResult(Query(text="tariffs"), hits)

    rows = list(csv.DictReader(io.StringIO(search_csv(result))))

    assert rows[0]["text"] == '\'=HYPERLINK("http://x")' and rows[0]["title"] == "'+1 report"
    assert rows[1]["text"] == "'-5 percent" and rows[1]["title"] == "'@SUM(A1)"
    assert rows[0]["rank"] == "1" and float(rows[0]["score"]) == 1.0  # numbers stay numbers


def test_a_second_copy_of_a_resolution_has_a_key_of_its_own():
    original = _document(symbol="S/RES/538 (1983)", title="Resolution 538 (1983)")
    copy = DocumentInfo(id="unsc-resolutions-s_res_0542_1983_en_gold-txt", source="x.txt",
                        values=original.values, extra={"duplicate_of": "doc-1"})  # fmt: skip

    assert bibtex(original).startswith("@misc{SRES5381983,")
    assert bibtex(copy).startswith("@misc{unscresolutionssres05421983engoldtxt,")


def test_the_author_a_document_names_is_its_citations_author():
    """A paper's front matter, <meta> or PDF information names its author: reference
    managers get that, not the organisation (or "Unknown")."""
    named = DocumentInfo(id="papers-paper-pdf", source="papers/paper.pdf",
                         values={n: None for n in NAMES} | {"title": "Paper", "year": 2024,
                                                            "organisation": "OCO"},
                         extra={"author": "Sione Vaka"})  # fmt: skip
    unnamed = DocumentInfo(id="notes", source="notes.md", values=named.values, extra={})

    assert "AU  - Sione Vaka" in ris(named, "http://x/documents/papers-paper-pdf")
    assert "author = {{Sione Vaka}}" in bibtex(named, "http://x")  # as written
    assert "AU  - OCO" in ris(unnamed, "http://x/documents/notes")


def test_each_author_a_document_lists_is_cited():
    values = {n: None for n in NAMES} | {"title": "Paper", "organisation": "OCO"}
    authors = ["Sione Vaka", "Ana Tui & Co", " "]
    listed = DocumentInfo(id="paper", source="paper.md", values=values, extra={"author": authors})

    assert "author = {{Sione Vaka} and {Ana Tui \\& Co}}" in bibtex(listed)
    record = ris(listed).split("\r\n")
    assert [line for line in record if line.startswith("AU")] == [
        "AU  - Sione Vaka",
        "AU  - Ana Tui & Co",
    ]


def test_a_speech_is_cited_as_its_countrys_not_the_assemblys():
    said = {"title": "Tuvalu – statement", "doc_type": "speech", "country_name": "Tuvalu",
            "organisation": "United Nations General Assembly"}  # fmt: skip
    values = {n: None for n in NAMES} | said
    speech = DocumentInfo(id="tuv", source="ungdc-pacific/TUV_74_2019.txt", values=values)

    assert "author = {{Tuvalu}}" in bibtex(speech)
    assert "AU  - Tuvalu" in ris(speech)
