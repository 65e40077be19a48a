"""Fixtures of the widget tests: a small index (with a document full of markup), the real API
served by uvicorn on a loopback port, "member sites" on other origins, and Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import uvicorn

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from indexer.embedding import Embedder
from search_api.app import create_app
from search_api.settings import Settings
from tests.conftest import REPO, copy_corpus
from tests.helpers import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]
ARTIFACTS = REPO / "test-artifacts"
MARKUP_TEXT = "<img src=x onerror=alert(1)>"
MARKUP_TITLE = "<b>Bold</b> & <i>notes</i> <script>alert(2)</script>"
MARKUP_DOC = "misc-markup-notes-txt"
# axe-core, the accessibility checker, from the npm registry at test time (never committed):
# tests/widget/node_modules/ is git-ignored.
AXE_VERSION = "4.10.2"
AXE_PREFIX = Path(__file__).resolve().parent
AXE_PACKAGE = AXE_PREFIX / "node_modules" / "axe-core"


def write_markup_document(corpus: Path) -> None:
    """A document whose text and title are full of HTML, which must only ever show as text."""
    (corpus / "misc").mkdir(exist_ok=True)
    (corpus / "misc" / "markup-notes.txt").write_text(
        "Markup notes\n\n"
        f"This note on onerror handlers quotes markup: {MARKUP_TEXT} and "
        "<script>alert(3)</script> must be shown as text, never run.\n",
        encoding="utf-8",
    )
    meta = {"title": MARKUP_TITLE, "doc_type": "session_paper", "year": 2023}
    (corpus / "misc" / "markup-notes.txt.meta.json").write_text(json.dumps(meta))


@pytest.fixture(scope="session")
def widget_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus, index): the communiqué (text and PDF), two speeches and the markup document,
    indexed with the fake embedder. Read-only."""
    root = tmp_path_factory.mktemp("widget")
    corpus = copy_corpus(root / "corpus", ["TUV_74_2019.txt", "FJI_74_2019.txt"])
    write_markup_document(corpus)
    report = build(corpus, root / "index", FakeEmbedder())
    assert report.published and not report.skipped
    return corpus, root / "index"


def widget_settings(index: tuple[Path, Path], **overrides) -> Settings:
    """Settings over a widget index; each app its own shared state (its own rate limits)."""
    corpus, index_dir = index
    state = Path(tempfile.mkdtemp(prefix="widget-state-"))
    values = {"corpus_dir": corpus, "index_dir": index_dir, "model": "fake", "cors_origins": [],
              "state_dir": state}  # fmt: skip
    return Settings(**{**values, **overrides})


# -- servers on loopback ports ---------------------------------------------------------------


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


class Recorder:
    """ASGI wrapper noting each request's method, path and Origin header."""

    def __init__(self, app) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str | None]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            self.requests.append(
                (scope["method"], scope["path"], origin.decode() if origin else None)
            )
        await self.app(scope, receive, send)


@dataclass
class ApiServer:
    url: str
    recorder: Recorder
    server: uvicorn.Server
    thread: threading.Thread


@dataclass
class MemberSite:
    """A page on another origin that embeds the widget; `page(**attributes)` is its URL."""

    origin: str
    server: ThreadingHTTPServer
    thread: threading.Thread = field(repr=False)

    def page(self, host: str, **attributes: str | int) -> str:
        """The page loading widget.js from `host`, its box's api `host` unless given."""
        return f"{self.origin}/?{urlencode({'script': host, 'api': host, **attributes})}"


def start_api(settings: Settings, embedder: Embedder) -> ApiServer:
    recorder = Recorder(create_app(settings, embedder))
    sock = bound_socket()
    config = uvicorn.Config(recorder, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    return ApiServer(f"http://127.0.0.1:{sock.getsockname()[1]}", recorder, server, thread)


def stop_api(api: ApiServer) -> None:
    api.server.should_exit = True
    api.thread.join(timeout=10)


class _MemberPage(BaseHTTPRequestHandler):
    """GET /?script=HOST&attr=value…: a page with the two embedding lines, the script from
    HOST; every other query parameter becomes an attribute of <confsearch-box>."""

    def do_GET(self) -> None:
        params = dict(parse_qsl(urlsplit(self.path).query))
        host = params.pop("script", "")
        attributes = "".join(f' {escape(k)}="{escape(v)}"' for k, v in params.items())
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,"><title>Member site</title>'
            f'<script src="{escape(host)}/widget.js" type="module"></script></head>'
            "<body><h1>A member organisation</h1>"
            '<label>Newsletter <input id="other" type="text"></label>'
            f"<confsearch-box{attributes}></confsearch-box>"
            "<p>Footer</p></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet
        pass


def start_member_site() -> MemberSite:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MemberPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return MemberSite(f"http://127.0.0.1:{server.server_address[1]}", server, thread)


@pytest.fixture(scope="session")
def member_sites() -> Iterator[tuple[MemberSite, MemberSite]]:
    """(allowed, denied): two member sites on their own origins; the API allows the first."""
    sites = start_member_site(), start_member_site()
    yield sites
    for site in sites:
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="session")
def api(widget_index, member_sites) -> Iterator[ApiServer]:
    """The real API (fake embedder) on a loopback port, allowing the first member site."""
    allowed, _ = member_sites
    server = start_api(widget_settings(widget_index, cors_origins=[allowed.origin]), FakeEmbedder())
    yield server
    stop_api(server)


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs it; it must not be skipped in CI)")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        sync_api.expect.set_options(timeout=5_000)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    page: object
    console_errors: list[str]
    dialogs: list[str]


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    """A fresh browser context and page; console errors, page errors and dialogs collected."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(10_000)
    page = context.new_page()
    found = Tab(page, [], [])
    page.on(
        "console",
        lambda message: message.type == "error" and found.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: found.console_errors.append(f"page error: {error}"))

    def on_dialog(dialog) -> None:
        found.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield found
    context.close()


# -- the accessibility audit -----------------------------------------------------------------


def _axe_installed() -> bool:
    try:
        meta = json.loads((AXE_PACKAGE / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("version") == AXE_VERSION and (AXE_PACKAGE / "axe.min.js").is_file()


def _install_axe() -> str | None:
    """Installs axe-core into tests/widget/node_modules; None, or why it could not."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (apt-get install npm)"
    command = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock",
               "--prefix", str(AXE_PREFIX), f"axe-core@{AXE_VERSION}"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{' '.join(command)}` failed: {error}"
    if done.returncode != 0:
        return f"`{' '.join(command)}` exited {done.returncode}: {done.stderr[-2000:]}"
    return None if _axe_installed() else "npm reported success but axe.min.js is missing"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, installed from npm on first use. Under CI a failure to get it
    fails the audit tests; elsewhere (offline, no npm) they are skipped."""
    if not _axe_installed():
        problem = _install_axe()
        if problem:
            reason = f"axe-core {AXE_VERSION} is not available: {problem}"
            if os.environ.get("CI"):
                pytest.fail(reason + " (the accessibility audit must not be skipped in CI)")
            pytest.skip(reason)
    return (AXE_PACKAGE / "axe.min.js").read_text(encoding="utf-8")
