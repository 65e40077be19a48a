"""Markdown files read as a reader sees them: front matter out of the text (its metadata kept),
links, images, emphasis, code and quote marks, inline HTML and entities undone."""

from __future__ import annotations

import json

from indexer.documents import load
from indexer.markdown import markdown_to_text
from indexer.metadata import derive
from indexer.normalise import normalise

NOTE = """---
title: "Valuation Working Group: notes"
year: 2021
---
# Valuation

Some **bold** text, _italic_ and *also italic* text, a [link to the secretariat](https://example.org/x)
and an image ![a map of the ports](map.png), `code_span`, <b>inline html</b> &amp; more.

> A block quote about seabed minerals.

```
fenced code line
```

Keep snake_case_names and 2 * 3 * 4 as they are.
"""


def test_front_matter_gives_the_title_and_is_no_text():
    title, text, stated = markdown_to_text(NOTE)

    assert (title, stated) == ("Valuation Working Group: notes", {"year": 2021})
    assert "year: 2021" not in text and "---" not in text


def test_inline_markdown_is_read_as_its_words():
    _, text, _ = markdown_to_text(NOTE)

    assert "Some bold text, italic and also italic text, a link to the secretariat" in text
    assert "an image a map of the ports, code_span, inline html & more." in text
    assert "A block quote about seabed minerals." in text and "> A" not in text
    assert "fenced code line" in text and "```" not in text
    for syntax in ("](", "![", "<b>", "&amp;", "_italic_"):
        assert syntax not in text
    assert "snake_case_names and 2 * 3 * 4" in text


def test_a_markdown_files_front_matter_title_is_its_title(tmp_path):
    (tmp_path / "notes.md").write_text(NOTE)
    loaded = load(tmp_path, "notes.md")
    document = derive({}, "notes.md", loaded.text, loaded.html_title, loaded.stated)

    assert document.values["title"] == "Valuation Working Group: notes"
    assert not loaded.text.text.startswith("title")
    assert [b.text for b in loaded.text.blocks if b.kind == "heading"] == ["Valuation"]


def test_a_markdown_file_without_front_matter_is_untouched_but_for_its_marks():
    assert markdown_to_text("# Heading\n\n---\n\nText after a rule.\n") == (
        None,
        "# Heading\n\n---\n\nText after a rule.\n",
        {},
    )


REPORT = """---
title: Outcomes of the 25th OCO Annual Conference
date: 2023-08-14
place: Nuku'alofa
country: Tonga
countries: [Fiji, TON]
doc_type: session_paper
conference: 25th OCO Annual Conference
author: OCO Secretariat
tags: [valuation, risk]
---
# Valuation

Members reported on undervaluation of imports.
"""


def _document(tmp_path, markup: str, values: dict | None = None):
    (tmp_path / "report.md").write_text(markup)
    loaded = load(tmp_path, "report.md")
    return derive(values or {}, "report.md", loaded.text, loaded.html_title, loaded.stated)


def test_front_matter_gives_the_documents_metadata(tmp_path):
    document = _document(tmp_path, REPORT)

    assert document.values["title"] == "Outcomes of the 25th OCO Annual Conference"
    assert document.values["date"] == "2023-08-14"
    assert document.values["year"] == 2023  # from its date
    assert document.values["place"] == "Nuku'alofa"
    assert document.values["country"] == "TON" and document.values["country_name"] == "Tonga"
    assert document.values["countries"] == "FJI,TON"
    assert document.values["doc_type"] == "session_paper"
    assert document.values["conference"] == "25th OCO Annual Conference"
    assert document.extra == {"author": "OCO Secretariat", "tags": ["valuation", "risk"]}
    assert document.warnings == []


def test_the_manifest_and_sidecars_override_front_matter(tmp_path):
    document = _document(tmp_path, REPORT, {"place": "Suva", "year": "2022", "author": "Chair"})

    assert document.values["place"] == "Suva" and document.values["year"] == 2022
    assert document.values["conference"] == "25th OCO Annual Conference"
    assert document.extra == {"author": "Chair", "tags": ["valuation", "risk"]}


def test_a_bad_front_matter_value_is_reported_and_the_document_still_read(tmp_path):
    markup = REPORT.replace("date: 2023-08-14", "date: last August").replace(
        "country: Tonga", "country: Atlantis"
    )
    document = _document(tmp_path, markup)

    assert document.values["date"] is None and document.values["country"] is None
    assert document.values["place"] == "Nuku'alofa"
    assert len(document.warnings) == 2
    assert document.warnings[0].startswith(
        "its own metadata, date: 'last August' is not an ISO 8601"
    )
    assert "its own metadata, country: 'Atlantis'" in document.warnings[1]


def test_front_matter_that_is_not_yaml_is_read_line_by_line():
    title, text, stated = markdown_to_text(
        "---\ntitle: Report: Part 1\nyear: 2019\n---\nBody text.\n"
    )

    assert (title, stated) == ("Report: Part 1", {"year": "2019"})
    assert text == "Body text.\n"


def test_front_matter_is_indexed_and_filtered_on(tmp_path):
    from indexer.build import build
    from indexer.embedders.fake import FakeEmbedder
    from search_api.search import Query, Searcher

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.md").write_text(REPORT)
    (corpus / "other.md").write_text("# Valuation\n\nMembers reported on valuation rulings.\n")
    embedder = FakeEmbedder()
    build(corpus, tmp_path / "index", embedder)
    searcher = Searcher(tmp_path / "index", embedder)
    response = searcher.search(Query(text="valuation", filters={"place": "Nuku'alofa"}))

    assert [hit.document.source for hit in response.hits] == ["report.md"]
    assert response.hits[0].document.values["year"] == 2023
    assert response.hits[0].document.extra == {
        "author": "OCO Secretariat",
        "tags": ["valuation", "risk"],
    }


def test_front_matter_values_yaml_would_misread_are_read_as_written(tmp_path):
    """YAML 1.1 reads "no" as false and "2023-02-30" as an error of the whole block; front
    matter means the words (Norwegian, Norway) and a date the field judges."""
    markup = (
        "---\ntitle: 1984\nlanguage: no\ncountry: Norway\ndate: 2023-02-30\nplace: on\n"
        "score: .nan\nsize: .inf\ndraft: true\nwarnings: draft\nduplicate_of: another-doc\n"
        "---\n# Heading\n\nMembers met.\n"
    )
    document = _document(tmp_path, markup)

    assert document.values["title"] == "1984"
    assert document.values["language"] == "no" and document.values["country"] == "NOR"
    assert document.values["place"] == "on"
    assert document.values["date"] is None  # no such day: reported, the rest kept
    assert [w for w in document.warnings if "date" in w] == [
        "its own metadata, date: '2023-02-30' is not an ISO 8601 date such as 2024-07-29, "
        "2024-07, 2024 or 2024-07-29/2024-07-31; left out"
    ]
    # no NaN (no JSON value), and the indexer's own keys are not a file's to set
    assert document.extra == {"draft": True}
    json.dumps(document.row(), allow_nan=False)


def test_a_yaml_boolean_is_no_fields_value(tmp_path):
    document = _document(tmp_path, "---\ndoc_type: true\nconference: 25\n---\nText.\n")

    assert document.values["doc_type"] == "document"  # the default, as without it
    assert document.values["conference"] == "25"
    assert any(w.startswith("its own metadata, doc_type: True") for w in document.warnings)


def test_front_matter_a_document_cannot_keep_is_reported_not_lost_silently():
    markup = (
        "---\ntitle: Notes\nyear: 2024\nreviewers: {chair: Fiji, vice: Tonga}\n"
        "score: .nan\nwarnings: none\nduplicate_of: other-doc\nid: my-id\n"
        "tags: [risk, 2024, {odd: 1}]\nkeywords: [valuation, rulings]\n---\nBody text.\n"
    )
    title, text, stated = markdown_to_text(markup)
    document = derive({}, "notes.md", normalise([text]), title, stated)

    assert document.values["year"] == 2024 and document.id == "notes-md"
    assert document.extra == {"keywords": ["valuation", "rulings"]}
    said = "\n".join(document.warnings)
    for words in ("reviewers: a nested mapping is not kept; left out",
                  "score: nan (no number) is not kept; left out",
                  "warnings: a name the indexer keeps for its own notes; left out",
                  "duplicate_of: a name the indexer keeps for its own notes; left out",
                  "id: a document's id is its path's, or the manifest's; left out",
                  "tags: a list holding a nested mapping is not kept; left out"):  # fmt: skip
        assert f"its own metadata, {words}" in said
