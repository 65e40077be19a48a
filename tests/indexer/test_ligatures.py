"""Real PDFs: typographic ligatures folded for both legs, kept in the text shown; pypdf's
complaints named for what they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.folding import fold
from indexer.pdf import describe_complaints
from search_api.highlight import best_span
from search_api.settings import Settings
from tests.search_api.conftest import serve

LIGATURE_TEXT = "The tanks were \ufb01lled and the \ufb02ow of trade was of\ufb01cial."


def test_fold_expands_ligatures_and_maps_offsets():
    folded, offsets = fold("of\ufb01cial \ufb02ow")

    assert folded == "official flow"
    assert offsets[2] == 2 and offsets[3] == 4  # "ﬁ" took two characters
    assert folded[offsets[8] : offsets[11]] == "flow"  # "ﬂow", from 8 to the end
    assert offsets[-1] == len(folded)
    assert fold("no ligature") == ("no ligature", list(range(12)))


def test_fold_turns_full_width_letters_and_digits_into_ascii():
    folded, offsets = fold("\uff34\uff35\uff36 \uff12\uff10\uff11\uff19\uff0c \ufb01sh")

    assert folded == "TUV 2019, fish"
    assert offsets[:9] == list(range(9))  # one character each: the offsets stay
    assert folded[offsets[10] :] == "fish"


def write_ligature_pdf(path: Path) -> None:
    """A one-page PDF whose font (Vera, shipped with reportlab) has ﬁ and ﬂ glyphs."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("Vera", vera))
    page = canvas.Canvas(str(path))
    page.setFont("Vera", 12)
    page.drawString(72, 700, "Session paper on port logistics")
    page.drawString(72, 660, LIGATURE_TEXT)
    page.save()


@pytest.fixture
def ligature_client(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_ligature_pdf(corpus / "paper.pdf")
    # Shares one word with the question, spelt plainly: it must not win over the paper.
    (corpus / "note.txt").write_text("Rain note\n\nThe reservoirs were filled again after "
                                     "the long rains of the wet season.\n")  # fmt: skip
    report = build(corpus, tmp_path / "index", FakeEmbedder())
    assert report.published and not report.skipped
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake")
    with serve(settings) as client:
        yield client


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_a_word_set_with_a_ligature_is_found_by_both_legs(ligature_client: TestClient, mode):
    hits = ligature_client.post(
        "/search", json={"query": "filled official flow", "mode": mode}
    ).json()["results"]

    assert hits and "\ufb01lled" in hits[0]["text"]  # shown as the document writes it
    assert hits[0]["highlight"] in hits[0]["text"]


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_a_question_typed_with_ligatures_means_what_it_spells(ligature_client, mode):
    # pasted from a PDF: "ﬁlled" must mean filled to the model too, not only to bm25
    def ask(query: str) -> list:
        body = {"query": query, "mode": mode}
        hits = ligature_client.post("/search", json=body).json()["results"]
        return [(h["id"], h["similarity"], h["highlight"]) for h in hits]

    assert ask("\ufb01lled o\ufb03cial \ufb02ow") == ask("filled official flow")


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_document_written_in_full_width_letters_is_found_by_ascii_words(tmp_path: Path, mode):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wide.txt").write_text("Note\n\nThe \uff2f\uff23\uff2f secretariat met in "
                                     "\uff12\uff10\uff12\uff14 on tariffs.\n")  # fmt: skip
    (corpus / "plain.txt").write_text("Other note\n\nThe secretariat met again on tariffs.\n")
    assert build(corpus, tmp_path / "index", FakeEmbedder()).published
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, model="fake")
    with serve(settings) as client:
        hits = client.post("/search", json={"query": "OCO 2024", "mode": mode}).json()["results"]

    assert hits[0]["document"]["id"].startswith("wide")
    assert "\uff2f\uff23\uff2f" in hits[0]["text"]  # shown as the document writes it


def test_the_highlight_matches_words_against_the_folded_sentence():
    text = "The o\ufb03cers \ufb01lled the \ufb02oor. The sta\ufb00 were e\ufb03cient and quick."
    cut = text.index(". ") + 1
    spans = [(0, cut), (cut + 1, len(text))]

    start, end = best_span(text, spans, None, ["efficient", "staff"])

    assert text[start:end].startswith("The sta\ufb00 were")


def test_a_missing_package_is_named_not_called_damage():
    notes = describe_complaints(
        ["fontTools is required to fully parse the encoding of a CFF Type1 font"]
    )

    assert len(notes) == 1 and "damaged" not in notes[0]
    assert "pip install fonttools" in notes[0]


def test_a_missing_package_is_named_once_not_once_per_font():
    # pypdf names each font's dictionary in its complaint: every font said it again
    complaints = [
        f"fontTools is required to fully parse the encoding of a CFF Type1 font {{'/F{n}'}}"
        for n in range(5)
    ]

    assert len(describe_complaints(complaints)) == 1


def test_real_damage_is_still_reported_as_damage():
    notes = describe_complaints(["Invalid parent xref., rebuild xref", "startxref on same line"])

    assert notes == [notes[0]] and notes[0].startswith("damaged PDF, repaired while reading")


def test_the_package_pypdf_reads_cff_fonts_with_is_installed():
    import fontTools  # noqa: F401  (a declared dependency: pyproject.toml)
