"""Finding a corpus's documents and reading each one, with reasons for what is left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.documents import DocumentError, decode, discover, load
from tests.conftest import COMMUNIQUE_PDF, COMMUNIQUE_TXT, CORPUS, copy_corpus


def write(root: Path, source: str, content: str | bytes = "Some text about the ocean.") -> Path:
    path = root / source
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- discover ------------------------------------------------------------------------------


def test_discover_finds_the_documents_of_a_corpus_copy(corpus_dir):
    found, skipped = discover(corpus_dir)
    assert found == [
        COMMUNIQUE_PDF,
        COMMUNIQUE_TXT,
        "ungdc-pacific/AUS_79_2024.txt",
        "ungdc-pacific/FJI_74_2019.txt",
        "ungdc-pacific/TUV_60_2005.txt",
        "ungdc-pacific/TUV_74_2019.txt",
    ]
    assert skipped == []


def test_discover_honours_confsearchignore(tmp_path):
    root = copy_corpus(tmp_path / "corpus", speeches=["TUV_74_2019.txt"], pdf=False)
    write(root, "README.md", "# The corpus\n\nHow to add documents.")
    write(root, "SOURCES.md", "# Sources\n\nWhere documents come from.")
    write(root, "oco/SOURCE.md", "Downloaded from the OCO website.")
    write(root, "pif/nested/SOURCE.md", "Downloaded from the PIF website.")
    write(root, "oco/notes.md", "# Notes\n\nThese are indexed.")
    write(root, "oco/report.pdf.meta.json", '{"title": "A report"}')
    found, skipped = discover(root)
    assert "README.md" not in found
    assert "SOURCES.md" not in found
    assert "oco/SOURCE.md" not in found
    assert "pif/nested/SOURCE.md" not in found
    assert "manifest.csv" not in found
    assert "oco/notes.md" in found
    assert not any(source.endswith(".meta.json") for source in found)
    assert not any(source.endswith(".meta.json") for source, _ in skipped)


def test_ignore_file_comments_and_custom_globs(tmp_path):
    write(tmp_path, ".confsearchignore", "# drafts are not published\ndrafts/*\n*.tmp.txt\n")
    write(tmp_path, "drafts/early.txt")
    write(tmp_path, "final/report.txt")
    write(tmp_path, "final/scratch.tmp.txt")
    found, _ = discover(tmp_path)
    assert found == ["final/report.txt"]


def test_ignore_file_folder_pattern_ignores_the_whole_folder(tmp_path):
    # gitignore-style (corpus/README.md): "drafts/" leaves out the folder and all below it.
    write(tmp_path, ".confsearchignore", "drafts/\n")
    write(tmp_path, "drafts/early.txt")
    write(tmp_path, "drafts/older/first.txt")
    write(tmp_path, "final/report.txt")
    found, _ = discover(tmp_path)
    assert found == ["final/report.txt"]


def test_without_ignore_file_every_supported_file_is_found(tmp_path):
    write(tmp_path, "README.md")
    write(tmp_path, "a/speech.txt")
    found, _ = discover(tmp_path)
    assert found == ["README.md", "a/speech.txt"]


def test_discover_skips_hidden_files_and_folders(tmp_path):
    write(tmp_path, "visible.txt")
    write(tmp_path, ".hidden.txt")
    write(tmp_path, ".git/notes.txt")
    write(tmp_path, "docs/.draft.md")
    write(tmp_path, "docs/.cache/copy.txt")
    found, skipped = discover(tmp_path)
    assert found == ["visible.txt"]
    assert skipped == []


def test_discover_reports_unsupported_file_types(tmp_path):
    write(tmp_path, "speech.txt")
    write(tmp_path, "minutes.docx", b"PK\x03\x04")
    write(tmp_path, "scan.png", b"\x89PNG")
    write(tmp_path, "LICENCE", "no suffix")
    found, skipped = discover(tmp_path)
    assert found == ["speech.txt"]
    reasons = dict(skipped)
    assert set(reasons) == {"minutes.docx", "scan.png", "LICENCE"}
    assert "unsupported" in reasons["minutes.docx"] and ".docx" in reasons["minutes.docx"]
    assert ".png" in reasons["scan.png"]


def test_discover_accepts_every_supported_suffix_in_any_case(tmp_path):
    for name in ("a.txt", "b.md", "c.markdown", "d.html", "e.htm", "f.pdf", "G.PDF", "h.Html"):
        write(tmp_path, name)
    found, skipped = discover(tmp_path)
    assert len(found) == 8
    assert skipped == []


def test_discover_lists_relative_sources_with_forward_slashes_in_a_stable_order(tmp_path):
    for source in ("b/z.txt", "b/a.txt", "a/deep/m.txt", "top.txt"):
        write(tmp_path, source)
    found, _ = discover(tmp_path)
    assert sorted(found) == ["a/deep/m.txt", "b/a.txt", "b/z.txt", "top.txt"]
    assert found.index("b/a.txt") < found.index("b/z.txt")
    assert discover(tmp_path)[0] == found


# --- load ----------------------------------------------------------------------------------


def test_load_reads_and_normalises_a_text_file():
    loaded = load(CORPUS, COMMUNIQUE_TXT)
    assert loaded.source == COMMUNIQUE_TXT
    assert loaded.warnings == []
    assert loaded.html_title is None
    assert "Session Four: Panel discussions" in loaded.text.text


def test_load_of_an_empty_file_says_it_is_empty(tmp_path):
    write(tmp_path, "empty.txt", b"")
    with pytest.raises(DocumentError, match="empty"):
        load(tmp_path, "empty.txt")


def test_load_of_a_whitespace_only_file_says_there_is_no_text(tmp_path):
    write(tmp_path, "blank.txt", "   \n\n\t\n")
    with pytest.raises(DocumentError, match="no text"):
        load(tmp_path, "blank.txt")


def test_load_of_binary_data_named_txt_is_refused(tmp_path):
    write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    with pytest.raises(DocumentError, match="binary"):
        load(tmp_path, "image.txt")


def test_a_pdf_named_txt_is_read_as_the_pdf_it_is(tmp_path):
    from tests.conftest import COMMUNIQUE_PDF, CORPUS

    write(tmp_path, "communique.txt", (CORPUS / COMMUNIQUE_PDF).read_bytes())
    loaded = load(tmp_path, "communique.txt")

    assert "e-commerce" in loaded.text.text.lower() and "endobj" not in loaded.text.text
    assert any("a PDF named .txt" in w for w in loaded.warnings)


def test_load_of_a_file_over_max_bytes_gives_size_and_limit(tmp_path):
    write(tmp_path, "big.txt", "The ocean is large. " * 100)
    with pytest.raises(DocumentError, match=r"2000 bytes.*limit of 1000 bytes"):
        load(tmp_path, "big.txt", max_bytes=1000)


def test_load_of_a_file_at_max_bytes_is_read(tmp_path):
    write(tmp_path, "exact.txt", "x" * 990 + " The end.")
    assert load(tmp_path, "exact.txt", max_bytes=999).text.text.endswith("The end.")


def test_load_of_a_missing_file_says_it_cannot_be_read(tmp_path):
    with pytest.raises(DocumentError, match="cannot read"):
        load(tmp_path, "missing.txt")


def test_cp1252_text_is_decoded_with_a_warning(tmp_path):
    text = "Délégués – “Blue Pacific” café: the meeting’s outcome."
    write(tmp_path, "legacy.txt", text.encode("cp1252"))
    loaded = load(tmp_path, "legacy.txt")
    assert loaded.text.text == text
    assert len(loaded.warnings) == 1
    assert "Windows-1252" in loaded.warnings[0]


def test_utf8_with_bom_is_decoded_without_warning(tmp_path):
    write(tmp_path, "bom.txt", "\ufeffKia orana, délégués.".encode())
    loaded = load(tmp_path, "bom.txt")
    assert loaded.text.text == "Kia orana, délégués."
    assert loaded.warnings == []


def test_decode_refuses_nul_bytes_and_accepts_utf8():
    with pytest.raises(DocumentError):
        decode(b"text\x00with a NUL")
    assert decode("Tuvalu – 2019".encode()) == ("Tuvalu – 2019", [])


def test_load_of_a_file_without_words_says_there_is_no_text(tmp_path):
    write(tmp_path, "numbers.txt", "12\n\n4 05-51226\n")
    with pytest.raises(DocumentError, match="no text"):
        load(tmp_path, "numbers.txt")


def test_load_html_keeps_its_title(tmp_path):
    write(tmp_path, "page.html", "<title>Forum Communiqué</title><h1>Outcomes</h1><p>Agreed.</p>")
    loaded = load(tmp_path, "page.html")
    assert loaded.html_title == "Forum Communiqué"
    assert [b.kind for b in loaded.text.blocks] == ["heading", "paragraph"]


def test_load_pdf_gives_paged_text():
    loaded = load(CORPUS, COMMUNIQUE_PDF)
    assert {b.page for b in loaded.text.blocks} == {1, 2, 3, 4}
