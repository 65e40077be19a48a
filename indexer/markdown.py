"""Text of a Markdown file as a reader sees it: its front matter (YAML: title, year, date,
place, country …) read as what the file says of itself and left out of the text, links and
images as their words, emphasis, code marks, quote marks, inline HTML and entities gone.
Headings, lists and paragraphs stay for the normaliser.

Bold (`**…**`) is undone for every text by the normaliser (communiqués set labels in it),
here before italics, whose marks it holds; the rest is Markdown's own and is undone here,
for `.md` files only.
"""

from __future__ import annotations

import datetime
import html
import math
import re

import yaml

from indexer.fields import day_of
from indexer.normalise import EMPHASIS

_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
# "key: value" lines, for front matter that is not valid YAML ("title: Report: Part 1")
_KEY_VALUE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.+?)[ \t]*$", re.M)
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


def markdown_to_text(markup: str) -> tuple[str | None, str, dict]:
    """(the front matter's title, the text, its other values by lower-case key), as
    indexer.html.read_html gives a page's."""
    stated: dict = {}
    front = _FRONT_MATTER.match(markup)
    if front:
        stated = front_matter(front.group(1))
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
    title = stated.pop("title", None)  # "title: 1984" is a title too
    title = str(title) if isinstance(title, str | int | float) else None
    return title, html.unescape(text), stated


class _Loader(yaml.SafeLoader):
    """YAML as front matter is written, as YAML 1.2 reads it: "no" and "on" are words
    (Norwegian, a place), not booleans; "0660" is 660 (resolution numbers are written so),
    not octal; dates stay text for the fields to judge ("2023-02-30" is reported, not an
    error of the whole block)."""


_BOOL, _INT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in (_BOOL, _INT, "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}  # fmt: skip
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    try:
        return int(text, 10)
    except ValueError:  # an explicit !!int of another form: kept as written
        return text


_Loader.add_constructor(_INT, _decimal)


def front_matter(block: str) -> dict:
    """The front matter's values: text, numbers, dates as ISO 8601 ("2023-08-14"), lists of
    them. What it cannot keep (a nested mapping, .nan, binary) stands as {"unkept": what it
    is}, for the metadata to report and leave out. Lines of "key: value" where the block is
    not valid YAML."""
    try:
        data = yaml.load(block, Loader=_Loader)  # a SafeLoader: builds no Python objects
    except Exception:  # whatever YAML makes of it (an error, a value it cannot build)
        data = None
    if not isinstance(data, dict):
        data = {key: value.strip("\"'") for key, value in _KEY_VALUE.findall(block)}
    stated = {}
    for key, value in data.items():
        if isinstance(value, list):
            items = [_plain(v) for v in value if v is not None]
            unkept = next((item for item in items if isinstance(item, dict)), None)
            plain = {"unkept": f"a list holding {unkept['unkept']}"} if unkept else items
        else:
            plain = _plain(value)
        if plain not in (None, []):
            stated[str(key).strip().lower()] = plain
    return stated


def _plain(value: object) -> str | int | float | bool | dict | None:
    if isinstance(value, datetime.date | datetime.datetime):  # an explicit !!timestamp
        return value.isoformat()[:10]
    if isinstance(value, str):
        return day_of(value.strip()) or None
    if isinstance(value, float) and not math.isfinite(value):
        return {"unkept": f"{value!r} (no number)"}  # .nan, .inf: no JSON value
    if isinstance(value, bool | int | float) or value is None:
        return value
    kind = "a nested mapping" if isinstance(value, dict) else f"a {type(value).__name__}"
    return {"unkept": kind}
