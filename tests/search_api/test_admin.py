"""The admin API: the key, uploads (size, type, stored names), deletes, re-index, reload,
tasks; and that no path given by a client leads out of the corpus."""

from __future__ import annotations

import io
import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from search_api import uploads
from search_api.app import create_app
from search_api.errors import ApiError
from search_api.settings import Settings
from tests.conftest import copy_corpus
from tests.helpers import call_asgi
from tests.search_api.conftest import check_error, serve

KEY = "s3cret-admin-key-for-tests-0123456789"
HEADERS = {"X-API-Key": KEY}
STORED = re.compile(r"^uploads/[0-9a-f]{32}\.(txt|pdf|md|html)$")
TEXT = (
    "Resolution on quokkavale fisheries\n\n"
    "The conference agreed that the quokkavale fishery needs a regional observer programme, "
    "and asked the secretariat to report on it at the next annual meeting.\n"
)


def admin_settings(tmp_path: Path, **overrides) -> Settings:
    """A corpus of its own (tests change it), indexed, with the admin key set."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        copy_corpus(corpus, ["TUV_74_2019.txt", "FJI_74_2019.txt"], pdf=False)
        build(corpus, tmp_path / "index", FakeEmbedder())
    values = {
        "corpus_dir": corpus,
        "index_dir": tmp_path / "index",
        "model": "fake",
        "reload_check_seconds": 0,
        "api_key": KEY,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[TestClient]:
    with serve(admin_settings(tmp_path)) as client:
        yield client


def wait_for(client: TestClient, task: dict, timeout: float = 60.0) -> dict:
    """Poll GET /admin/tasks/{id} until the task is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/admin/tasks/{task['id']}", headers=HEADERS)
        assert response.status_code == 200, response.text
        found = response.json()
        if found["status"] in ("done", "failed"):
            return found
        assert time.monotonic() < deadline, f"task still {found['status']}"
        time.sleep(0.05)


def upload(client: TestClient, name: str, data: bytes, **fields) -> object:
    return client.post(
        "/admin/documents", headers=HEADERS, files={"file": (name, data)}, data=fields
    )


def search_sources(client: TestClient, query: str) -> list[str]:
    response = client.post("/search", json={"query": query, "k": 10, "mode": "keyword"})
    assert response.status_code == 200, response.text
    return [r["source"] for r in response.json()["results"]]


def left_in_uploads(corpus: Path) -> list[str]:
    folder = corpus / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def pdf_bytes(*lines: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = 780
    for line in lines:
        page.drawString(72, y, line)
        y -= 18
    page.showPage()
    page.save()
    return buffer.getvalue()


# -- the key -------------------------------------------------------------------------------

ADMIN_CALLS = [
    ("post", "/admin/reindex"),
    ("post", "/admin/reload"),
    ("get", "/admin/tasks/0123"),
    ("delete", "/admin/documents/ungdc-pacific-tuv_74_2019-txt"),
    ("post", "/admin/documents"),
]


@pytest.mark.parametrize("key", [None, "", "   "])
def test_admin_is_refused_while_no_key_is_configured(tmp_path: Path, key):
    settings = admin_settings(tmp_path, api_key=key)
    with serve(settings) as client:
        for method, path in ADMIN_CALLS:
            for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "anything"}):
                response = client.request(method, path, headers=headers)
                message = check_error(response, 403, "forbidden")
                assert "CONFSEARCH_API_KEY" in message
        assert client.get("/search", params={"q": "climate"}).status_code == 200


def test_blank_key_variable_means_no_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONFSEARCH_API_KEY", "")
    assert Settings().api_key is None
    monkeypatch.setenv("CONFSEARCH_API_KEY", KEY)
    assert Settings().api_key == SecretStr(KEY)
    assert KEY not in repr(Settings())


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY[:-1]},
     {"X-API-Key": KEY + "x"}, {"X-API-Key": KEY.upper()}, {"Authorization": f"Bearer {KEY}"}],
)  # fmt: skip
def test_a_missing_or_wrong_key_gets_401(admin: TestClient, headers: dict):
    for method, path in ADMIN_CALLS:
        response = admin.request(method, path, headers=headers)
        message = check_error(response, 401, "unauthorized")
        assert "X-API-Key" in message
        assert "www-authenticate" not in response.headers


def test_the_key_is_compared_in_constant_time(admin: TestClient, monkeypatch):
    import hmac

    from search_api import admin as admin_module

    compared = []
    original = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(admin_module.hmac, "compare_digest", spy)
    assert admin.post("/admin/reload", headers=HEADERS).status_code == 200
    assert compared == [(KEY.encode(), KEY.encode())]


def test_public_endpoints_need_no_key(admin: TestClient):
    assert admin.get("/search", params={"q": "climate"}).status_code == 200
    assert admin.post("/search", json={"query": "climate"}).status_code == 200
    assert admin.get("/documents").status_code == 200
    assert admin.get("/health").status_code == 200


def test_admin_endpoints_are_documented_with_the_key_header(admin: TestClient):
    schema = admin.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    for path in ("/admin/documents", "/admin/reindex", "/admin/reload", "/admin/tasks/{task_id}"):
        assert path in schema["paths"]
    upload_op = schema["paths"]["/admin/documents"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert {"401", "403", "413", "415"} <= set(upload_op["responses"])


# -- upload, search, delete ----------------------------------------------------------------


def test_uploaded_text_becomes_searchable_and_goes_away_when_deleted(admin: TestClient):
    settings: Settings = admin.app.state.settings
    response = upload(
        admin, "quokkavale.txt", TEXT.encode(), title="Quokkavale resolution", year="2023",
        doc_type="resolution", country="tuv", organisation="Pacific Fisheries Forum",
    )  # fmt: skip

    assert response.status_code == 202, response.text
    body = response.json()
    source = body["document"]["source"]
    assert STORED.match(source), source
    assert body["document"]["filename"] == "quokkavale.txt"
    assert body["task"]["status"] in ("queued", "running", "done")
    assert body["task"]["kind"] == "upload"
    stored = settings.corpus_dir / source
    assert stored.read_bytes() == TEXT.encode()
    assert stored.stat().st_mode & 0o777 == Path(f"{stored}.meta.json").stat().st_mode & 0o777
    sidecar = json.loads(Path(f"{stored}.meta.json").read_text())
    assert sidecar["title"] == "Quokkavale resolution"
    assert sidecar["year"] == 2023
    assert sidecar["country"] == "TUV"
    assert sidecar["filename"] == "quokkavale.txt"

    task = wait_for(admin, body["task"])
    assert task["status"] == "done", task
    assert task["report"]["added"] == [source]
    assert task["report"]["published"] and task["report"]["served"] == task["report"]["generation"]
    results = admin.post("/search", json={"query": "quokkavale fishery", "k": 3}).json()["results"]
    assert results[0]["source"] == source
    document = results[0]["document"]
    assert document["id"] == body["document"]["id"]
    assert (document["title"], document["year"], document["doc_type"], document["country"]) == (
        "Quokkavale resolution", 2023, "resolution", "TUV",
    )  # fmt: skip
    assert document["filename"] == "quokkavale.txt"
    assert admin.get("/health").json()["generation"] == task["report"]["generation"]

    deleted = admin.delete(f"/admin/documents/{document['id']}", headers=HEADERS)

    assert deleted.status_code == 202, deleted.text
    assert sorted(deleted.json()["document"]["removed"]) == [source, f"{source}.meta.json"]
    assert not stored.exists() and not Path(f"{stored}.meta.json").exists()
    task = wait_for(admin, deleted.json()["task"])
    assert task["status"] == "done", task
    assert task["report"]["removed"] == [source]
    assert source not in search_sources(admin, "quokkavale")
    check_error(admin.get(f"/documents/{document['id']}"), 404, "not_found")


def test_an_upload_is_found_as_the_shipped_documents_are_with_fresh_statistics(
    admin: TestClient,
):
    """Issue 14: a news report added at run time, asked about in other spelling; the keyword
    leg's term counts (passages_vocab) come with the generation the upload publishes."""
    news = (
        "OCO news\n\nDelegates at the Nuku'alofa meeting welcomed the admission of Tokelau as "
        "the 24th OCO member of the Oceania Customs Organization.\n"
    )
    body = upload(admin, "news.txt", news.encode(), title="OCO news", year="2025").json()
    task = wait_for(admin, body["task"])
    assert task["status"] == "done", task
    question = "which territory became the 24th member of the customs organisation?"
    for mode in ("keyword", "hybrid"):
        response = admin.post("/search", json={"query": question, "k": 3, "mode": mode})
        sources = [r["source"] for r in response.json()["results"]]
        assert body["document"]["source"] in sources, (mode, sources)
    searcher = admin.app.state.searcher
    generation = searcher.generation
    assert generation.name == task["report"]["generation"]
    row = generation.query_one("SELECT docs FROM passages_vocab WHERE term = 'tokelau'")
    assert row is not None and row[0] == 1


def test_uploaded_pdf_becomes_searchable(admin: TestClient):
    data = pdf_bytes(
        "Communique on wallabyreef customs cooperation",
        "Members agreed to share wallabyreef inspection data at every port of entry.",
    )
    response = upload(admin, "Communiqué final.PDF", data, doc_type="communique")

    assert response.status_code == 202, response.text
    source = response.json()["document"]["source"]
    assert STORED.match(source) and source.endswith(".pdf")
    task = wait_for(admin, response.json()["task"])
    assert task["status"] == "done", task
    assert task["report"]["added"] == [source]
    results = admin.get("/search", params={"q": "wallabyreef inspection", "k": 1}).json()
    assert results["results"][0]["source"] == source
    assert results["results"][0]["page"] == 1
    assert results["results"][0]["document"]["filename"] == "Communiqué final.PDF"


def test_an_upload_without_a_title_is_titled_by_the_name_its_sender_gave_it(admin: TestClient):
    # stored under a random name, it was titled "F2dc7b2a684b430e86b307c0c8a52926"
    response = upload(admin, "sugar_tariffs-2024.txt", b"Sugar tariffs were discussed at length.\n")
    assert response.status_code == 202, response.text
    wait_for(admin, response.json()["task"])

    hit = admin.get("/search", params={"q": "sugar tariffs", "k": 1}).json()["results"][0]
    assert hit["document"]["title"] == "Sugar tariffs 2024"


def test_an_upload_says_which_countries_it_is_about_by_name(admin: TestClient):
    text = b"# Session paper\n\nJoint border posts and shared kavabridge risk profiles.\n"
    response = upload(admin, "paper.md", text, country="FJI", countries="Samoa, the Cook Islands")
    bad = upload(admin, "paper.md", text, countries="Atlantis")

    assert response.status_code == 202, response.text
    assert wait_for(admin, response.json()["task"])["status"] == "done"
    found = admin.get("/search", params={"q": "kavabridge", "countries": "COK"}).json()["results"]
    assert found and found[0]["document"]["countries"] == "WSM,COK"
    assert found[0]["document"]["country_name"] == "Fiji"  # named from its code
    named = upload(admin, "note.md", b"# Note\n\nA kavabridge note from Apia.\n", country="Samoa",
                   date="2024-07")  # fmt: skip
    assert named.status_code == 202, named.text
    wait_for(admin, named.json()["task"])
    note = admin.get("/search", params={"q": "kavabridge note", "country": "WSM"}).json()
    assert note["results"] and note["results"][0]["document"]["date"] == "2024-07"
    assert "'Atlantis' is neither" in check_error(bad, 422, "invalid_request")


def test_an_upload_larger_than_the_json_cap_is_accepted(admin: TestClient):
    data = (TEXT * 800).encode()  # about 150 kB, past the 64 kB cap of JSON bodies
    assert len(data) > 100 * 1024
    response = upload(admin, "long.md", data)
    assert response.status_code == 202, response.text
    assert wait_for(admin, response.json()["task"])["status"] == "done"


def test_a_client_file_name_never_becomes_a_path(admin: TestClient, tmp_path: Path):
    corpus = admin.app.state.settings.corpus_dir
    before = {p for p in tmp_path.rglob("*")}
    names = ["../../etc/passwd.txt", "..\\..\\evil.txt", "/etc/cron.d/x.txt", "a/../../b.txt"]
    for name in names:
        response = upload(admin, name, b"harmless words about a harmless topic\n")
        assert response.status_code == 202, response.text
        source = response.json()["document"]["source"]
        assert STORED.match(source), source
        stored = (corpus / source).resolve()
        assert stored.parent == (corpus / "uploads").resolve()
        expected = re.split(r"[/\\]", name)[-1]
        assert json.loads(Path(f"{stored}.meta.json").read_text())["filename"] == expected
        wait_for(admin, response.json()["task"])
    index_dir = admin.app.state.settings.index_dir
    state = admin.app.state.settings.state_path  # the server's own: build lock, tasks
    created = {
        p
        for p in tmp_path.rglob("*")
        if not (p.is_relative_to(index_dir) or p.is_relative_to(state))
    } - before
    assert all(p.is_relative_to(corpus / "uploads") for p in created), created
    assert len([p for p in created if p.suffix == ".txt"]) == len(names)


def test_upload_metadata_is_checked(admin: TestClient):
    corpus = admin.app.state.settings.corpus_dir
    check_error(upload(admin, "a.txt", TEXT.encode(), year="last year"), 422, "invalid_request")
    for date in ("not-a-date", "2024-13-45", "2024-02-30/2024-03-01"):
        assert "date" in check_error(upload(admin, "a.txt", TEXT.encode(), date=date), 422)
    assert "'Atlantis' is neither" in check_error(
        upload(admin, "a.txt", TEXT.encode(), country="Atlantis"), 422
    )
    message = check_error(upload(admin, "a.txt", TEXT.encode(), colour="red"), 422)
    assert "colour" in message
    check_error(upload(admin, "a.txt", TEXT.encode(), title="x" * 1001), 422)
    check_error(upload(admin, "a.txt", b""), 422)
    no_file = admin.post("/admin/documents", headers=HEADERS, data={"title": "t"}, files={})
    check_error(no_file, 415)  # a form without a file is not multipart
    only_fields = admin.post(
        "/admin/documents",
        headers=HEADERS,
        files={"title": (None, "a title")},
    )
    assert "file" in check_error(only_fields, 422)
    two = admin.post(
        "/admin/documents",
        headers=HEADERS,
        files=[("file", ("a.txt", TEXT.encode())), ("file", ("b.txt", TEXT.encode()))],
    )
    check_error(two, 422)
    assert left_in_uploads(corpus) == []


# -- size and type -------------------------------------------------------------------------


def test_an_upload_over_the_cap_gets_413_and_leaves_nothing(tmp_path: Path):
    settings = admin_settings(tmp_path, max_upload_mb=0.01)  # 10 kB
    with serve(settings) as client:
        response = upload(client, "big.txt", b"words and more words\n" * 1000)  # 21 kB
        message = check_error(response, 413, "too_large")
        assert "MB" in message
        assert upload(client, "small.txt", TEXT.encode()).status_code == 202
    assert [n for n in left_in_uploads(settings.corpus_dir) if n.startswith(".")] == []
    assert len([n for n in left_in_uploads(settings.corpus_dir) if n.endswith(".txt")]) == 1


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "testboundary1234"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_streamed_upload_without_length_is_cut_at_the_cap(tmp_path: Path):
    settings = admin_settings(tmp_path, max_upload_mb=0.01)
    body, content_type = _multipart("big.txt", b"x" * 200_000)

    def chunks():  # chunked transfer: no Content-Length to check first
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    with serve(settings) as client:
        response = client.post(
            "/admin/documents",
            headers={**HEADERS, "content-type": content_type},
            content=chunks(),
        )
    check_error(response, 413, "too_large")
    assert left_in_uploads(settings.corpus_dir) == []


def _asgi_upload(app, headers: list, receive) -> list[dict]:
    """Call the app with a raw ASGI request to POST /admin/documents; the messages sent."""
    return call_asgi(app, "POST", "/admin/documents", [(b"x-api-key", KEY.encode()), *headers],
                     receive)  # fmt: skip


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(tmp_path: Path):
    app = create_app(admin_settings(tmp_path, max_upload_mb=1), FakeEmbedder())
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", str(10 * 1024 * 1024 * 1024).encode()),
    ]

    async def receive():
        raise AssertionError("the body was read")

    sent = _asgi_upload(app, headers, receive)

    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_long_stream_stops_being_read_once_past_the_cap(tmp_path: Path):
    settings = admin_settings(tmp_path, max_upload_mb=0.01)
    app = create_app(settings, FakeEmbedder())
    body, content_type = _multipart("big.txt", b"y" * 8 * 1024 * 1000)  # 8 MB
    chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
    read = 0

    async def receive():
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    sent = _asgi_upload(app, [(b"content-type", content_type.encode())], receive)

    assert sent[0]["status"] == 413
    assert read * 8192 < 100 * 1024  # 10 kB + the form allowance, not 8 MB
    assert left_in_uploads(settings.corpus_dir) == []


@pytest.mark.parametrize(
    "name, data",
    [
        ("report.pdf", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4),  # a binary
        ("report.pdf", b"Just some text, not a PDF at all.\n"),
        ("notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
        ("notes.txt", b"text with one NUL\x00 byte in it\n"),
        ("page.html", b"<html>\x00\x01\x02</html>"),
        ("notes.txt", bytes(range(128, 256)) * 40),  # no NUL, not text in any encoding
        ("notes.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"),  # a PDF: send it as .pdf
        ("tool.exe", b"MZ\x90\x00"),
        ("report.docx", b"PK\x03\x04"),
        ("noextension", b"plain words"),
        ("archive.tar.gz", b"\x1f\x8b\x08"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_gets_415(admin: TestClient, name, data):
    corpus = admin.app.state.settings.corpus_dir
    check_error(upload(admin, name, data), 415, "unsupported_media_type")
    assert left_in_uploads(corpus) == []


def test_a_body_that_is_not_multipart_gets_415(admin: TestClient):
    response = admin.post("/admin/documents", headers=HEADERS, json={"file": "text"})
    assert "multipart/form-data" in check_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_text_is_accepted_as_the_indexer_reads_it(admin: TestClient, codec):
    # their NUL bytes are halves of characters; the indexer reads such files from the corpus
    data = "Kava ceremony opened the customs meeting in Nuku'alofa.\n".encode(codec)
    response = upload(admin, "opening.txt", data)
    assert response.status_code == 202, response.text
    assert wait_for(admin, response.json()["task"])["status"] == "done"


def test_windows_1252_text_is_accepted(admin: TestClient):
    data = "Déclaration sur la pêche côtière, adoptée à Nouméa.\n".encode("cp1252")
    response = upload(admin, "declaration.txt", data)
    assert response.status_code == 202, response.text
    assert wait_for(admin, response.json()["task"])["status"] == "done"


# -- paths from clients --------------------------------------------------------------------

TRAVERSALS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252F..%252Fetc%252Fpasswd",
    "..%5C..%5Cetc%5Cpasswd",
    "....%2F%2Fetc%2Fpasswd",
    "%2Fetc%2Fpasswd",
    "ungdc-pacific%2FTUV_74_2019.txt",
    "ungdc-pacific-tuv_74_2019-txt%00",
]


@pytest.mark.parametrize("doc_id", TRAVERSALS)
def test_path_traversal_in_a_document_id_gets_404(admin: TestClient, doc_id: str):
    corpus = admin.app.state.settings.corpus_dir
    files_before = sorted(p for p in corpus.rglob("*"))
    check_error(admin.get(f"/documents/{doc_id}"), 404, "not_found")
    assert admin.get(f"/documents/{doc_id}/view").status_code == 404
    check_error(admin.delete(f"/admin/documents/{doc_id}", headers=HEADERS), 404, "not_found")
    assert sorted(p for p in corpus.rglob("*")) == files_before


def test_an_unknown_document_id_gets_404(admin: TestClient):
    response = admin.delete("/admin/documents/no-such-document", headers=HEADERS)
    assert "no-such-document" in check_error(response, 404, "not_found")


def test_removal_never_leaves_the_corpus_folder(tmp_path: Path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep me")
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    (corpus / "link.txt").symlink_to(outside / "keep.txt")
    for source in ["../outside/keep.txt", "/etc/passwd", "sub/../../outside/keep.txt",
                   "linked/keep.txt", ""]:  # fmt: skip
        with pytest.raises(ApiError) as refused:
            uploads.remove(corpus, source)
        assert refused.value.status == 403, source
    assert (outside / "keep.txt").read_text() == "keep me"
    (corpus / "sub" / "a.txt").write_text("a")
    (corpus / "sub" / "a.txt.meta.json").write_text("{}")
    assert uploads.remove(corpus, "sub/a.txt") == ["sub/a.txt", "sub/a.txt.meta.json"]
    assert uploads.remove(corpus, "sub/a.txt") == []  # already gone: nothing to do


# -- re-index, reload, tasks ---------------------------------------------------------------


def test_reindex_of_an_unchanged_corpus_reports_everything_unchanged(admin: TestClient):
    generation = admin.get("/health").json()["generation"]
    response = admin.post("/admin/reindex", headers=HEADERS)

    assert response.status_code == 202, response.text
    assert response.json()["task"]["kind"] == "reindex"
    task = wait_for(admin, response.json()["task"])
    assert task["status"] == "done", task
    report = task["report"]
    assert (report["added"], report["updated"], report["removed"]) == ([], [], [])
    assert report["unchanged"] == 3  # two speeches and the communiqué
    assert report["published"] is False
    assert report["generation"] == report["served"] == generation
    assert task["started"] and task["finished"] and task["error"] is None


def test_reindex_picks_up_files_added_by_hand(admin: TestClient):
    corpus = admin.app.state.settings.corpus_dir
    (corpus / "notes").mkdir()
    (corpus / "notes" / "koalabay.txt").write_text("Notes on the koalabay harbour project.\n")
    task = wait_for(admin, admin.post("/admin/reindex", headers=HEADERS).json()["task"])
    assert task["report"]["added"] == ["notes/koalabay.txt"]
    assert search_sources(admin, "koalabay") == ["notes/koalabay.txt"]


def test_tasks_run_one_at_a_time_in_order(admin: TestClient):
    first = upload(admin, "one.txt", b"First note on the emuhill project.\n").json()
    second = admin.post("/admin/reindex", headers=HEADERS).json()
    third = upload(admin, "two.txt", b"Second note on the emuhill project.\n").json()
    done = [wait_for(admin, item["task"]) for item in (first, second, third)]
    assert [t["status"] for t in done] == ["done", "done", "done"]
    starts = [t["started"] for t in done]
    assert starts == sorted(starts)
    for earlier, later in itertools.pairwise(done):
        assert earlier["finished"] <= later["started"]
    assert len(search_sources(admin, "emuhill")) == 2


def test_a_failed_build_leaves_the_served_index_alone(admin: TestClient):
    corpus = admin.app.state.settings.corpus_dir
    before = admin.get("/health").json()
    (corpus / "manifest.csv").write_text("path,title\n,No path on this row\n")

    task = wait_for(admin, admin.post("/admin/reindex", headers=HEADERS).json()["task"])

    assert task["status"] == "failed"
    assert "path" in task["error"] and "Traceback" not in task["error"]
    assert task["report"] is None
    assert admin.get("/health").json() == before
    assert admin.get("/search", params={"q": "climate"}).json()["results"]


def test_reload_serves_a_generation_published_by_another_process(tmp_path: Path):
    settings = admin_settings(tmp_path, reload_check_seconds=3600)
    with serve(settings) as client:
        old = client.get("/health").json()["generation"]
        (settings.corpus_dir / "extra.txt").write_text("A note on the dingowharf.\n")
        time.sleep(1.1)  # generation names carry the second they were built in
        report = build(settings.corpus_dir, settings.index_dir, FakeEmbedder())
        assert report.published
        assert client.get("/health").json()["generation"] == old  # not checked for an hour

        response = client.post("/admin/reload", headers=HEADERS)

        assert response.status_code == 200, response.text
        assert response.json() == {"generation": report.generation}
        assert client.get("/health").json()["generation"] == report.generation


def test_an_unknown_task_gets_404(admin: TestClient):
    for task_id in ("0" * 32, "nope", "..%2F..%2Fetc%2Fpasswd"):
        check_error(admin.get(f"/admin/tasks/{task_id}", headers=HEADERS), 404, "not_found")


def test_the_task_worker_stops_with_the_app(tmp_path: Path):
    with serve(admin_settings(tmp_path)) as client:
        task = client.post("/admin/reindex", headers=HEADERS).json()["task"]
        wait_for(client, task)
        tasks = client.app.state.tasks
        thread = tasks._thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()


def test_an_upload_the_indexer_skips_fails_its_task_and_is_removed(admin: TestClient):
    corpus = admin.app.state.settings.corpus_dir
    blank = pdf_bytes()  # a PDF page with no text: nothing to index
    response = upload(admin, "scan.pdf", blank)
    assert response.status_code == 202, response.text
    source = response.json()["document"]["source"]

    task = wait_for(admin, response.json()["task"])

    assert task["status"] == "failed"
    assert source in task["error"] and "upload it anew" in task["error"]
    assert task["report"]["skipped"] == [
        {"source": source, "reason": task["report"]["skipped"][0]["reason"]}
    ]
    assert left_in_uploads(corpus) == []


def test_an_upload_to_a_server_without_an_index_builds_the_first_one(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", model="fake",
        reload_check_seconds=0, api_key=KEY,
    )  # fmt: skip
    with serve(settings) as client:
        check_error(client.get("/health"), 503, "unavailable")
        check_error(client.post("/admin/reload", headers=HEADERS), 503, "unavailable")

        response = upload(client, "first.txt", TEXT.encode())
        task = wait_for(client, response.json()["task"])

        assert task["status"] == "done", task
        assert task["report"]["added"] == [response.json()["document"]["source"]]
        assert client.get("/health").json()["documents"] == 1
        assert search_sources(client, "quokkavale") == [response.json()["document"]["source"]]


def test_an_app_started_again_takes_tasks_again(tmp_path: Path):
    app = create_app(admin_settings(tmp_path), FakeEmbedder())
    for _ in range(2):
        with TestClient(app) as client:
            task = client.post("/admin/reindex", headers=HEADERS).json()["task"]
            assert wait_for(client, task)["status"] == "done"


def test_reindex_runs_on_the_engine_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """CONFSEARCH_ENGINE=ray reaches /admin/reindex as it reaches `confsearch index`: the
    same build service wires both (a recording engine stands in for a Ray cluster)."""
    from indexer import build as build_module
    from indexer import ray_engine

    started: list[dict] = []

    class RecordingEngine:
        def __init__(self, *args, **options) -> None:
            started.append({"address": options.get("address"), "jobs": []})

        def __call__(self, job):
            started[-1]["jobs"].append([item.source for item in job.items])
            yield from build_module.local_engine(job)

    monkeypatch.setattr(ray_engine, "RayEngine", RecordingEngine)
    settings = admin_settings(tmp_path, engine="ray", ray_address="10.1.2.3:6379")
    (settings.corpus_dir / "oco" / "quokkavale.txt").write_text(TEXT, encoding="utf-8")
    with serve(settings) as client:
        task = client.post("/admin/reindex", headers=HEADERS).json()["task"]
        done = wait_for(client, task)

    assert done["status"] == "done", done
    assert done["report"]["added"] == ["oco/quokkavale.txt"]
    assert started == [{"address": "10.1.2.3:6379", "jobs": [["oco/quokkavale.txt"]]}]
