"""HTML pages: headings and paragraphs kept, page furniture dropped, the <title> as title."""

from __future__ import annotations

from indexer.chunking import chunk
from indexer.documents import load
from indexer.embedders.fake import FakeEmbedder
from indexer.html import html_to_text
from indexer.metadata import derive
from indexer.normalise import normalise

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Forty-Ninth
     Pacific Islands Forum &amp; Leaders&#39; Communiqu&eacute;</title>
  <style>body { color: red; } .menu { display: none; }</style>
  <script>var tracking = "script text must vanish";</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/about">About the navigation menu</a></nav>
  <header>Site banner words</header>
  <h1>Forty-Ninth Leaders Meeting</h1>
  <p>The Leaders met in Nauru &amp; agreed on the Boe Declaration &ndash; a regional
     security framework. They endorsed the &quot;Blue Pacific&quot; narrative &lt;strongly&gt;.</p>
  <h2>Climate Change</h2>
  <p>Leaders reaffirmed that climate change remains the single greatest threat to the
     livelihoods, security and wellbeing of the peoples of the Pacific.</p>
  <ul>
    <li>Fisheries stocks must be managed sustainably.</li>
    <li>Ocean boundaries should be secured.</li>
  </ul>
  <h3>Fisheries</h3>
  <div>Tuna catches were reviewed.</div>
  <footer>Copyright footer words</footer>
  <script>console.log("more script text");</script>
</body>
</html>
"""


def blocks_of(markup: str):
    _, text = html_to_text(markup)
    return normalise([text]).blocks


def test_heading_tags_become_heading_blocks():
    headings = [b.text for b in blocks_of(PAGE) if b.kind == "heading"]
    assert headings == ["Forty-Ninth Leaders Meeting", "Climate Change", "Fisheries"]


def test_paragraphs_and_list_items_become_paragraph_blocks():
    paragraphs = [b.text for b in blocks_of(PAGE) if b.kind == "paragraph"]
    assert "Fisheries stocks must be managed sustainably." in paragraphs
    assert "Ocean boundaries should be secured." in paragraphs
    assert "Tuna catches were reviewed." in paragraphs
    # Source line breaks inside a <p> are not breaks in the text.
    assert (
        "Leaders reaffirmed that climate change remains the single greatest threat to the "
        "livelihoods, security and wellbeing of the peoples of the Pacific."
    ) in paragraphs


def test_script_style_nav_header_and_footer_are_dropped():
    _, text = html_to_text(PAGE)
    for unwanted in ("script text", "more script", "color: red", "navigation menu", "Home",
                     "Site banner", "Copyright footer"):  # fmt: skip
        assert unwanted not in text


ARTICLE = """<html><head><title>OCO Secretariat</title></head><body>
<header><a href="/">OCO</a> site banner</header>
<article>
  <header><h1>Statement on Regional Border Biosecurity</h1>
    <p>Delivered by the Head of Customs of Palau, Koror, 3 March 2023</p></header>
  <p>The statement urged members to fund fruit fly surveillance at every port of entry.</p>
  <table><tr><th>Port</th><th>Tonnage</th></tr><tr><td>Suva</td><td>1200</td></tr></table>
  <footer><p>Adopted unanimously by the heads of delegation.</p></footer>
</article>
<footer>Copyright 2024 OCO</footer>
</body></html>"""


def test_an_articles_own_header_and_footer_are_its_text_the_pages_are_not():
    _, text = html_to_text(ARTICLE)

    assert "Delivered by the Head of Customs of Palau" in text
    assert "Adopted unanimously by the heads of delegation." in text
    assert "site banner" not in text and "Copyright 2024" not in text


def test_an_articles_h1_is_its_title_over_the_sites_shared_title(tmp_path):
    (tmp_path / "statement.html").write_text(ARTICLE)
    loaded = load(tmp_path, "statement.html")
    document = derive({}, "statement.html", loaded.text, loaded.html_title)

    assert document.values["title"] == "Statement on Regional Border Biosecurity"
    assert document.values["year"] == 2023  # from the byline its header holds


def test_table_cells_stay_apart_and_rows_are_no_headings():
    blocks = blocks_of(ARTICLE)

    assert [b.text for b in blocks if "Suva" in b.text] == ["Suva | 1200"]
    assert not [b for b in blocks if b.kind == "heading" and "Port" in b.text]


def test_entities_are_decoded():
    _, text = html_to_text(PAGE)
    assert "Nauru & agreed on the Boe Declaration – a regional" in text
    assert 'the "Blue Pacific" narrative <strongly>.' in text
    assert "&amp;" not in text and "&quot;" not in text


def test_numeric_entities_are_decoded():
    _, text = html_to_text("<p>Caf&#233; &#8220;quoted&#8221; &#x41;</p>")
    assert "Café “quoted” A" in text


def test_title_is_extracted_with_whitespace_and_entities_tidied():
    title, text = html_to_text(PAGE)
    assert title == "Forty-Ninth Pacific Islands Forum & Leaders' Communiqué"
    assert "Pacific Islands Forum & Leaders" not in text  # the title is not body text


def test_page_without_title_has_empty_title():
    title, _ = html_to_text("<html><body><p>Just a paragraph.</p></body></html>")
    assert title == ""


def test_svg_icon_titles_do_not_leak_into_the_page_title():
    markup = (
        "<html><head><title>Real Title</title></head><body><h1>Heading</h1>"
        '<p>Search <svg><title>Magnifier icon</title><path d="M0 0"/></svg> here.</p>'
        "</body></html>"
    )
    title, text = html_to_text(markup)
    assert title == "Real Title"
    assert "Magnifier" not in text


def test_title_is_the_document_title_when_the_manifest_gives_none(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    loaded = load(tmp_path, "page.html")
    assert loaded.html_title == "Forty-Ninth Pacific Islands Forum & Leaders' Communiqué"
    document = derive({}, "page.html", loaded.text, loaded.html_title)
    assert document.title == "Forty-Ninth Pacific Islands Forum & Leaders' Communiqué"


def test_manifest_title_wins_over_html_title(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    loaded = load(tmp_path, "page.html")
    document = derive({"title": "PIF Communiqué 2018"}, "page.html", loaded.text, loaded.html_title)
    assert document.title == "PIF Communiqué 2018"


def test_first_heading_is_the_title_of_an_html_page_without_title(tmp_path):
    (tmp_path / "page.htm").write_text(
        "<body><h1>Outcome Statement</h1><p>Members agreed.</p></body>", encoding="utf-8"
    )
    loaded = load(tmp_path, "page.htm")
    assert loaded.html_title is None
    assert derive({}, "page.htm", loaded.text, loaded.html_title).title == "Outcome Statement"


def test_html_page_chunks_under_its_headings(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    passages = chunk(load(tmp_path, "page.html").text, FakeEmbedder().count_tokens)
    sections = {p.section for p in passages}
    assert sections == {"Forty-Ninth Leaders Meeting", "Climate Change", "Fisheries"}
    climate = next(p for p in passages if p.section == "Climate Change")
    assert "single greatest threat" in climate.text
    assert "Ocean boundaries should be secured." in climate.text


STATEMENT = """<!DOCTYPE html>
<html lang="en-NZ">
<head>
  <title>News | OCO Secretariat</title>
  <meta name="citation_title" content="Statement on the 26th OCO Annual Conference">
  <meta property="article:published_time" content="2024-07-31T16:00:00+10:00">
  <meta name="geo.placename" content="Rarotonga">
  <meta name="author" content="OCO Secretariat">
  <meta name="viewport" content="width=device-width">
</head>
<body><main><p>Members agreed to share e-commerce risk profiles.</p></main></body>
</html>"""


def test_a_pages_meta_tags_give_its_date_place_language_and_title(tmp_path):
    (tmp_path / "statement.html").write_text(STATEMENT, encoding="utf-8")
    loaded = load(tmp_path, "statement.html")
    document = derive({}, "statement.html", loaded.text, loaded.html_title, loaded.stated)

    # citation_* is the most specific; the site's shared <title> comes last
    assert document.title == "Statement on the 26th OCO Annual Conference"
    assert document.values["date"] == "2024-07-31" and document.year == 2024
    assert document.values["place"] == "Rarotonga"
    assert document.values["language"] == "en"
    assert document.extra == {"author": "OCO Secretariat"}
    assert document.warnings == []
    # what the user wrote wins
    overridden = derive({"date": "2024-08-01"}, "statement.html", loaded.text,
                        loaded.html_title, loaded.stated)  # fmt: skip
    assert overridden.values["date"] == "2024-08-01"


def test_a_meta_date_that_is_no_date_is_reported_and_the_page_still_read(tmp_path):
    page = STATEMENT.replace("2024-07-31T16:00:00+10:00", "last Tuesday")
    (tmp_path / "statement.html").write_text(page, encoding="utf-8")
    loaded = load(tmp_path, "statement.html")
    document = derive({}, "statement.html", loaded.text, loaded.html_title, loaded.stated)

    assert document.values["date"] is None and document.values["place"] == "Rarotonga"
    assert any("date: 'last Tuesday'" in w for w in document.warnings)
    assert "e-commerce risk profiles" in loaded.text.text


def test_a_catalogue_title_beats_the_articles_h1_and_the_h1_beats_open_graphs():
    page = ('<html><head><title>News | OCO</title>{meta}</head>'
            '<body><main><h1>The h1 of the page</h1><p>Text.</p></main></body></html>')  # fmt: skip

    catalogued = '<meta name="citation_title" content="Statement on valuation">'
    shared = '<meta property="og:title" content="OCO news">'
    assert html_to_text(page.format(meta=catalogued + shared))[0] == "Statement on valuation"
    assert html_to_text(page.format(meta=shared))[0] == "The h1 of the page"


def test_a_meta_timestamp_with_a_space_before_its_zone_is_its_day(tmp_path):
    page = STATEMENT.replace("2024-07-31T16:00:00+10:00", "2024-07-31 16:00:00 +10:00")
    (tmp_path / "statement.html").write_text(page, encoding="utf-8")
    loaded = load(tmp_path, "statement.html")

    assert loaded.stated["date"] == "2024-07-31"
