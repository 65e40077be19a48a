"""PDF text: pages, headings, running footers, page numbers of passages, unreadable files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from indexer.chunking import chunk
from indexer.documents import load
from indexer.embedders.fake import FakeEmbedder
from indexer.metadata import derive
from indexer.normalise import normalise
from indexer.pdf import DocumentError, read_pdf_pages
from tests.conftest import COMMUNIQUE_PDF, CORPUS

count_tokens = FakeEmbedder().count_tokens

PHRASE = "The unique phrase about zebra crossing protocols appears only on this page."
TOPICS = ["fisheries management", "maritime surveillance", "trade facilitation"]


def sentences(topic: str, n: int) -> str:
    return " ".join(
        f"Sentence {i} of this part considers {topic} for the members." for i in range(n)
    )


def make_pdf(
    path: Path,
    pages: list[list[tuple[str, str]]],
    footer: str | None = None,
    page_numbers: str | None = None,
    encrypt=None,
    info: dict | None = None,
) -> Path:
    """Write a PDF: each page a list of ("h", heading), ("p", paragraph, wrapped here) or
    ("l", one line as given) items; `footer` is drawn at the bottom of every page,
    `page_numbers` a format such as "Page {n} of {m}"."""
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for key, value in (info or {}).items():  # the document information: title, author
        getattr(pdf, f"set{key.capitalize()}")(value)
    width, height = A4
    for number, items in enumerate(pages, start=1):
        y = height - 72
        for kind, text in items:
            if kind == "h":
                pdf.setFont("Helvetica-Bold", 16)
                pdf.drawString(72, y, text)
                y -= 30
            elif kind == "l":
                pdf.setFont("Helvetica", 11)
                pdf.drawString(72, y, text)
                y -= 15
            else:
                pdf.setFont("Helvetica", 11)
                for line in textwrap.wrap(text, 85):
                    pdf.drawString(72, y, line)
                    y -= 15
                y -= 10  # paragraph gap
        pdf.setFont("Helvetica", 9)
        if footer:
            pdf.drawString(72, 40, footer)
        if page_numbers:
            pdf.drawString(width - 140, 40, page_numbers.format(n=number, m=len(pages)))
        pdf.showPage()
    pdf.save()
    return path


def three_pages_with_headings(path: Path, **kwargs) -> Path:
    return make_pdf(
        path,
        [
            [("h", "Fisheries Management"), ("p", sentences(TOPICS[0], 6))],
            [
                ("h", "Maritime Surveillance"),
                ("p", sentences(TOPICS[1], 3)),
                ("p", PHRASE + " " + sentences(TOPICS[1], 2)),
            ],
            [("h", "Trade Facilitation"), ("p", sentences(TOPICS[2], 6))],
        ],
        **kwargs,
    )


def passages_of(path: Path):
    doc = normalise(read_pdf_pages(path), paged=True)
    return doc, chunk(doc, count_tokens)


# --- the corpus PDF --------------------------------------------------------------------------


def test_corpus_pdf_has_four_pages():
    assert len(read_pdf_pages(CORPUS / COMMUNIQUE_PDF)) == 4


def test_corpus_pdf_headings_come_out_as_markdown_heading_lines():
    pages = read_pdf_pages(CORPUS / COMMUNIQUE_PDF)
    lines = [line for page in pages for line in page.splitlines()]
    assert lines[0] == "# Communiqué from the OCO Annual Conference 2024"
    assert "# Day One Highlights:" in lines
    assert "# Day Two Highlights:" in lines
    assert "# Conclusion:" in lines
    # Body text is not marked as a heading.
    assert not any(line.startswith("# Session") for line in lines)


def test_corpus_pdf_normalises_like_the_text_rendition():
    doc = load(CORPUS, COMMUNIQUE_PDF).text
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert {"Day One Highlights", "Day Two Highlights", "Conclusion"} <= set(headings)
    labels = [b.label for b in doc.blocks if b.kind == "item"]
    for name in ("One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"):
        assert f"Session {name}" in labels
    five = next(b for b in doc.blocks if b.label == "Session Five")
    # Session Five runs across the break between pages 2 and 3.
    assert "money laundering and trafficking of drugs and counterfeits" in five.text


def test_corpus_pdf_running_footers_are_removed():
    text = load(CORPUS, COMMUNIQUE_PDF).text.text
    assert "Page 1 of 4" not in text
    assert "of 4" not in text
    assert "26th Annual Conference Communiqué" not in text


def test_corpus_pdf_passages_know_their_first_page():
    doc = load(CORPUS, COMMUNIQUE_PDF).text
    pages = {p.section: p.page for p in chunk(doc, count_tokens)}
    assert pages["Opening Ceremony"] == 1
    assert pages["Session One"] == 2
    assert pages["Session Four"] == 2
    assert pages["Session Six"] == 3
    assert pages["Conclusion"] == 4


def test_passage_continuing_onto_the_next_page_reports_its_last_page():
    doc = load(CORPUS, COMMUNIQUE_PDF).text
    passages = {p.section: p for p in chunk(doc, count_tokens)}
    # "Session Five: ... money" ends page 2, "laundering and trafficking ..." opens page 3.
    assert (passages["Session Five"].page, passages["Session Five"].page_end) == (2, 3)
    assert (passages["Session Four"].page, passages["Session Four"].page_end) == (2, 2)


# --- PDFs written here -------------------------------------------------------------------------


def test_phrase_on_page_two_is_in_a_passage_on_page_two(tmp_path):
    _, passages = passages_of(three_pages_with_headings(tmp_path / "report.pdf"))
    holding = [p for p in passages if "zebra crossing" in p.text]
    assert len(holding) == 1
    assert holding[0].page == 2
    assert holding[0].page_end == 2
    assert holding[0].section == "Maritime Surveillance"
    assert {p.page for p in passages if p.section == "Fisheries Management"} == {1}
    assert {p.page for p in passages if p.section == "Trade Facilitation"} == {3}


def flowing_speech_pages() -> tuple[list[list[tuple[str, str]]], list[str]]:
    """A speech without headings whose sentences run on from one page to the next."""
    topics = ["fisheries", "sea level rise", "ocean acidification", "maritime boundaries",
              "labour mobility", "climate finance", "nuclear legacy", "coral reefs"]  # fmt: skip
    text = " ".join(
        f"Sentence {i} notes that {topics[i % len(topics)]} matters greatly to every member "
        f"of our region."
        for i in range(45)
    )
    text = text.replace("Sentence 22 notes", PHRASE + " Sentence 22 notes")
    lines = textwrap.wrap(text, 85)
    assert not lines[19].endswith(".") and not lines[39].endswith(".")  # sentences run on
    pages = [[("l", line) for line in chunk] for chunk in (lines[:20], lines[20:40], lines[40:])]
    return pages, text.split()


def test_prose_flowing_across_pages_loses_no_words(tmp_path):
    pages, words = flowing_speech_pages()
    doc, _ = passages_of(make_pdf(tmp_path / "speech.pdf", pages))
    assert doc.text.split() == words


def test_passages_of_prose_flowing_across_pages_know_the_page_they_start_on(tmp_path):
    pages, _ = flowing_speech_pages()
    path = make_pdf(tmp_path / "speech.pdf", pages)
    raw_pages = [" ".join(p.split()) for p in read_pdf_pages(path)]
    _, passages = passages_of(path)
    assert len(passages) >= 3
    for passage in passages:
        first_words = " ".join(passage.text.split()[:8])
        last_words = " ".join(passage.text.split()[-8:])
        assert first_words in raw_pages[passage.page - 1], (passage.ordinal, passage.page)
        assert last_words in raw_pages[passage.page_end - 1], (passage.ordinal, passage.page_end)
    holding = next(p for p in passages if "zebra crossing" in p.text)
    assert holding.page <= 2 <= holding.page_end


def test_body_lines_that_happen_to_end_several_pages_are_not_removed_as_footers(tmp_path):
    # A short last line of a paragraph ("members.") may end two pages of three by chance:
    # it is text, not a running footer.
    pages = [
        [("l", f"The conference discussed {topic} at length and thanked all the"),
         ("l", "members.")]
        for topic in ("fisheries", "border security", "trade facilitation")
    ]  # fmt: skip
    doc, _ = passages_of(make_pdf(tmp_path / "widows.pdf", pages))
    for topic in ("fisheries", "border security", "trade facilitation"):
        assert f"discussed {topic} at length and thanked all the members." in doc.text


def test_page_n_of_m_footers_are_removed(tmp_path):
    path = three_pages_with_headings(tmp_path / "numbered.pdf", page_numbers="Page {n} of {m}")
    assert "Page 2 of 3" in read_pdf_pages(path)[1]  # the footer is in the PDF
    doc, _ = passages_of(path)
    assert "Page" not in doc.text
    assert " of 3" not in doc.text


def test_bare_page_numbers_are_removed(tmp_path):
    path = three_pages_with_headings(tmp_path / "numbered.pdf", page_numbers="{n}")
    doc, _ = passages_of(path)
    for block in doc.blocks:
        assert block.text not in {"1", "2", "3"}
        assert not block.text.endswith((" 1", " 2", " 3"))


def test_repeated_footer_line_is_removed(tmp_path):
    footer = "Pacific Customs Conference 2024 - Outcome Statement"
    path = three_pages_with_headings(tmp_path / "footer.pdf", footer=footer)
    assert footer in read_pdf_pages(path)[0]
    doc, passages = passages_of(path)
    assert "Outcome Statement" not in doc.text
    assert any(PHRASE in p.text for p in passages)


def test_numbered_headings_opening_each_page_are_kept_and_a_running_heading_is_not(tmp_path):
    # "Annex 1", "Annex 2", "Annex 3", each opening its page in heading type: the numbers
    # vary as a page number's would, but they are the document's own headings. A heading
    # printed identically on every page is still a running header.
    pages = [
        [("h", "Regional Customs Report"), ("h", f"Annex {n}"), ("p", sentences(topic, 4))]
        for n, topic in enumerate(TOPICS, start=1)
    ]
    doc, passages = passages_of(make_pdf(tmp_path / "annexes.pdf", pages))
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings == ["Annex 1", "Annex 2", "Annex 3"]
    assert "Regional Customs Report" not in doc.text
    for n, topic in enumerate(TOPICS, start=1):
        (passage,) = [p for p in passages if f"Sentence 0 of this part considers {topic}" in p.text]
        assert passage.section == f"Annex {n}" and passage.page == n


@pytest.mark.parametrize("running", ["OCO Annual Report 2023 | {n}", "{n} - Outcome Statement",
                                     "Outcome Statement, page {n}"])  # fmt: skip
def test_a_running_title_with_its_page_number_in_heading_type_is_removed(tmp_path, running):
    pages = [[("h", running.format(n=n)), ("p", sentences(topic, 4))]
             for n, topic in enumerate(TOPICS, 1)]  # fmt: skip
    doc, passages = passages_of(make_pdf(tmp_path / "running.pdf", pages))

    assert [b.text for b in doc.blocks if b.kind == "heading"] == []
    assert "Outcome Statement" not in doc.text and "Annual Report" not in doc.text
    assert any("considers maritime surveillance" in p.text for p in passages)


def test_a_title_wrapped_over_two_lines_is_one_heading(tmp_path):
    pages = [[("h", "Communiqué of the Fiftieth"), ("h", "Pacific Islands Forum Leaders Meeting"),
              ("p", sentences("fisheries", 4))]]  # fmt: skip
    doc, _ = passages_of(make_pdf(tmp_path / "title.pdf", pages))

    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings == ["Communiqué of the Fiftieth Pacific Islands Forum Leaders Meeting"]


def test_page_numbers_set_in_heading_type_are_removed(tmp_path):
    pages = [[("h", f"- {n} -"), ("p", sentences(topic, 4))] for n, topic in enumerate(TOPICS, 1)]
    doc, _ = passages_of(make_pdf(tmp_path / "big-numbers.pdf", pages))
    assert read_pdf_pages(tmp_path / "big-numbers.pdf")[1].startswith("# - 2 -")
    assert [b.text for b in doc.blocks if b.kind == "heading"] == []
    assert "- 2 -" not in doc.text


def test_larger_font_lines_become_headings_and_body_does_not(tmp_path):
    path = three_pages_with_headings(tmp_path / "headed.pdf")
    pages = read_pdf_pages(path)
    assert pages[0].splitlines()[0] == "# Fisheries Management"
    doc, _ = passages_of(path)
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings == ["Fisheries Management", "Maritime Surveillance", "Trade Facilitation"]


def test_paragraph_gap_separates_paragraphs(tmp_path):
    path = make_pdf(
        tmp_path / "paras.pdf",
        [[("p", sentences("tuna", 5)), ("p", sentences("reefs", 5))]],
    )
    doc, _ = passages_of(path)
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert len(paragraphs) == 2
    assert "tuna" in paragraphs[0] and "reefs" not in paragraphs[0]
    assert "reefs" in paragraphs[1]


# --- PDFs that cannot be read ---------------------------------------------------------------------


def test_encrypted_pdf_with_user_password_is_refused(tmp_path):
    path = make_pdf(
        tmp_path / "secret.pdf",
        [[("p", sentences("secrets", 3))]],
        encrypt=pdfencrypt.StandardEncryption("user-pass", ownerPassword="owner-pass"),
    )
    with pytest.raises(DocumentError, match="encrypted"):
        read_pdf_pages(path)


def test_pdf_encrypted_without_user_password_is_read(tmp_path):
    path = make_pdf(
        tmp_path / "restricted.pdf",
        [[("p", "Only printing is restricted on this conference report.")]],
        encrypt=pdfencrypt.StandardEncryption("", ownerPassword="owner-pass"),
    )
    assert "conference report" in read_pdf_pages(path)[0]


def test_truncated_pdf_raises_document_error(tmp_path):
    whole = three_pages_with_headings(tmp_path / "whole.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(DocumentError):
        read_pdf_pages(broken)


@pytest.mark.parametrize(
    "data",
    [b"this is not a pdf at all\n" * 20, bytes(range(256)) * 8, b"%PDF-1.4\n%%EOF\n"],
    ids=["text", "binary", "header-only"],
)
def test_garbage_bytes_raise_document_error(tmp_path, data):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError):
        read_pdf_pages(path)


def test_pdf_without_text_asks_for_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.rect(100, 100, 300, 400, fill=1)
    pdf.showPage()
    pdf.save()
    with pytest.raises(DocumentError, match=r"(?i)scanned|OCR"):
        read_pdf_pages(path)


def test_load_reports_a_broken_pdf_as_document_error(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    with pytest.raises(DocumentError, match="PDF"):
        load(tmp_path, "broken.pdf")


def _document(path: Path):
    loaded = load(path.parent, path.name)
    return derive({}, path.name, loaded.text, loaded.html_title, loaded.stated)


def test_a_pdfs_own_title_and_author_describe_it(tmp_path):
    pages = [[("l", "The members discussed e-commerce risk profiles at length.")]]
    info = {"title": "Session paper: e-commerce risk management", "author": "OCO Secretariat"}
    document = _document(make_pdf(tmp_path / "paper-4.pdf", pages, info=info))

    assert document.title == "Session paper: e-commerce risk management"
    assert document.extra == {"author": "OCO Secretariat"}
    # what the user wrote wins
    loaded = load(tmp_path, "paper-4.pdf")
    assert derive({"title": "Paper 4"}, "paper-4.pdf", loaded.text, loaded.html_title).title == (
        "Paper 4"
    )


@pytest.mark.parametrize(
    "written",
    [
        "Microsoft Word - paper4.docx",
        "paper4.pdf",
        "Untitled",
        "Document1",
        "  ",
        "PowerPoint Presentation",
    ],
)
def test_a_title_the_pdf_writer_filled_in_is_not_the_documents(tmp_path, written):
    pages = [[("h", "E-commerce Risk Management"), ("p", sentences("e-commerce", 3))]]
    document = _document(make_pdf(tmp_path / "paper-4.pdf", pages, info={"title": written}))

    assert document.title == "E-commerce Risk Management"  # its first heading
