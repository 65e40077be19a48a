"""The server side of the widget, without a browser: /widget.js and its caching, the versioned
URL, the demo page and the document view page (escaping, the passage mark, 404)."""

from __future__ import annotations

import gzip
import hashlib
import re
import tomllib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indexer.embedders.fake import FakeEmbedder
from search_api.app import create_app
from search_api.widget import WIDGET, widget_asset
from tests.conftest import REPO
from tests.search_api.conftest import check_error
from tests.widget.conftest import MARKUP_DOC, MARKUP_TEXT, MARKUP_TITLE, widget_settings

SIZE_BUDGET = 15 * 1024  # bytes, gzipped


@pytest.fixture(scope="module")
def client(widget_index) -> Iterator[TestClient]:
    app = create_app(widget_settings(widget_index), FakeEmbedder())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# -- /widget.js ------------------------------------------------------------------------------


def test_widget_is_under_its_size_budget_gzipped():
    size = len(gzip.compress(WIDGET.read_bytes(), 9))

    assert size < SIZE_BUDGET, f"widget.js is {size} bytes gzipped; the budget is {SIZE_BUDGET}"


def test_widget_never_parses_strings_as_html():
    source = WIDGET.read_text()

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, sink


def test_widget_js_is_javascript_with_an_etag_from_its_hash(client: TestClient):
    response = client.get("/widget.js", headers={"accept-encoding": "identity"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=300"
    digest = hashlib.sha256(WIDGET.read_bytes()).hexdigest()
    assert response.headers["etag"].strip('"') in digest
    assert response.content == WIDGET.read_bytes()
    # Any site may load the script (module scripts are fetched with CORS).
    assert response.headers["access-control-allow-origin"] == "*"


def test_widget_js_answers_304_to_its_etag(client: TestClient):
    etag = client.get("/widget.js").headers["etag"]

    again = client.get("/widget.js", headers={"if-none-match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = client.get("/widget.js", headers={"if-none-match": '"0123456789abcdef"'})
    assert stale.status_code == 200


def test_widget_js_is_sent_gzipped_to_who_accepts_it(client: TestClient):
    response = client.get("/widget.js", headers={"accept-encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert response.content == WIDGET.read_bytes()  # httpx decodes it


def test_versioned_widget_url_is_immutable(client: TestClient):
    version = widget_asset().version

    response = client.get(f"/widget.v{version}.js")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == WIDGET.read_bytes()
    assert version == hashlib.sha256(WIDGET.read_bytes()).hexdigest()[:8]


def test_an_old_widget_version_is_not_found_and_says_the_current_one(client: TestClient):
    message = check_error(client.get("/widget.v00000000.js"), 404, "not_found")

    assert f"/widget.v{widget_asset().version}.js" in message


def test_static_files_are_package_data():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())

    assert "static/*" in pyproject["tool"]["setuptools"]["package-data"]["search_api"]


# -- the demo page ---------------------------------------------------------------------------


def test_demo_page_shows_the_widget_and_how_to_embed_it(client: TestClient):
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'<script src="/widget.v{widget_asset().version}.js" type="module"></script>' in page
    assert "<confsearch-box" in page
    # The two embedding lines, shown as code.
    assert "&lt;script src=&quot;http://testserver/widget.js&quot; type=&quot;module&quot;" in page
    assert "&lt;confsearch-box api=&quot;http://testserver&quot;&gt;" in page
    for name in ("--confsearch-accent", "--confsearch-font", "--confsearch-radius"):
        assert name in page
    assert "CONFSEARCH_CORS_ORIGINS" in page


# -- the document view page ------------------------------------------------------------------


def _text(client: TestClient, doc_id: str) -> str:
    return client.get(f"/documents/{doc_id}", params={"include_text": "true"}).json()["text"]


def test_view_page_marks_the_passage_of_a_search_result(client: TestClient):
    result = client.get("/search", params={"q": "e-commerce", "k": 1}).json()["results"][0]
    doc_id = result["document"]["id"]

    response = client.get(
        f"/documents/{doc_id}/view", params={"start": result["start"], "end": result["end"]}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    marked = re.search(r'<mark id="passage">(.*?)</mark>', response.text, re.S)
    assert marked is not None
    assert marked.group(1) == _escaped(result["text"])
    assert "Oceania Customs Organisation" in response.text
    assert "script-src 'sha256-" in response.headers["content-security-policy"]


def _escaped(text: str) -> str:
    from html import escape

    return escape(text)


def test_view_page_escapes_the_documents_text_and_metadata(client: TestClient):
    text = _text(client, MARKUP_DOC)
    start = text.index(MARKUP_TEXT)

    page = client.get(
        f"/documents/{MARKUP_DOC}/view", params={"start": start, "end": start + len(MARKUP_TEXT)}
    ).text

    assert "<img" not in page and "<b>" not in page and "alert(3)</script>" not in page
    assert "alert(2)</script>" not in page
    assert '<mark id="passage">&lt;img src=x onerror=alert(1)&gt;</mark>' in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;notes&lt;/i&gt;" in page
    assert MARKUP_TITLE not in page


@pytest.mark.parametrize(
    "params", [{}, {"start": 5}, {"start": 10, "end": 10}, {"start": 0, "end": 10**9}]
)
def test_view_page_without_a_valid_range_marks_nothing(client: TestClient, params):
    response = client.get(f"/documents/{MARKUP_DOC}/view", params=params)

    assert response.status_code == 200
    assert "<mark" not in response.text
    assert "Markup notes" in response.text


def test_view_page_of_an_unknown_document_is_a_404_page(client: TestClient):
    response = client.get("/documents/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/view")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Document not found" in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert "<img" not in response.text


def test_view_page_rejects_a_negative_offset(client: TestClient):
    response = client.get(f"/documents/{MARKUP_DOC}/view", params={"start": -1, "end": 4})

    check_error(response, 422, "invalid_request")


def test_widget_js_answers_head(client: TestClient):
    response = client.head("/widget.js")

    assert response.status_code == 200
    assert response.headers["etag"] == client.get("/widget.js").headers["etag"]
    assert response.content == b""
