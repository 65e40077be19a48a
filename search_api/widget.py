"""The embeddable search widget and the pages around it.

- `GET /widget.js`: the `<confsearch-box>` custom element (search_api/static/widget.js), with
  an ETag from the file's hash, revalidated every 5 minutes; `GET /widget.v{hash8}.js` is the
  same file under a versioned URL, cached for a year.
- `GET /`: a demo page, the widget over the served index and how to embed it.
- `GET /documents/{id}/view?start=S&end=E`: a document as a small HTML page, the passage at
  S..E (offsets into the document's text, as in search results) marked and scrolled into view.

Every value that comes from a document or a request is escaped with html.escape.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from indexer import countries
from indexer.fields import FIELDS
from search_api.catalogue import NotFound
from search_api.deps import SearcherDep
from search_api.errors import error_response
from search_api.serialise import document_json

STATIC = Path(__file__).resolve().parent / "static"
WIDGET = STATIC / "widget.js"
SHORT_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"

router = APIRouter(include_in_schema=False)


# -- the script ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    digest: str  # SHA-256 of body, hex

    @property
    def version(self) -> str:
        return self.digest[:8]

    @property
    def etag(self) -> str:
        return f'"{self.digest[:32]}"'

    @property
    def etag_gzip(self) -> str:
        return f'"{self.digest[:32]}-gz"'


_assets: dict[Path, tuple[tuple[int, int], Asset]] = {}


def widget_asset(path: Path = WIDGET) -> Asset:
    """The widget script, re-read when the file changes (its hash names its version)."""
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _assets.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    body = path.read_bytes()
    asset = Asset(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest())
    _assets[path] = (key, asset)
    return asset


def _etag_matches(header: str | None, *etags: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    given = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return any(etag in given for etag in etags)


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "gzip":
            q = params.strip().lower().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return True
    return False


def _serve_script(request: Request, cache_control: str) -> Response:
    asset = widget_asset()
    gzipped = _accepts_gzip(request.headers.get("accept-encoding"))
    headers = {
        "ETag": asset.etag_gzip if gzipped else asset.etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        # A module script from another origin is fetched with CORS: any site may load it.
        # (Searching is still limited to CONFSEARCH_CORS_ORIGINS.)
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("if-none-match"), asset.etag, asset.etag_gzip):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped if gzipped else asset.body
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget_js(request: Request) -> Response:
    """The search widget; revalidate after 5 minutes (ETag)."""
    return _serve_script(request, SHORT_CACHE)


@router.api_route("/widget.v{version}.js", methods=["GET", "HEAD"])
async def widget_versioned_js(request: Request, version: str) -> Response:
    """The search widget at a URL naming its version: cached for a year."""
    current = widget_asset().version
    if version != current:
        return error_response(
            404,
            f"widget version {version!r} is not served; the current one is "
            f"/widget.v{current}.js (or use /widget.js, which always has the current one)",
        )
    return _serve_script(request, IMMUTABLE_CACHE)


# -- pages ---------------------------------------------------------------------------------

_PAGE_STYLE = """
:root{color-scheme:light dark;--accent:#0b5cad}
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
 max-width:46rem;padding:1.5rem 1rem 4rem}
h1{font-size:1.6rem;line-height:1.25;margin:.2em 0 .4em}
h2{font-size:1.15rem;margin:2em 0 .5em}
code,pre{font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:color-mix(in srgb,currentColor 7%,transparent);padding:.8em 1em;
 border-radius:8px;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:15px}
th,td{text-align:left;vertical-align:top;padding:.35em .5em;
 border-bottom:1px solid color-mix(in srgb,currentColor 20%,transparent)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0 0 1.2em}
dt{color:color-mix(in srgb,currentColor 65%,transparent)}dd{margin:0}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
mark{background:#ffec99;color:#111;padding:.1em 0;scroll-margin:25vh 0}
.muted{color:color-mix(in srgb,currentColor 65%,transparent)}
a{color:var(--accent)}
@media (prefers-color-scheme:dark){:root{--accent:#8ab4f8}}
"""

# The view page's one script; the CSP allows it by hash and nothing else.
_SCROLL_SCRIPT = 'document.getElementById("passage")?.scrollIntoView({block:"center"});'
_SCROLL_HASH = base64.b64encode(hashlib.sha256(_SCROLL_SCRIPT.encode()).digest()).decode()
_VIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCROLL_HASH}'; base-uri 'none'; form-action 'none'"
)
_DEMO_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def _page(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{escape(title)}</title>'
        f"<style>{_PAGE_STYLE}</style>{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


# The document page's metadata list, in the fields' order, then where the file lies.
_META_FIELDS = (*((f.name, f.label) for f in FIELDS if f.view), ("source", "Source"))


def _shown(name: str, value) -> str:
    """A field's value for people: the countries concerned by name ("Kuwait, Iraq")."""
    if name == "countries":
        return ", ".join(countries.name(code) or code for code in str(value).split(","))
    return str(value)


def render_view(document: dict, start: int | None, end: int | None) -> str:
    """The document page: metadata, then the text with text[start:end] in <mark id=passage>."""
    text = document.get("text") or ""
    rows = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(_shown(name, document[name]))}</dd>"
        for name, label in _META_FIELDS
        if document.get(name) not in (None, "")
    )
    marked = start is not None and end is not None and 0 <= start < end <= len(text)
    if marked:
        body_text = (
            f'{escape(text[:start])}<mark id="passage">{escape(text[start:end])}</mark>'
            f"{escape(text[end:])}"
        )
        jump = '<p><a href="#passage">Go to the passage</a></p>'
    else:
        body_text, jump = escape(text), ""
    title = document.get("title") or document.get("id") or "Document"
    body = (
        f"<main><h1>{escape(title)}</h1><dl>{rows}</dl>{_citations(document)}{jump}"
        f'<div class="text">{body_text}</div></main>'
        f"<script>{_SCROLL_SCRIPT}</script>"
    )
    return _page(title, body)


def _citations(document: dict) -> str:
    """Links to the resolutions it cites and those that cite it, and its citation for a
    reference manager."""
    doc_id = quote(str(document.get("id", "")), safe="")
    parts = [
        f'<p class="muted">Cite: <a href="/documents/{doc_id}/cite?format=bibtex">BibTeX</a>'
        f' · <a href="/documents/{doc_id}/cite?format=ris">RIS</a></p>'
    ]
    for key, heading in (("cites", "Cites"), ("cited_by", "Cited by")):
        links = document.get(key) or []
        if not links:
            continue
        items = []
        for link in links:
            paragraph = link["paragraph"]
            where = {"preamble": "preamble", "operative": "operative part"}.get(
                paragraph, f"para. {paragraph}"
            )
            name = escape(str(link["symbol"]))
            if link["id"]:
                name = f'<a href="/documents/{quote(link["id"], safe="")}/view">{name}</a>'
            items.append(f"<li>{name} <span class=muted>({escape(where)})</span></li>")
        parts.append(f"<h2>{heading}</h2><ul>{''.join(items)}</ul>")
    return "".join(parts)


def _html(content: str, status: int = 200, csp: str = _VIEW_CSP) -> HTMLResponse:
    return HTMLResponse(
        content,
        status_code=status,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/documents/{doc_id}/view", response_class=HTMLResponse)
async def view_document(
    searcher: SearcherDep,
    doc_id: str,
    start: Annotated[int | None, Query(ge=0, description="Passage start offset")] = None,
    end: Annotated[int | None, Query(ge=0, description="Passage end offset")] = None,
) -> HTMLResponse:
    """A document as HTML, the passage at start..end marked and scrolled into view."""
    try:
        found = await run_in_threadpool(searcher.document, doc_id, True)
    except NotFound:
        body = (
            f"<main><h1>Document not found</h1><p>No document has the id "
            f"<code>{escape(doc_id)}</code>. It may have been removed from the archive since "
            "the search was made.</p></main>"
        )
        return _html(_page("Document not found", body), status=404)
    return _html(render_view(document_json(found), start, end))


_ATTRIBUTES = (
    ("api", "the search API's address; defaults to where widget.js was loaded from"),
    ("placeholder", "text shown in the empty box"),
    ("k", "documents per page of results (1–50, default 5)"),
    ("per-document", "passages shown per document (1–10, default 2)"),
    ("doc-type", "preset filter: communique, speech, session_paper, resolution (comma-separated)"),
    ("year-from / year-to", "preset year range"),
    ("filters", '"shown": show type and year controls (starting from the presets)'),
    ("debounce", "milliseconds of typing pause before searching (default 250)"),
    ("hotkeys", '"/,mod+k" by default (mod is Ctrl, or ⌘ on a Mac); "off" disables'),
    ("theme", '"dark" or "light"; by default it follows the reader\'s system'),
    ("target", '"_blank" opens results in a new tab'),
    ("mode", "hybrid (default), semantic or keyword"),
    ("label-*", "any text: label-no-results, label-error, label-more, label-retry, …"),
)


def render_demo(base_url: str, version: str) -> str:
    host = base_url.rstrip("/")
    embed = (
        f'<script src="{host}/widget.js" type="module"></script>\n'
        f'<confsearch-box api="{host}"></confsearch-box>'
    )
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(text)}</td></tr>"
        for name, text in _ATTRIBUTES
    )
    theming = (
        "confsearch-box {\n  --confsearch-accent: #006d5b;\n"
        '  --confsearch-font: "Source Sans 3", sans-serif;\n  --confsearch-radius: 4px;\n}'
    )
    body = f"""<main>
<h1>Search the conference archive</h1>
<p class="muted">Communiqués, session papers, resolutions and speeches. Ask in your own words,
e.g. <em>what was said on e-commerce</em>. Press <kbd>/</kbd> to search from anywhere.</p>
<confsearch-box filters="shown" placeholder="Ask a question or type some words…"></confsearch-box>

<h2>Put this search box on your website</h2>
<p>Two lines of HTML, anywhere in a page:</p>
<pre><code>{escape(embed)}</code></pre>
<p>Your site's origin (e.g. <code>https://www.example.org</code>) must be listed in the
server's <code>CONFSEARCH_CORS_ORIGINS</code>. For long-term caching use the versioned URL
<code>{escape(host)}/widget.v{escape(version)}.js</code> (it changes with each release).</p>

<h2>Attributes</h2>
<table><tbody>{rows}</tbody></table>

<h2>Theming</h2>
<p>The box inherits these CSS custom properties (and <code>--confsearch-bg</code>,
<code>--confsearch-fg</code>):</p>
<pre><code>{escape(theming)}</code></pre>
<p>Keyboard: <kbd>/</kbd> or <kbd>Ctrl</kbd>+<kbd>K</kbd> to search, arrows to move through
results, <kbd>Enter</kbd> to open one, <kbd>Esc</kbd> to close and clear.</p>
</main>"""
    script = f'<script src="/widget.v{escape(version)}.js" type="module"></script>'
    return _page("confsearch — search the conference archive", body, head=script)


@router.get("/", response_class=HTMLResponse)
async def demo(request: Request) -> HTMLResponse:
    """The widget over this server's index, and how to embed it."""
    return _html(render_demo(str(request.base_url), widget_asset().version), csp=_DEMO_CSP)
