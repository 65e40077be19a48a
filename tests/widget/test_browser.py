"""The widget in a real browser (Debian's Chromium through Playwright), talking to the real
API on a loopback port, embedded in "member sites" on other origins."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder
from search_api.app import make_embedder
from tests.conftest import CORPUS, copy_corpus
from tests.widget.conftest import (
    ARTIFACTS,
    MARKUP_TEXT,
    MARKUP_TITLE,
    ApiServer,
    MemberSite,
    Tab,
    closed_port,
    start_api,
    stop_api,
    widget_settings,
    write_markup_document,
)

pytestmark = pytest.mark.browser

BOX = "confsearch-box"
INPUT = "confsearch-box input[role=combobox]"
OPTION = "confsearch-box [role=option]"
STATUS = "confsearch-box [role=status]"
MESSAGE = "confsearch-box .msg"


def is_search(url: str) -> bool:
    return urlsplit(url).path.endswith("/search")


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def allowed(member_sites) -> MemberSite:
    return member_sites[0]


def open_member(page: Page, site: MemberSite, host: str, **attributes) -> None:
    page.goto(site.page(host, **attributes))
    page.wait_for_function("customElements.get('confsearch-box') !== undefined", timeout=5_000)


def search(page: Page, query: str) -> dict:
    """Type `query`, press Enter; the JSON of the response the widget got."""
    box = page.locator(INPUT)
    box.fill(query)
    with page.expect_response(lambda r: is_search(r.url) and r.status == 200) as info:
        box.press("Enter")
    data = info.value.json()
    expect(page.locator(OPTION)).to_have_count(len(data["results"]))
    return data


# -- results ---------------------------------------------------------------------------------


def test_typing_shows_results_grouped_by_document_with_the_highlight_marked(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, debounce=500)
    requests: list[str] = []
    page.on("request", lambda r: is_search(r.url) and requests.append(r.url))

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator(INPUT).press_sequentially("e-commerce trade", delay=25)
    data = info.value.json()

    expect(page.locator(OPTION)).to_have_count(len(data["results"]))
    assert len(requests) == 1, requests  # debounced: one search for the whole phrase
    sent = params(requests[0])
    assert sent["q"] == ["e-commerce trade"] and sent["group_by"] == ["document"]
    groups = page.locator("confsearch-box [role=group]")
    expect(groups).to_have_count(len(data["groups"]))
    for i, group in enumerate(data["groups"]):
        heading = groups.nth(i).locator(".doc")
        expect(heading.locator(".title")).to_have_text(group["document"]["title"])
        if group["document"]["year"]:
            expect(heading.locator(".meta")).to_contain_text(str(group["document"]["year"]))
    for i, result in enumerate(data["results"]):
        expect(page.locator(OPTION).nth(i).locator("mark")).to_have_text(result["highlight"])
    first = page.locator(OPTION).first
    expect(first).to_contain_text("Session Four")
    expect(page.locator(STATUS)).to_have_text(f"{len(data['results'])} results")
    expect(page.locator(INPUT)).to_have_attribute("aria-expanded", "true")
    # A simple CORS request from the member's origin: no preflight.
    searches = [r for r in api.recorder.requests if r[1] == "/search"]
    assert ("GET", "/search", allowed.origin) in searches
    assert not [r for r in api.recorder.requests if r[0] == "OPTIONS"]
    assert info.value.headers["access-control-allow-origin"] == allowed.origin
    assert tab.console_errors == []


def test_html_in_a_document_is_shown_as_text(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url)

    data = search(page, "onerror handlers markup")

    assert data["groups"][0]["document"]["title"] == MARKUP_TITLE
    group = page.locator("confsearch-box [role=group]").first
    expect(group.locator(".title")).to_have_text(MARKUP_TITLE)
    expect(group.locator("[role=option]").first).to_contain_text(MARKUP_TEXT)
    injected = page.evaluate(
        "document.querySelector('confsearch-box').shadowRoot"
        ".querySelectorAll('img, script, b, i, style').length"
    )
    assert injected == 0
    # Open it: the view page shows the markup as text too.
    page.locator(INPUT).press("ArrowDown")
    with page.expect_navigation():
        page.locator(INPUT).press("Enter")
    expect(page.locator("h1")).to_have_text(MARKUP_TITLE)
    expect(page.locator(".text")).to_contain_text(MARKUP_TEXT)
    assert page.locator("img").count() == 0
    page.wait_for_timeout(200)
    assert tab.dialogs == []
    assert tab.console_errors == []


def test_more_results_fetches_the_next_page(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url, k=2)
    first = search(page, "climate change sea level")
    assert len(first["groups"]) == 2
    shown = page.locator(OPTION).count()

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator("confsearch-box .more").click()

    assert params(info.value.url)["offset"] == ["2"]
    more = info.value.json()
    expect(page.locator(OPTION)).to_have_count(shown + len(more["results"]))
    expect(page.locator("confsearch-box [role=group]")).to_have_count(2 + len(more["groups"]))
    assert tab.console_errors == []


def test_filters_shown_start_from_the_presets_and_are_sent(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, filters="shown", **{"doc-type": "speech"})
    expect(page.locator("confsearch-box select")).to_have_value("speech")

    data = search(page, "climate change")
    assert {g["document"]["doc_type"] for g in data["groups"]} == {"speech"}
    expect(page.locator("confsearch-box .meta").first).to_contain_text("Speech")

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator("confsearch-box select").select_option("communique")
    assert params(info.value.url)["doc_type"] == ["communique"]
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator("confsearch-box input[name=year_from]").fill("2020")
        page.locator("confsearch-box input[name=year_from]").press("Tab")
    sent = params(info.value.url)
    assert sent["year_from"] == ["2020"] and sent["doc_type"] == ["communique"]
    assert tab.console_errors == []


def test_no_results_uses_the_label_given(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    attributes = {"year-from": 1800, "year-to": 1801, "label-no-results": "Nothing found"}
    open_member(page, allowed, api.url, **attributes)

    page.locator(INPUT).fill("climate")
    page.locator(INPUT).press("Enter")

    expect(page.locator(MESSAGE)).to_have_text("Nothing found")
    expect(page.locator(STATUS)).to_have_text("Nothing found")
    assert tab.console_errors == []


# -- keyboard --------------------------------------------------------------------------------


def test_keyboard_slash_arrows_enter_open_the_passage(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)
    box = page.locator(INPUT)

    # "/" typed in another field stays there; elsewhere it focuses the box, as does Ctrl+K.
    page.locator("#other").press("/")
    expect(page.locator("#other")).to_have_value("/")
    expect(box).not_to_be_focused()
    page.locator("#other").press("Control+k")
    expect(box).to_be_focused()
    page.locator("h1").click()
    expect(box).not_to_be_focused()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")

    data = search(page, "e-commerce")
    options = page.locator(OPTION)
    assert options.count() >= 2
    page.keyboard.press("ArrowDown")
    first_id = options.nth(0).get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", first_id)

    # Esc closes, a second Esc clears; typing again searches again.
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("confsearch-box .panel")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(box).to_have_value("")

    data = search(page, "e-commerce")
    result = data["results"][0]
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    url = urlsplit(page.url)
    assert f"{url.scheme}://{url.netloc}" == api.url
    assert url.path == f"/documents/{result['document']['id']}/view"
    assert params(page.url) == {"start": [str(result["start"])], "end": [str(result["end"])]}
    passage = page.locator("mark#passage")
    expect(passage).to_have_text(result["text"])
    expect(passage).to_be_in_viewport()
    expect(page.locator("h1")).to_have_text(result["document"]["title"])
    assert tab.console_errors == []


def test_hotkeys_can_be_turned_off(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url, hotkeys="off")
    page.locator("h1").click()

    page.keyboard.press("/")
    page.keyboard.press("Control+k")

    expect(page.locator(INPUT)).not_to_be_focused()
    expect(page.locator("confsearch-box kbd")).to_be_hidden()


# -- ordering of responses -------------------------------------------------------------------


def test_a_late_response_to_an_older_query_is_discarded(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)
    held = []
    failed: list[str] = []
    page.on("requestfailed", lambda r: is_search(r.url) and failed.append(r.url))

    def hold_the_first(route):
        if not held:
            held.append(route)  # answered later, after the newer query
        else:
            route.continue_()

    page.route(lambda url: is_search(url), hold_the_first)
    page.locator(INPUT).fill("climate")
    page.locator(INPUT).press("Enter")
    expect(page.locator(MESSAGE)).to_have_text("Searching…")
    expect(page.locator(STATUS)).to_have_text("Searching…")
    assert len(held) == 1

    data = search(page, "e-commerce")
    stale = {
        "query": "climate", "mode": "hybrid", "took_ms": 1.0, "offset": 0, "k": 5,
        "results": [{**data["results"][0], "text": "STALE", "highlight_offsets": [0, 5]}],
        "groups": [{"document": {"id": "stale", "title": "STALE RESULT", "doc_type": "x"},
                    "results": [{**data["results"][0], "text": "STALE"}]}],
    }  # fmt: skip
    with contextlib.suppress(Exception):  # the widget cancelled it: nothing to answer
        held[0].fulfill(status=200, content_type="application/json", body=json.dumps(stale))
    page.wait_for_timeout(300)

    expect(page.locator("confsearch-box")).not_to_contain_text("STALE")
    expect(page.locator(OPTION)).to_have_count(len(data["results"]))
    expect(page.locator(OPTION).first.locator("mark")).to_have_text(data["results"][0]["highlight"])
    assert any("q=climate" in url for url in failed), failed  # cancelled (AbortController)


# -- errors ----------------------------------------------------------------------------------


def test_api_down_shows_a_readable_error_with_retry(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    down = f"http://127.0.0.1:{closed_port()}"
    # The script comes from the live API; the box's api points at a closed port.
    open_member(page, allowed, api.url, api=down)
    attempts: list[str] = []
    page.on("requestfailed", lambda r: is_search(r.url) and attempts.append(r.url))

    page.locator(INPUT).fill("climate")
    page.locator(INPUT).press("Enter")

    expect(page.locator(MESSAGE)).to_contain_text("Could not reach the search service")
    expect(page.locator(STATUS)).to_contain_text("Could not reach")
    retry = page.locator("confsearch-box .retry")
    expect(retry).to_be_visible()
    expect(page.locator(INPUT)).to_be_editable()
    with page.expect_event("requestfailed", lambda r: is_search(r.url)):
        retry.click()
    expect(page.locator(MESSAGE)).to_contain_text("Could not reach the search service")
    assert len(attempts) == 2 and all(url.startswith(down) for url in attempts)
    expect(page.locator(INPUT)).to_be_editable()
    expect(page.locator(INPUT)).to_be_focused()


def test_server_error_shows_the_label_and_retry_recovers(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, **{"label-error": "The archive search is down."})
    calls = []

    def fail_once(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            body = {"error": {"code": "unavailable", "message": "the index is not loaded"}}
            route.fulfill(status=503, content_type="application/json", body=json.dumps(body),
                          headers={"access-control-allow-origin": "*"})  # fmt: skip
        else:
            route.continue_()

    page.route(lambda url: is_search(url), fail_once)
    page.locator(INPUT).fill("e-commerce")
    page.locator(INPUT).press("Enter")
    expect(page.locator(MESSAGE)).to_contain_text("The archive search is down.")
    expect(page.locator(OPTION)).to_have_count(0)

    page.locator("confsearch-box .retry").click()

    expect(page.locator(OPTION).first).to_be_visible()
    expect(page.locator(MESSAGE)).to_be_hidden()
    assert len(calls) == 2


def test_rate_limited_shows_a_readable_message(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url)
    body = {"error": {"code": "rate_limited", "message": "slow down"}}
    page.route(
        lambda url: is_search(url),
        lambda route: route.fulfill(
            status=429, content_type="application/json", body=json.dumps(body),
            headers={"access-control-allow-origin": "*"},
        ),
    )  # fmt: skip

    page.locator(INPUT).fill("trade")
    page.locator(INPUT).press("Enter")

    expect(page.locator(MESSAGE)).to_contain_text("Too many searches at once")
    expect(page.locator("confsearch-box .retry")).to_be_visible()
    expect(page.locator(INPUT)).to_be_editable()


# -- origins ---------------------------------------------------------------------------------


def test_an_origin_not_allowed_gets_the_error_state(tab: Tab, api: ApiServer, member_sites):
    page = tab.page
    _, denied = member_sites

    open_member(page, denied, api.url)  # the script itself loads from any origin
    page.locator(INPUT).fill("e-commerce")
    page.locator(INPUT).press("Enter")

    expect(page.locator(MESSAGE)).to_contain_text("Could not reach the search service")
    expect(page.locator("confsearch-box .retry")).to_be_visible()
    assert ("GET", "/search", denied.origin) in api.recorder.requests


# -- layout and theming ----------------------------------------------------------------------


def test_works_at_360px_in_the_dark_theme_with_a_custom_accent(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    page.set_viewport_size({"width": 360, "height": 740})
    style = "--confsearch-accent: rgb(200, 0, 0); --confsearch-radius: 2px"
    open_member(page, allowed, api.url, theme="dark", filters="shown", style=style)

    search(page, "e-commerce and regional trade")

    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360
    field = page.locator("confsearch-box .field")
    assert field.evaluate("el => getComputedStyle(el).outlineColor") == "rgb(200, 0, 0)"
    assert field.evaluate("el => getComputedStyle(el).borderTopLeftRadius") == "2px"
    background = field.evaluate("el => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(v) for v in background[4:-1].split(","))
    assert red + green + blue < 150, background  # dark
    box = page.locator(BOX).bounding_box()
    assert box is not None and box["width"] <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-360-dark.png"), full_page=True)
    assert tab.console_errors == []


# -- the demo page, with the real model ------------------------------------------------------


@pytest.fixture(scope="module")
def model_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    from search_api.settings import Settings

    root = tmp_path_factory.mktemp("widget-model")
    corpus = copy_corpus(root / "corpus", pdf=False)
    write_markup_document(corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", cors_origins=[])
    embedder = make_embedder(settings)
    build(corpus, settings.index_dir, embedder)
    server = start_api(settings, embedder)
    yield server
    stop_api(server)


@pytest.mark.model
def test_demo_page_answers_the_e_commerce_question(tab: Tab, model_api: ApiServer):
    page = tab.page
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(model_api.url + "/")
    page.wait_for_function("customElements.get('confsearch-box') !== undefined")

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator(INPUT).press_sequentially("what was said on e-commerce", delay=10)
    first = info.value.json()["results"][0]

    assert first["section"] == "Session Four"
    option = page.locator(OPTION).first
    expect(option.locator(".where")).to_contain_text("Session Four")
    expect(option.locator("mark")).to_have_text(first["highlight"])
    expect(option.locator("mark")).to_contain_text("e-commerce")
    expect(page.locator("confsearch-box [role=group] .title").first).to_have_text(
        "Communiqué of the 26th OCO Annual Conference"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)
    assert (ARTIFACTS / "demo.png").stat().st_size > 10_000
    assert tab.console_errors == []


def test_clicking_outside_closes_the_results_and_focus_reopens_them(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)
    search(page, "climate")

    page.locator("h1").click()
    expect(page.locator("confsearch-box .panel")).to_be_hidden()
    expect(page.locator(INPUT)).to_have_attribute("aria-expanded", "false")

    page.locator(INPUT).click()
    expect(page.locator("confsearch-box .panel")).to_be_visible()
    expect(page.locator(INPUT)).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")  # to the clear button, inside the box: still open
    expect(page.locator("confsearch-box .panel")).to_be_visible()
    assert tab.console_errors == []


# -- resolutions and citations ---------------------------------------------------------------


@pytest.fixture(scope="module")
def resolution_api(tmp_path_factory: pytest.TempPathFactory, member_sites) -> Iterator[ApiServer]:
    """The API over two resolutions and a speech, allowing the first member site."""
    root = tmp_path_factory.mktemp("widget-resolutions")
    corpus = copy_corpus(root / "corpus", ["FJI_74_2019.txt"], pdf=False)
    (corpus / "unsc-resolutions").mkdir()
    for name in ("S_RES_0660_1990_EN_GOLD.txt", "S_RES_0678_1990_EN_GOLD.txt"):
        (corpus / "unsc-resolutions" / name).write_bytes(
            (CORPUS / "unsc-resolutions" / name).read_bytes()
        )
    build(corpus, root / "index", FakeEmbedder())
    settings = widget_settings((corpus, root / "index"), cors_origins=[member_sites[0].origin])
    server = start_api(settings, FakeEmbedder())
    yield server
    stop_api(server)


def test_a_resolution_result_shows_its_symbol_and_paragraph_and_copies_its_citation(
    tab: Tab, resolution_api: ApiServer, allowed: MemberSite
):
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=allowed.origin)
    open_member(page, allowed, resolution_api.url)
    page.evaluate(
        "document.addEventListener('confsearch-copy', (e) => { window.copied = e.detail; })"
    )

    search(page, "resolution 678 paragraph 2")
    first = page.locator(OPTION).first
    expect(first.locator(".where")).to_have_text("S/RES/678 (1990), para. 2")
    expect(page.locator("confsearch-box .meta").first).to_contain_text("S/RES/678 (1990)")
    first.get_by_role("button", name="Copy citation: S/RES/678 (1990), para. 2").click()

    page.wait_for_function("window.copied !== undefined")
    assert page.evaluate("window.copied") == {"citation": "S/RES/678 (1990), para. 2", "ok": True}
    assert page.evaluate("navigator.clipboard.readText()") == "S/RES/678 (1990), para. 2"
    expect(page.locator(STATUS)).to_contain_text("Citation copied: S/RES/678 (1990), para. 2")
    expect(page.locator(INPUT)).to_be_focused()
    assert not tab.console_errors, tab.console_errors
