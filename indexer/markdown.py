"""Text of a Markdown file as a reader sees it: its front matter's title taken and the block
left out of the text, links and images as their words, emphasis, code marks, quote marks,
inline HTML and entities gone. Headings, lists and paragraphs stay for the normaliser.

Bold (`**…**`) is undone for every text by the normaliser (communiqués set labels in it),
here before italics, whose marks it holds; the rest is Markdown's own and is undone here,
for `.md` files only.
"""

from __future__ import annotations

import html
import re

from indexer.normalise import EMPHASIS

_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
_TITLE = re.compile(r"^title[ \t]*:[ \t]*(.+?)[ \t]*$", re.M)
_FENCE = re.compile(r"^[ \t]{0,3}(?:```|~~~).*$", re.M)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$\n?", re.M)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_CODE = re.compile(r"(`+)(.+?)\1")
# _italic_ or *italic*, not snake_case words nor a "* " bullet
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.M)
_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")


def markdown_to_text(markup: str) -> tuple[str, str]:
    """(title from the front matter, or "", the text)."""
    title = ""
    front = _FRONT_MATTER.match(markup)
    if front:
        named = _TITLE.search(front.group(1))
        title = named.group(1).strip().strip("\"'") if named else ""
        markup = markup[front.end() :]
    text = _FENCE.sub("", markup)
    text = _LINK_DEFINITION.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _CODE.sub(r"\2", text)
    text = _ITALIC.sub(r"\2", EMPHASIS.sub(r"\2", text))
    text = _QUOTE.sub("", text)
    text = _TAG.sub("", text)
    return title, html.unescape(text)
