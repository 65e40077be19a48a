"""Hostile input: every file that cannot be indexed is reported with a reason a person can act
on and skipped; none aborts a build or adds empty passages. Every fixture is written here."""

from __future__ import annotations

import io
import os
import random
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from indexer import sandbox
from indexer.build import build
from indexer.documents import DocumentError, LimitError, decode, discover, load
from indexer.embedders.fake import FakeEmbedder
from indexer.store import Generation
from tests.conftest import COMMUNIQUE_PDF, CORPUS

PROSE = (
    "The Pacific Islands Forum met in Tuvalu to discuss fisheries management, maritime "
    "boundaries and the effects of sea level rise on the atolls of the region."
)


# --- fixtures written here ---------------------------------------------------------------------


def text_pdf(pages: list[str]) -> bytes:
    """A small PDF with one line of text per page."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for text in pages:
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 700, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


TOPICS = ["tuna fisheries", "sea level rise", "maritime boundaries"]


def three_page_pdf() -> bytes:
    """Three pages, each its own sentence (a line repeated on every page is a footer)."""
    return text_pdf([f"The members discussed {topic} at length in Funafuti." for topic in TOPICS])


def encrypted_pdf(user_password: str, algorithm: str | None = None) -> bytes:
    """RC4-128 (pypdf's default), or `algorithm` such as "AES-256"."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([PROSE]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """Two pages that are only a picture of text, as a scanner makes them."""
    noise = random_bytes(1, 200 * 100)
    image = ImageReader(Image.frombytes("L", (200, 100), noise))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(2):
        pdf.drawImage(image, 72, 400, width=400, height=200)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def bomb_pdf(inflated_bytes: int, pages: int = 1) -> bytes:
    """A PDF whose pages' content streams are a line of text and then `inflated_bytes` of
    zeros (white space to a PDF parser), FlateDecode-compressed about a thousandfold."""
    compressor = zlib.compressobj(9)
    block = bytes(1 << 20)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 700 Td (Hello from a bomb) Tj ET\n")]
    parts += [compressor.compress(block) for _ in range(inflated_bytes >> 20)]
    stream = b"".join(parts) + compressor.flush()
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for i in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources %s >>" % (4 + 2 * i, font)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def wrong_startxref(pdf: bytes) -> bytes:
    """The table of objects is where the file says it is not: pypdf must rebuild it."""
    at = pdf.rindex(b"startxref")
    return pdf[:at] + b"startxref\n999999\n%%EOF\n"


def random_bytes(seed: int, n: int, low: int = 0, high: int = 256) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, high) for _ in range(n))


def write(root: Path, source: str, content: bytes | str) -> Path:
    path = root / source
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def link(root: Path, source: str, target: str | Path) -> Path:
    path = root / source
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


@pytest.fixture(scope="module")
def bomb_200mb() -> bytes:
    return bomb_pdf(200 << 20)


@pytest.fixture(scope="module")
def bomb_under_pypdf_limits() -> bytes:
    # 2 × 70 MB: each stream is under pypdf's own 75 MB limit, so only ours can stop it.
    return bomb_pdf(70 << 20, pages=2)


def reason_for(root: Path, source: str, **limits) -> str:
    with pytest.raises(DocumentError) as caught:
        load(root, source, **limits)
    return str(caught.value)


# --- PDFs ----------------------------------------------------------------------------------------


def test_pdf_encrypted_with_a_password_is_skipped_saying_it_needs_one(tmp_path):
    write(tmp_path, "secret.pdf", encrypted_pdf("user-secret"))
    reason = reason_for(tmp_path, "secret.pdf")
    assert "encrypted" in reason and "password" in reason


def test_pdf_encrypted_with_an_empty_user_password_is_opened_and_read(tmp_path):
    write(tmp_path, "restricted.pdf", encrypted_pdf(""))
    assert PdfReader(tmp_path / "restricted.pdf").is_encrypted
    loaded = load(tmp_path, "restricted.pdf")
    assert "sea level rise" in loaded.text.text
    assert loaded.warnings == []


def test_aes_encrypted_pdf_with_an_empty_user_password_is_read(tmp_path):
    pytest.importorskip("cryptography")  # pypdf needs it for AES (and to write this fixture)
    write(tmp_path, "restricted.pdf", encrypted_pdf("", algorithm="AES-256"))
    assert "sea level rise" in load(tmp_path, "restricted.pdf").text.text


def test_pdf_with_a_wrong_xref_pointer_is_repaired_read_and_flagged(tmp_path):
    write(tmp_path, "bad-xref.pdf", wrong_startxref(three_page_pdf()))
    loaded = load(tmp_path, "bad-xref.pdf")
    assert all(topic in loaded.text.text for topic in TOPICS)
    assert any("damaged PDF, repaired" in w for w in loaded.warnings)


def test_pdf_cut_short_after_its_pages_is_recovered_with_a_warning(tmp_path):
    whole = three_page_pdf()
    write(tmp_path, "cut.pdf", whole[: whole.rindex(b"xref")])  # no table, no trailer
    loaded = load(tmp_path, "cut.pdf")
    assert all(topic in loaded.text.text for topic in TOPICS)
    assert any("truncated PDF" in w and "complete file" in w for w in loaded.warnings)


def test_pdf_cut_short_before_any_page_text_is_unreadable_and_called_truncated(tmp_path):
    whole = three_page_pdf()
    write(tmp_path, "cut.pdf", whole[: len(whole) // 5])
    reason = reason_for(tmp_path, "cut.pdf")
    assert reason.startswith("unreadable PDF, probably truncated")
    assert "%%EOF" in reason


def test_image_only_pdf_asks_for_ocr(tmp_path):
    write(tmp_path, "scan.pdf", scanned_pdf())
    assert "no extractable text (scanned images?): OCR it first" in reason_for(tmp_path, "scan.pdf")


def test_html_page_saved_as_pdf_is_called_not_a_pdf(tmp_path):
    write(tmp_path, "report.pdf", "<!DOCTYPE html><html><body>404 Not Found</body></html>")
    reason = reason_for(tmp_path, "report.pdf")
    assert reason.startswith("not a PDF") and "HTML" in reason


def test_decompression_bomb_is_stopped_and_reported(tmp_path, bomb_200mb):
    assert len(bomb_200mb) < 300_000  # 200 MB of content in a small file
    write(tmp_path, "bomb.pdf", bomb_200mb)
    # pypdf's own fixed cap stops this one: a recorded skip, not a limit a setting can raise.
    with pytest.raises(DocumentError, match=r"decompression bomb") as caught:
        load(tmp_path, "bomb.pdf")
    assert not isinstance(caught.value, LimitError)


def test_bomb_under_pypdfs_own_limits_is_stopped_by_the_memory_limit(
    tmp_path, bomb_under_pypdf_limits
):
    write(tmp_path, "bomb.pdf", bomb_under_pypdf_limits)
    with pytest.raises(LimitError, match=r"more than 100 MB of memory.*decompression bomb"):
        load(tmp_path, "bomb.pdf", memory_mb=100)


def test_pdf_that_parses_for_too_long_is_stopped_by_the_time_limit(
    tmp_path, bomb_under_pypdf_limits
):
    write(tmp_path, "slow.pdf", bomb_under_pypdf_limits)  # seconds of parsing white space
    with pytest.raises(LimitError, match=r"PDF took longer than 0.5 s to read"):
        load(tmp_path, "slow.pdf", timeout_s=0.5)
    # The stopped worker is replaced: the next document is read normally.
    assert load(CORPUS, COMMUNIQUE_PDF).text.blocks


def test_reading_goes_on_after_a_worker_was_killed_at_a_limit(tmp_path, bomb_under_pypdf_limits):
    write(tmp_path, "slow.pdf", bomb_under_pypdf_limits)
    with pytest.raises(LimitError):
        load(tmp_path, "slow.pdf", timeout_s=0.2)
    assert "Session Four" in load(CORPUS, COMMUNIQUE_PDF).text.text


def test_many_pdfs_share_one_worker_process(tmp_path):
    for n in range(20):
        write(tmp_path, f"doc{n}.pdf", text_pdf([f"Document {n}. {PROSE}"]))
    load(tmp_path, "doc0.pdf")  # the worker is started (or was already)
    pool = sandbox.shared_pool(preload=("indexer.documents",))
    before = pool.started
    for n in range(20):
        assert f"Document {n}." in load(tmp_path, f"doc{n}.pdf").text.text
    assert pool.started == before


def test_document_read_in_the_worker_equals_one_read_here():
    isolated = load(CORPUS, COMMUNIQUE_PDF)
    here = load(CORPUS, COMMUNIQUE_PDF, isolated=False)
    assert isolated == here
    assert isolated.text.page_at(isolated.text.blocks[-1].start) == 4


# --- text files ----------------------------------------------------------------------------------


def test_zero_byte_file_is_empty(tmp_path):
    write(tmp_path, "empty.txt", b"")
    assert reason_for(tmp_path, "empty.txt") == "empty file"


def test_binary_with_nul_bytes_named_txt_is_not_text(tmp_path):
    write(tmp_path, "photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4)
    assert reason_for(tmp_path, "photo.txt").startswith("binary data, not text")


def test_random_bytes_without_nul_are_not_text_though_they_decode_as_cp1252(tmp_path):
    data = random_bytes(2, 8000, low=1)
    assert b"\x00" not in data
    write(tmp_path, "noise.txt", data)
    assert reason_for(tmp_path, "noise.txt").startswith("binary data, not text")


def test_random_bytes_of_printable_cp1252_are_not_text(tmp_path):
    data = random_bytes(3, 8000, low=0x20)
    write(tmp_path, "noise.txt", data)
    reason = reason_for(tmp_path, "noise.txt")
    assert reason.startswith("not text in a known encoding") and "UTF-8" in reason


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_with_a_byte_order_mark_is_decoded(tmp_path, codec):
    data = PROSE.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    write(tmp_path, "unicode.txt", data)
    loaded = load(tmp_path, "unicode.txt")
    assert loaded.text.text == PROSE
    assert loaded.warnings == []


def test_utf16_without_a_byte_order_mark_is_decoded_with_a_warning():
    text, warnings = decode("Talofa lava, délégués.".encode("utf-16-le"))
    assert text == "Talofa lava, délégués."
    assert "UTF-16" in warnings[0]


def test_cp1252_text_is_decoded_and_the_warning_says_so(tmp_path):
    write(tmp_path, "legacy.txt", ("Délégués – “Blue Pacific”. " + PROSE).encode("cp1252"))
    loaded = load(tmp_path, "legacy.txt")
    assert loaded.text.text.startswith("Délégués – “Blue Pacific”.")
    assert loaded.warnings == [
        "not UTF-8: decoded as Windows-1252; check its accented letters, or save it as UTF-8"
    ]


def test_text_in_another_legacy_encoding_is_refused_rather_than_garbled(tmp_path):
    write(tmp_path, "greek.txt", ("Καλημέρα σε όλους τους συνέδρους. " * 20).encode("cp1253"))
    assert "save" in reason_for(tmp_path, "greek.txt") and "UTF-8" in reason_for(
        tmp_path, "greek.txt"
    )


def test_a_few_accented_words_in_cp1252_are_still_text(tmp_path):
    write(tmp_path, "title.txt", "Délégués à Nouméa".encode("cp1252"))
    assert load(tmp_path, "title.txt").text.text == "Délégués à Nouméa"


def test_file_over_the_size_limit_gives_its_size_and_the_limit(tmp_path):
    write(tmp_path, "big.txt", PROSE * 100)
    reason = reason_for(tmp_path, "big.txt", max_bytes=1000)
    assert f"file of {len(PROSE) * 100} bytes is over the limit of 1000 bytes" in reason


def test_text_that_is_slow_to_normalise_holds_the_indexer_no_longer_than_the_limit(tmp_path):
    # Any format is read under the limits, not only PDF: a text that takes too long to
    # normalise is stopped and reported like a slow PDF.
    write(tmp_path, "wordlist.txt", "word\n" * 400_000)
    with pytest.raises(LimitError, match=r"^document took longer than 0.05 s to read"):
        load(tmp_path, "wordlist.txt", timeout_s=0.05)


# --- links and special files -------------------------------------------------------------------


def test_symlink_loop_is_skipped_by_discover_and_load(tmp_path):
    link(tmp_path, "loop.txt", "loop.txt")
    link(tmp_path, "a.txt", "b.txt")
    link(tmp_path, "b.txt", "a.txt")
    found, skipped = discover(tmp_path)
    assert found == []
    assert {source for source, _ in skipped} == {"loop.txt", "a.txt", "b.txt"}
    assert all(reason.startswith("symbolic link loop") for _, reason in skipped)
    assert reason_for(tmp_path, "loop.txt").startswith("symbolic link loop")


def test_dangling_symlink_is_skipped_as_broken(tmp_path):
    link(tmp_path, "gone.txt", "deleted.txt")
    _, skipped = discover(tmp_path)
    assert skipped == [("gone.txt", "broken symbolic link: its target deleted.txt does not exist")]


def test_symlink_to_a_file_outside_the_corpus_is_skipped(tmp_path):
    write(tmp_path, "elsewhere/secret.txt", PROSE)
    link(tmp_path, "corpus/secret.txt", tmp_path / "elsewhere" / "secret.txt")
    found, skipped = discover(tmp_path / "corpus")
    assert found == []
    [(source, reason)] = skipped
    assert source == "secret.txt" and "points outside the corpus" in reason
    assert "points outside the corpus" in reason_for(tmp_path / "corpus", "secret.txt")


def test_symlink_to_a_file_inside_the_corpus_is_indexed(tmp_path):
    write(tmp_path, "real/speech.txt", PROSE)
    link(tmp_path, "alias.txt", "real/speech.txt")
    assert discover(tmp_path) == (["alias.txt", "real/speech.txt"], [])
    assert "Tuvalu" in load(tmp_path, "alias.txt").text.text


def test_symlinked_folder_is_reported_not_followed(tmp_path):
    write(tmp_path, "speeches/one.txt", PROSE)
    link(tmp_path, "speeches/again", "..")  # a loop through folders
    found, skipped = discover(tmp_path)
    assert found == ["speeches/one.txt"]
    [(source, reason)] = skipped
    assert source == "speeches/again" and "not followed" in reason


def test_named_pipe_is_skipped_without_being_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would block for ever
    _, skipped = discover(tmp_path)
    assert skipped == [("pipe.txt", "not a regular file (a named pipe): only files are indexed")]


def test_file_name_that_is_not_utf8_is_skipped_asking_to_rename_it(tmp_path):
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt"), "wb") as handle:
        handle.write(PROSE.encode())
    found, skipped = discover(tmp_path)
    assert found == []
    assert skipped == [("caf\udce9.txt", "file name is not valid UTF-8 (caf\\xe9.txt): rename it")]


# --- the sandbox -------------------------------------------------------------------------------


def test_sandbox_reports_timeout_memory_crash_and_error_and_recovers():
    pool = sandbox.WorkerPool()
    try:
        pid = pool.call("os:getpid")
        assert pool.call("os:getpid") == pid  # one worker serves many calls
        with pytest.raises(sandbox.SandboxTimeout):
            pool.call("time:sleep", [30], timeout_s=0.2)
        with pytest.raises(sandbox.SandboxMemoryError):
            pool.call("builtins:bytearray", [2 << 30], memory_mb=256)
        with pytest.raises(sandbox.SandboxCrash, match="SIGABRT"):
            pool.call("os:abort")
        with pytest.raises(sandbox.SandboxJobError, match="ValueError"):
            pool.call("builtins:int", ["not a number"])
        assert pool.call("builtins:len", ["four"]) == 4
        assert pool.started == 4  # a fresh worker after each kill, not after an exception
    finally:
        pool.close()


def test_without_a_worker_process_documents_are_read_here_and_the_failure_said_once(
    monkeypatch, caplog
):
    monkeypatch.setattr(sandbox.sys, "executable", "/nonexistent/python")
    pool = sandbox.WorkerPool()
    monkeypatch.setattr(sandbox, "shared_pool", lambda preload=(): pool)
    with caplog.at_level("WARNING", logger="indexer.sandbox"):
        assert "Session Four" in load(CORPUS, COMMUNIQUE_PDF).text.text
        assert "Session Four" in load(CORPUS, COMMUNIQUE_PDF).text.text
    assert pool.unavailable and pool.started == 0
    assert len(caplog.records) == 1 and "without time or memory limits" in caplog.text


# --- everything at once ------------------------------------------------------------------------


def hostile_corpus(root: Path, outside: Path, bomb: bytes) -> dict[str, str]:
    """Write a corpus of one good document and every kind of hostile file; return the
    hostile sources and a part of the reason each must be skipped with."""
    write(root, "good/speech.txt", PROSE)
    write(root, "pdf/needs-password.pdf", encrypted_pdf("user-secret"))
    write(root, "pdf/truncated.pdf", three_page_pdf()[:500])
    write(root, "pdf/scanned.pdf", scanned_pdf())
    write(root, "pdf/bomb.pdf", bomb)
    write(root, "pdf/download-error.pdf", "<html><body>Access denied</body></html>")
    write(root, "text/empty.txt", b"")
    write(root, "text/binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write(root, "text/noise.txt", random_bytes(4, 4000, low=1))
    write(root, "text/huge.txt", PROSE * 8000)  # 1.2 MB
    link(root, "links/loop.txt", "loop.txt")
    link(root, "links/dangling.txt", "nowhere.txt")
    write(outside, "private.txt", PROSE)
    link(root, "links/outside.txt", outside / "private.txt")
    link(root, "links/folder", "..")
    os.mkfifo(root / "text" / "pipe.txt")
    with open(os.path.join(os.fsencode(root / "text"), b"r\xe9sum\xe9.txt"), "wb") as handle:
        handle.write(PROSE.encode())  # a name in Latin-1, not UTF-8
    return {
        "text/r\udce9sum\udce9.txt": "file name is not valid UTF-8",
        "pdf/needs-password.pdf": "needs a password",
        "pdf/truncated.pdf": "unreadable PDF, probably truncated",
        "pdf/scanned.pdf": "no extractable text (scanned images?): OCR it first",
        "pdf/bomb.pdf": "decompression bomb",
        "pdf/download-error.pdf": "not a PDF",
        "text/empty.txt": "empty file",
        "text/binary.txt": "binary data, not text",
        "text/noise.txt": "binary data, not text",
        "text/huge.txt": "over the limit of 1000000 bytes",
        "links/loop.txt": "symbolic link loop",
        "links/dangling.txt": "broken symbolic link",
        "links/outside.txt": "points outside the corpus",
        "links/folder": "not followed",
        "text/pipe.txt": "named pipe",
    }


def test_build_over_a_corpus_of_every_hostile_file_indexes_the_good_and_reports_the_rest(
    tmp_path, bomb_200mb
):
    corpus = tmp_path / "corpus"
    expected = hostile_corpus(corpus, tmp_path / "outside", bomb_200mb)
    # Hostile but readable: indexed, with a warning where something was repaired or guessed.
    write(corpus, "readable/empty-password.pdf", encrypted_pdf(""))
    write(corpus, "readable/bad-xref.pdf", wrong_startxref(three_page_pdf()))
    write(corpus, "readable/utf16.txt", PROSE.encode("utf-16"))
    write(corpus, "readable/legacy.txt", ("Délégués. " + PROSE).encode("cp1252"))
    index_dir = tmp_path / "index"

    report = build(corpus, index_dir, FakeEmbedder(), max_file_bytes=1_000_000)

    assert report.published
    reasons = dict(report.skipped)
    assert set(reasons) == set(expected)
    for source, part in expected.items():
        assert part in reasons[source], (source, reasons[source])
    indexed = ["good/speech.txt", "readable/bad-xref.pdf", "readable/empty-password.pdf",
               "readable/legacy.txt", "readable/utf16.txt"]  # fmt: skip
    assert sorted(report.added) == indexed
    assert dict(report.warnings).keys() == {"readable/bad-xref.pdf", "readable/legacy.txt"}
    generation = Generation.open_current(index_dir)
    try:
        rows = generation.query(
            "SELECT d.source, p.text FROM passages p JOIN documents d ON d.id = p.document_id"
        )
        by_source: dict[str, list[str]] = {}
        for source, text in rows:
            by_source.setdefault(source, []).append(text)
    finally:
        generation.close()
    assert sorted(by_source) == indexed  # nothing from a hostile file, no empty passages
    assert all(text.strip() for texts in by_source.values() for text in texts)
    assert any("Tuvalu" in text for text in by_source["good/speech.txt"])

    again = build(corpus, index_dir, FakeEmbedder(), max_file_bytes=1_000_000)
    assert not again.published  # nothing changed: the broken files are not read again
    assert dict(again.skipped) == reasons
