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


def overlaps(a: dict | None, b: dict | None) -> bool:
    """Whether two bounding boxes share some area."""
    assert a is not None and b is not None
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.fixture
def allowed(member_sites) -> MemberSite:
    return member_sites[0]


def open_member(page: Page, site: MemberSite, host: str, **attributes) -> None:
    page.goto(site.page(host, **attributes))
    page.wait_for_function("customElements.get('confsearch-box') !== undefined", timeout=5_000)


def search(page: Page, query: str) -> dict:
    """Type `query`, press Enter; the JSON of the response the widget rendered.

    With a short debounce, typing has already sent a search when Enter is pressed; Enter sends
    it again and the widget cancels the first, whose body Chromium then drops. So the body read
    is that of the last request, once the widget is no longer busy."""
    box = page.locator(INPUT)
    sent = []
    listener = lambda r: is_search(r.url) and sent.append(r)  # noqa: E731
    page.on("request", listener)
    try:
        box.fill(query)
        box.press("Enter")  # sets the panel busy before it returns
        expect(page.locator(f"{BOX} .panel")).to_have_attribute("aria-busy", "false")
    finally:
        page.remove_listener("request", listener)
    response = sent[-1].response()
    assert response is not None and response.status == 200, response
    data = response.json()
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
    # only Enter searches: typing's own search could otherwise be the one held, under load
    open_member(page, allowed, api.url, debounce=5000)
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
    attributes = {"label-error": "The archive search is down.", "debounce": 5000}
    open_member(page, allowed, api.url, **attributes)  # only Enter searches: one call to fail
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


def open_copying(tab: Tab, allowed: MemberSite, api: ApiServer):
    """The member page with the clipboard allowed and each copied citation kept in
    `window.copied` (from the widget's confsearch-copy event)."""
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=allowed.origin)
    open_member(page, allowed, api.url)
    page.evaluate(
        "document.addEventListener('confsearch-copy', (e) => { window.copied = e.detail; })"
    )
    return page


def test_a_resolution_result_shows_its_symbol_and_paragraph_and_copies_its_citation(
    tab: Tab, resolution_api: ApiServer, allowed: MemberSite
):
    page = open_copying(tab, allowed, resolution_api)

    search(page, "resolution 678 paragraph 2")
    first = page.locator(OPTION).first
    expect(first.locator(".where")).to_have_text("S/RES/678 (1990), para. 2")
    expect(page.locator("confsearch-box .meta").first).to_contain_text("S/RES/678 (1990)")
    # The copy button lies outside the listbox (an option holds no control), over its option.
    copy = page.locator(BOX).get_by_role("button", name="Copy citation: S/RES/678 (1990), para. 2")
    expect(copy).to_have_count(1)
    assert copy.evaluate("el => !el.closest('[role=listbox]')")
    assert overlaps(copy.bounding_box(), first.bounding_box())
    copy.click()

    page.wait_for_function("window.copied !== undefined")
    assert page.evaluate("window.copied") == {"citation": "S/RES/678 (1990), para. 2", "ok": True}
    assert page.evaluate("navigator.clipboard.readText()") == "S/RES/678 (1990), para. 2"
    expect(page.locator(STATUS)).to_contain_text("Citation copied: S/RES/678 (1990), para. 2")
    expect(page.locator(INPUT)).to_be_focused()
    assert not tab.console_errors, tab.console_errors


# -- what was understood: chips --------------------------------------------------------------

TUVALU_2019 = "what did Tuvalu say about climate change in 2019"
CHIPS = "confsearch-box .chips"


def focused(page: Page) -> str | None:
    """The accessible name (or text) of the element focused inside the box, or None."""
    return page.evaluate(
        "() => { const el = document.querySelector('confsearch-box').shadowRoot.activeElement;"
        " return el && (el.getAttribute('aria-label') || el.textContent); }"
    )


def test_understood_words_show_as_chips_and_removing_one_searches_without_it(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)
    sent: list[str] = []
    page.on("request", lambda r: is_search(r.url) and sent.append(r.url))

    data = search(page, TUVALU_2019)

    assert data["understood"]["country"]["text"] == "Tuvalu"
    assert data["understood"]["year"]["text"] == "in 2019"
    assert params(sent[-1])["facets"] == ["true"] and "ignore" not in params(sent[-1])
    chips = page.locator(CHIPS).get_by_role("button")
    expect(chips).to_have_count(2)
    expect(page.locator(CHIPS)).to_be_visible()
    # The chip shows what the API read, as given; its button says what pressing it does.
    tuvalu = page.locator(BOX).get_by_role("button", name="Remove Tuvalu", exact=True)
    year = page.locator(BOX).get_by_role("button", name="Remove in 2019", exact=True)
    for chip, text in ((tuvalu, "Tuvalu"), (year, "in 2019")):
        expect(chip).to_be_visible()
        assert chip.evaluate("el => [el.firstChild.data, el.lastChild.textContent]") == [text, "×"]
        assert chip.evaluate("el => el.lastChild.getAttribute('aria-hidden')") == "true"
    # The group is named by its legend ("Understood:"): a fieldset, announced as a group.
    assert page.locator(CHIPS).evaluate("el => el.tagName") == "FIELDSET"
    expect(page.locator(f"{CHIPS} legend")).to_have_text("Understood:")

    # Keyboard: Tab from the box reaches the clear button, then the chips.
    page.locator(INPUT).focus()
    page.keyboard.press("Tab")
    assert focused(page) == "Clear search"
    page.keyboard.press("Tab")
    first_chip = focused(page)
    assert first_chip in ("Remove Tuvalu", "Remove in 2019")
    other = "Remove in 2019" if first_chip == "Remove Tuvalu" else "Remove Tuvalu"
    removed_field = "country" if first_chip == "Remove Tuvalu" else "year"
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    assert params(info.value.url)["ignore"] == [removed_field]
    assert params(info.value.url)["q"] == [TUVALU_2019]
    assert removed_field not in info.value.json()["understood"]
    expect(chips).to_have_count(1)
    expect(page.locator(BOX).get_by_role("button", name=first_chip, exact=True)).to_have_count(0)
    assert focused(page) == other  # focus moved on to the next chip, and stayed there

    # Removing the other keeps the first set aside: the same question, both ignored.
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator(BOX).get_by_role("button", name=other, exact=True).click()
    assert sorted(params(info.value.url)["ignore"]) == ["country", "year"]
    assert info.value.json()["understood"] == {}
    expect(chips).to_have_count(0)
    expect(page.locator(CHIPS)).to_be_hidden()
    expect(page.locator(INPUT)).to_be_focused()
    expect(page.locator(OPTION).first).to_be_visible()

    # "More results" keeps what was set aside; a new question reads its words afresh.
    more = page.locator("confsearch-box .more")
    if more.is_visible():
        with page.expect_response(lambda r: is_search(r.url)) as info:
            more.click()
        assert sorted(params(info.value.url)["ignore"]) == ["country", "year"]
    search(page, "Tuvalu climate change in 2019")
    assert "ignore" not in params(sent[-1])
    expect(chips).to_have_count(2)
    assert tab.console_errors == []


def test_a_misspelt_country_shows_as_read_with_the_words_typed_in_its_title(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)

    data = search(page, "what did Tuvalau say about climate change in 2019")

    assert data["understood"]["country"] == {"value": "TUV", "text": "Tuvalau", "read_as": "Tuvalu"}
    chip = page.locator(BOX).get_by_role("button", name="Remove Tuvalu", exact=True)
    expect(chip).to_be_visible()
    assert chip.evaluate("el => [el.firstChild.data, el.title]") == ["Tuvalu", "Tuvalau → Tuvalu"]
    year = page.locator(BOX).get_by_role("button", name="Remove in 2019", exact=True)
    assert year.evaluate("el => el.title") == ""
    assert tab.console_errors == []


def test_a_word_typed_wrong_shows_as_read_and_its_chip_searches_as_typed(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)

    data = search(page, "Tuvalu climate chnage")

    assert data["understood"]["spelling"]["read_as"] == "change"
    chip = page.locator(BOX).get_by_role("button", name="Remove change", exact=True)
    assert chip.evaluate("el => el.title") == "chnage → change"
    with page.expect_response(lambda r: is_search(r.url)) as info:
        chip.click()
    assert params(info.value.url)["ignore"] == ["spelling"]
    assert "spelling" not in info.value.json()["understood"]
    assert tab.console_errors == []


def test_a_month_and_its_year_show_as_one_chip_that_sets_both_aside(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    """ "in July 2024" is read as a month (the communiqué's conference began on 29 July 2024)
    and as its year: one chip, whose removal searches without either."""
    page = tab.page
    open_member(page, allowed, api.url)
    question = "what did the customs conference agree in July 2024"

    data = search(page, question)

    assert data["understood"]["date"]["text"] == "July 2024"
    assert data["understood"]["year"]["value"] == 2024
    july = page.locator(BOX).get_by_role("button", name="Remove July 2024", exact=True)
    expect(july).to_be_visible()
    expect(page.locator(BOX).get_by_role("button", name="Remove 2024", exact=True)).to_have_count(0)
    with page.expect_response(lambda r: is_search(r.url)) as info:
        july.click()
    assert sorted(params(info.value.url)["ignore"]) == ["date", "year"]
    assert not {"date", "year"} & set(info.value.json()["understood"])
    assert tab.console_errors == []


def test_chip_labels_can_be_overridden_and_escape_from_a_chip_closes(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    labels = {"label-remove": "Enlever {text}", "label-understood": "Compris :"}
    open_member(page, allowed, api.url, **labels)
    search(page, TUVALU_2019)

    expect(page.locator(f"{CHIPS} legend")).to_have_text("Compris :")
    chip = page.locator(BOX).get_by_role("button", name="Enlever Tuvalu", exact=True)
    expect(chip).to_be_visible()
    chip.focus()
    page.keyboard.press("Escape")
    expect(page.locator("confsearch-box .panel")).to_be_hidden()
    expect(page.locator(INPUT)).to_be_focused()
    expect(page.locator(INPUT)).to_have_value(TUVALU_2019)  # closed, not cleared


def test_understand_off_reads_nothing(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url, understand="off")
    with page.expect_request(lambda r: is_search(r.url)) as info:
        search(page, TUVALU_2019)
    assert params(info.value.url)["understand"] == ["false"]
    expect(page.locator(CHIPS)).to_be_hidden()


# -- matches per year: the chart -------------------------------------------------------------

CHART = "confsearch-box [role=toolbar]"


def bar_names(facets: dict[str, int]) -> list[str]:
    return [
        f"{year}: {n} document{'' if n == 1 else 's'}"
        for year, n in sorted(facets.items(), key=lambda item: int(item[0]))
    ]


def test_the_chart_shows_matches_per_year_and_a_bar_click_filters_to_its_year(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url)

    data = search(page, "climate change")

    years = data["facets"]["year"]
    assert len(years) >= 2, years
    chart = page.get_by_role("toolbar", name="Matches per year")
    expect(chart).to_be_visible()
    bars = chart.get_by_role("button")
    expect(bars).to_have_count(len(years))
    names = [bars.nth(i).get_attribute("aria-label") for i in range(len(years))]
    assert names == bar_names(years)  # in year order, each "YEAR: N documents"
    # Taller for more documents.
    heights = {}
    for i, name in enumerate(names):
        heights[name.split(":")[0]] = bars.nth(i).locator(".bar").bounding_box()["height"]
    most, least = max(years, key=years.get), min(years, key=years.get)
    if years[most] > years[least]:
        assert heights[most] > heights[least], heights

    year = sorted(years)[-1]
    with page.expect_response(lambda r: is_search(r.url)) as info:
        chart.get_by_role("button", name=f"{year}:").click()
    sent = params(info.value.url)
    assert sent["year_from"] == [year] and sent["year_to"] == [year]
    filtered = info.value.json()
    assert {str(g["document"]["year"]) for g in filtered["groups"]} == {year}
    expect(page.locator(OPTION)).to_have_count(len(filtered["results"]))
    expect(chart).to_be_hidden()  # one year left: no chart, and a way back instead
    expect(page.locator("confsearch-box .only")).to_contain_text(f"Only {year}")
    expect(page.locator(INPUT)).to_be_focused()

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator(BOX).get_by_role("button", name="All years").click()
    assert "year_from" not in params(info.value.url) and "year_to" not in params(info.value.url)
    expect(chart).to_be_visible()
    expect(page.locator("confsearch-box .only")).to_be_hidden()
    assert tab.console_errors == []


def test_the_chart_is_one_tab_stop_with_arrow_keys_and_sets_the_year_controls(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, filters="shown")
    data = search(page, "climate change")
    years = sorted(data["facets"]["year"], key=int)
    assert len(years) >= 2, years
    names = bar_names(data["facets"]["year"])

    # Tab from the box: clear, the three filter controls, then the chart, on its first bar.
    page.locator(INPUT).focus()
    for _ in range(5):
        page.keyboard.press("Tab")
    assert focused(page) == names[0]
    page.keyboard.press("ArrowRight")
    assert focused(page) == names[1]
    page.keyboard.press("End")
    assert focused(page) == names[-1]
    page.keyboard.press("Home")
    assert focused(page) == names[0]
    page.keyboard.press("ArrowLeft")  # stays on the first
    assert focused(page) == names[0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # one tab stop: Tab leaves the chart
    assert focused(page) not in names
    page.keyboard.press("Shift+Tab")
    assert focused(page) == names[1]  # and coming back lands on the bar last used

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    sent = params(info.value.url)
    assert sent["year_from"] == [years[1]] and sent["year_to"] == [years[1]]
    # The visible year controls say so (the filter is theirs to change).
    expect(page.locator("confsearch-box input[name=year_from]")).to_have_value(years[1])
    expect(page.locator("confsearch-box input[name=year_to]")).to_have_value(years[1])
    expect(page.locator(INPUT)).to_be_focused()

    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator(BOX).get_by_role("button", name="All years").press("Enter")
    assert "year_from" not in params(info.value.url)
    expect(page.locator("confsearch-box input[name=year_from]")).to_have_value("")
    assert tab.console_errors == []


def test_many_years_scroll_inside_the_chart_at_360px(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    page.set_viewport_size({"width": 360, "height": 740})
    open_member(page, allowed, api.url, theme="dark")

    def many_years(route):
        body = route.fetch().json()
        body["facets"]["year"] = {str(year): year % 7 + 1 for year in range(1990, 2025)}
        route.fulfill(json=body, headers={"access-control-allow-origin": allowed.origin})

    page.route(lambda url: is_search(url), many_years)
    search(page, "climate change")

    chart = page.get_by_role("toolbar", name="Matches per year")
    expect(chart.get_by_role("button")).to_have_count(35)
    sizes = chart.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # scrolls within itself...
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # ...not the page
    box = chart.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    last = chart.get_by_role("button").last
    chart.get_by_role("button").first.focus()
    page.keyboard.press("End")
    expect(last).to_be_focused()
    expect(last).to_be_in_viewport()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-360-chart.png"), full_page=True)
    assert tab.console_errors == []


# -- results open from the widget, and copy from outside the listbox -------------------------


def test_clicking_a_result_opens_its_passage(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url)
    data = search(page, "e-commerce")
    result = data["results"][1]

    with page.expect_navigation():
        page.locator(OPTION).nth(1).locator(".text").click()

    assert urlsplit(page.url).path == f"/documents/{result['document']['id']}/view"
    assert params(page.url) == {"start": [str(result["start"])], "end": [str(result["end"])]}
    expect(page.locator("mark#passage")).to_have_text(result["text"])


def test_a_target_blank_result_opens_in_a_new_tab(tab: Tab, api: ApiServer, allowed: MemberSite):
    page = tab.page
    open_member(page, allowed, api.url, target="_blank")
    data = search(page, "e-commerce")

    with page.context.expect_page() as info:
        page.locator(INPUT).press("ArrowDown")
        page.locator(INPUT).press("Enter")
    opened = info.value
    opened.wait_for_load_state()
    assert urlsplit(opened.url).path == f"/documents/{data['results'][0]['document']['id']}/view"
    assert opened.evaluate("window.opener") is None  # noopener
    assert page.url.startswith(allowed.origin)  # the member's page stays


def test_each_copy_button_stays_over_its_result_as_the_page_reflows(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, k=3)
    data = search(page, TUVALU_2019)
    assert all(r["citation"] for r in data["results"])  # a button for each, in results order
    options, copies = page.locator(OPTION), page.locator("confsearch-box .copy")

    def each_over_its_own() -> None:
        expect(copies).to_have_count(options.count())
        for i in range(options.count()):
            expect(copies.nth(i)).to_have_accessible_name(
                f"Copy citation: {data['results'][i]['citation']}"
            )
            option, copy = options.nth(i).bounding_box(), copies.nth(i).bounding_box()
            assert overlaps(copy, option), (i, copy, option)
            assert option["y"] <= copy["y"] < option["y"] + 20, (i, copy, option)

    each_over_its_own()
    page.set_viewport_size({"width": 360, "height": 800})  # the text reflows, taller options
    page.wait_for_timeout(100)
    each_over_its_own()
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.locator("confsearch-box .more").click()  # more results, more buttons
    data["results"] += info.value.json()["results"]
    expect(options).to_have_count(len(data["results"]))
    page.wait_for_timeout(100)
    each_over_its_own()
    assert tab.console_errors == []


def test_the_citation_is_copied_from_the_keyboard(
    tab: Tab, resolution_api: ApiServer, allowed: MemberSite
):
    page = open_copying(tab, allowed, resolution_api)
    search(page, "resolution 678 paragraph 2")
    name = "Copy citation: S/RES/678 (1990), para. 2"

    page.locator(INPUT).focus()
    for _ in range(12):  # Tab through the clear button, chips and chart to the copy buttons
        page.keyboard.press("Tab")
        if focused(page) == name:
            break
    assert focused(page) == name
    expect(page.locator(OPTION).first).to_have_attribute("aria-selected", "true")  # its result
    page.keyboard.press("Enter")

    page.wait_for_function("window.copied !== undefined")
    assert page.evaluate("window.copied") == {"citation": "S/RES/678 (1990), para. 2", "ok": True}
    assert page.evaluate("navigator.clipboard.readText()") == "S/RES/678 (1990), para. 2"
    expect(page.locator(STATUS)).to_contain_text("Citation copied: S/RES/678 (1990), para. 2")
    assert focused(page) == name  # from the keyboard, focus stays where it was
    page.evaluate("navigator.clipboard.writeText('')")
    page.keyboard.press("Space")
    page.wait_for_function("navigator.clipboard.readText().then((t) => t !== '')")
    assert page.evaluate("navigator.clipboard.readText()") == "S/RES/678 (1990), para. 2"
    assert not tab.console_errors, tab.console_errors


# -- the accessibility audit (axe-core) ------------------------------------------------------


def audit(page: Page, axe_source: str) -> list[dict]:
    """axe-core's violations on the page (shadow DOM included)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
            (v) => ({id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map((n) => ({target: n.target, html: n.html.slice(0, 200),
                                                summary: n.failureSummary}))}))"""
    )


def no_violations(found: list[dict], state: str) -> str:
    return f"axe-core found violations {state}:\n" + json.dumps(found, indent=1)


@pytest.mark.parametrize(
    ("scheme", "width"),
    [("light", 1000), ("dark", 1000), ("light", 360), ("dark", 360)],
    ids=["light", "dark", "light-360px", "dark-360px"],
)
def test_the_demo_page_passes_an_axe_audit(
    browser, api: ApiServer, axe_source: str, scheme: str, width: int
):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.goto(api.url + "/")
        page.wait_for_function("customElements.get('confsearch-box') !== undefined")

        found = audit(page, axe_source)
        assert found == [], no_violations(found, "while idle")

        search(page, TUVALU_2019)
        page.locator(INPUT).press("ArrowDown")
        expect(page.locator(CHIPS).get_by_role("button")).to_have_count(2)
        expect(page.get_by_role("toolbar", name="Matches per year")).to_be_visible()
        expect(page.locator("confsearch-box .copy").first).to_be_visible()
        expect(page.locator(INPUT)).to_have_attribute("aria-activedescendant", "o0")
        found = audit(page, axe_source)
        assert found == [], no_violations(found, "with results, chips and the chart")

        with page.expect_response(lambda r: is_search(r.url)):
            page.get_by_role("toolbar", name="Matches per year").get_by_role("button").first.click()
        expect(page.locator("confsearch-box .only")).to_be_visible()
        found = audit(page, axe_source)
        assert found == [], no_violations(found, "filtered to a year")

        # Edited after ↓: the older results still shown, none highlighted.
        page.locator(INPUT).press("ArrowDown")
        page.locator(INPUT).press_sequentially(" and sea level")
        assert highlighted(page) is None
        found = audit(page, axe_source)
        assert found == [], no_violations(found, "while the question is edited")
        assert errors == []
    finally:
        context.close()


# -- results of an older text are never opened; a chart's year belongs to its question -------

TUVALU = "Tuvalu climate change"


def highlighted(page: Page) -> str | None:
    """The input's aria-activedescendant, read at once (no waiting)."""
    return page.locator(INPUT).get_attribute("aria-activedescendant")


def test_an_edit_drops_the_highlight_at_once_and_enter_searches_the_edited_text(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    """The audit's race: ↓ onto a result, type more, Enter at once (within the debounce). The
    results shown answer the old text: Enter must search the new one, not open the old result."""
    page = tab.page
    open_member(page, allowed, api.url, debounce=3000)  # the new results cannot arrive first
    sent: list[str] = []
    page.on("request", lambda r: is_search(r.url) and sent.append(r.url))
    box = page.locator(INPUT)
    search(page, TUVALU)
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "o0")

    page.keyboard.type(" ")
    assert highlighted(page) is None  # dropped with the first key, not when results come
    expect(page.locator(f"{OPTION}[aria-selected=true]")).to_have_count(0)
    expect(page.locator(f"{OPTION}.active")).to_have_count(0)
    page.keyboard.type("in 2019", delay=20)
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    assert params(info.value.url)["q"] == [f"{TUVALU} in 2019"]
    assert page.url.startswith(allowed.origin)  # no result was opened
    data = info.value.json()
    expect(page.locator(OPTION)).to_have_count(len(data["results"]))
    assert [params(url)["q"] for url in sent] == [[TUVALU], [f"{TUVALU} in 2019"]]

    # Keyboard only: a result chosen among the current results opens.
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "o0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"/documents/{data['results'][0]['document']['id']}/view"
    assert params(page.url)["start"] == [str(data["results"][0]["start"])]
    assert tab.console_errors == []


def test_arrows_on_results_of_an_older_text_search_the_edited_text_first(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, debounce=5000)
    box = page.locator(INPUT)
    search(page, TUVALU)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")  # moving the caret keeps the choice; only an edit drops it
    expect(box).to_have_attribute("aria-activedescendant", "o0")

    page.keyboard.type(" adaptation")
    with page.expect_response(lambda r: is_search(r.url), timeout=2_000) as info:
        page.keyboard.press("ArrowDown")  # searched now, not after the 5 s pause
    assert params(info.value.url)["q"] == [f"{TUVALU} adaptation"]
    assert highlighted(page) is None  # nothing chosen among the old results
    data = info.value.json()
    expect(page.locator(OPTION)).to_have_count(len(data["results"]))
    expect(page.locator(STATUS)).not_to_have_text("Searching…")

    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "o0")
    assert tab.console_errors == []


def test_hovering_an_older_texts_result_while_typing_does_not_highlight_it(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, debounce=3000)
    box = page.locator(INPUT)
    search(page, TUVALU)
    options = page.locator(OPTION)
    assert options.count() >= 2
    second = options.nth(1).bounding_box()
    page.mouse.move(second["x"] + 40, second["y"] + 10)
    page.mouse.move(second["x"] + 50, second["y"] + 12)
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))

    # Typing on (the box keeps focus), the pointer still moving over the old results.
    for i, key in enumerate(" in 2019"):
        page.keyboard.type(key)
        page.mouse.move(second["x"] + 60 + 5 * i, second["y"] + 14)
        first = options.nth(0).bounding_box()
        page.mouse.move(first["x"] + 60 + 5 * i, first["y"] + 10)
        if i:  # (a trailing space alone leaves the question, and its results, as they were)
            assert highlighted(page) is None, key
    expect(page.locator(f"{OPTION}.active")).to_have_count(0)
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    assert params(info.value.url)["q"] == [f"{TUVALU} in 2019"]
    assert page.url.startswith(allowed.origin)
    expect(page.locator(OPTION)).to_have_count(len(info.value.json()["results"]))

    # The new results are the pointer's to highlight again.
    second = options.nth(1).bounding_box()
    page.mouse.move(second["x"] + 40, second["y"] + 10)
    page.mouse.move(second["x"] + 45, second["y"] + 11)
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    assert tab.console_errors == []


def test_an_ime_composition_drops_the_highlight_and_its_enter_stays_the_imes(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    """Composing (an IME, through Chromium's own composition events): the highlight goes when
    composing starts; Enter within the composition commits it (no search, no result opened);
    the composed text is searched once committed."""
    page = tab.page
    open_member(page, allowed, api.url, debounce=0)
    box = page.locator(INPUT)
    search(page, TUVALU)
    sent: list[str] = []
    page.on("request", lambda r: is_search(r.url) and sent.append(r.url))
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "o0")
    cdp = page.context.new_cdp_session(page)

    cdp.send("Input.imeSetComposition", {"text": " ツバル", "selectionStart": 4, "selectionEnd": 4})
    assert highlighted(page) is None
    page.keyboard.press("Enter")  # the IME's: it commits the composition
    page.keyboard.press("ArrowDown")  # the IME's: its candidates
    page.wait_for_timeout(300)
    assert page.url.startswith(allowed.origin)
    assert sent == []  # nothing searched mid-composition (debounce 0)
    assert highlighted(page) is None
    with page.expect_request(lambda r: is_search(r.url)) as info:
        cdp.send("Input.insertText", {"text": " ツバル"})  # committed
    assert params(info.value.url)["q"] == [f"{TUVALU} ツバル"]
    # the results are read from the page, not the response's body: under load Chromium had
    # let that go once before it was read ("No data found for resource")
    expect(page.locator(OPTION).first).to_be_visible()
    assert page.url.startswith(allowed.origin) and highlighted(page) is None
    assert tab.console_errors == []


def test_a_year_picked_on_the_chart_is_dropped_when_a_new_question_is_typed(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    """The audit's case, from the keyboard only: a bar's year narrows the question it was picked
    for (asked again, or with more results, it stays); a new question is read afresh, so the year
    typed in it ("in 2024", a year the index holds) is read and shown as a chip, not set aside
    silently (the audit's "Fiji oceans in 2015", in this small index's years)."""
    page = tab.page
    open_member(page, allowed, api.url, k=2)
    box = page.locator(INPUT)
    data = search(page, "climate change")
    assert "2019" in data["facets"]["year"] and len(data["facets"]["year"]) >= 2

    box.focus()
    for _ in range(10):  # Tab to the chart (one tab stop), then → to the 2019 bar
        page.keyboard.press("Tab")
        if (focused(page) or "")[:4].isdigit():
            break
    for _ in range(10):
        if (focused(page) or "").startswith("2019:"):
            break
        page.keyboard.press("ArrowRight")
    assert (focused(page) or "").startswith("2019:")
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    assert params(info.value.url)["year_from"] == ["2019"] == params(info.value.url)["year_to"]
    expect(page.locator("confsearch-box .only")).to_contain_text("Only 2019")
    expect(box).to_be_focused()
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")  # the same question again: still 2019
    assert params(info.value.url)["year_to"] == ["2019"]
    more = page.locator("confsearch-box .more")
    if more.is_visible():
        with page.expect_response(lambda r: is_search(r.url)) as info:
            more.press("Enter")
        assert params(info.value.url)["year_to"] == ["2019"]
        box.focus()

    page.keyboard.press("Control+a")
    page.keyboard.type("Fiji oceans in 2024")
    with page.expect_response(lambda r: is_search(r.url)) as info:
        page.keyboard.press("Enter")
    sent = params(info.value.url)
    assert "year_from" not in sent and "year_to" not in sent, sent
    assert info.value.json()["understood"]["year"]["value"] == 2024
    chip = page.locator(BOX).get_by_role("button", name="Remove in 2024", exact=True)
    expect(chip).to_be_visible()
    expect(page.locator("confsearch-box .only")).to_be_hidden()
    assert tab.console_errors == []


def test_with_year_controls_a_picked_year_goes_with_its_question_and_typed_years_stay(
    tab: Tab, api: ApiServer, allowed: MemberSite
):
    page = tab.page
    open_member(page, allowed, api.url, filters="shown", **{"year-from": 2010})
    year_from = page.locator("confsearch-box input[name=year_from]")
    year_to = page.locator("confsearch-box input[name=year_to]")
    search(page, "climate change")

    with page.expect_response(lambda r: is_search(r.url)) as info:
        chart = page.get_by_role("toolbar", name="Matches per year")
        chart.get_by_role("button", name="2019:").click()
    assert params(info.value.url)["year_to"] == ["2019"]
    expect(year_from).to_have_value("2019")

    with page.expect_request(lambda r: is_search(r.url)) as request:
        search(page, "Fiji oceans in 2024")
    sent = params(request.value.url)
    assert sent["year_from"] == ["2010"] and "year_to" not in sent  # the controls as they were
    expect(year_from).to_have_value("2010")
    expect(year_to).to_have_value("")

    # Years the reader sets in the controls are theirs: they stay for the next question.
    year_to.fill("2019")
    with page.expect_response(lambda r: is_search(r.url)) as info:
        year_to.press("Tab")
    assert params(info.value.url)["year_to"] == ["2019"]
    with page.expect_request(lambda r: is_search(r.url)) as request:
        search(page, "Tuvalu sea level")
    assert params(request.value.url)["year_from"] == ["2010"]
    assert params(request.value.url)["year_to"] == ["2019"]
    assert tab.console_errors == []
