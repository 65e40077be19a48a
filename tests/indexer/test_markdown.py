"""Markdown files read as a reader sees them: front matter out of the text (its title kept),
links, images, emphasis, code and quote marks, inline HTML and entities undone."""

from __future__ import annotations

from indexer.documents import load
from indexer.markdown import markdown_to_text
from indexer.metadata import derive

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
    title, text = markdown_to_text(NOTE)

    assert title == "Valuation Working Group: notes"
    assert "year: 2021" not in text and "---" not in text


def test_inline_markdown_is_read_as_its_words():
    _, text = markdown_to_text(NOTE)

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
    document = derive({}, "notes.md", loaded.text, loaded.html_title)

    assert document.values["title"] == "Valuation Working Group: notes"
    assert not loaded.text.text.startswith("title")
    assert [b.text for b in loaded.text.blocks if b.kind == "heading"] == ["Valuation"]


def test_a_markdown_file_without_front_matter_is_untouched_but_for_its_marks():
    assert markdown_to_text("# Heading\n\n---\n\nText after a rule.\n") == (
        "",
        "# Heading\n\n---\n\nText after a rule.\n",
    )
