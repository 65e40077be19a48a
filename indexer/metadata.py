"""Document metadata: written by users in `manifest.csv` or sidecars, derived where missing.

Rows of `corpus/manifest.csv` apply in order to every file their `path` (a path or a glob)
matches, later non-empty values overriding earlier ones; a sidecar `FILE.meta.json` next to a
document overrides the manifest. Nothing here knows particular files.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from indexer import countries, resolutions
from indexer.fields import BY_NAME, FIELDS, NAMES
from indexer.normalise import NormalisedText

MANIFEST = "manifest.csv"
SIDECAR_SUFFIX = ".meta.json"
USER_FIELDS = ("id", *NAMES)  # what manifest.csv and sidecars may set
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
# Keys of a document's `extra` the indexer writes: its warnings, reported by every build
# until the file changes, and for a second copy of a resolution (a file named for another
# one holding its text) the document that holds it under its own name. A user's or a
# file's own values under these names are not kept: they would be read as the indexer's.
WARNINGS = "warnings"
COPY_OF = "duplicate_of"


class MetadataError(ValueError):
    pass


@dataclass
class Document:
    id: str
    source: str  # path relative to the corpus root, forward slashes
    values: dict[str, Any]  # a value (or None) for each field of indexer.fields.FIELDS
    extra: dict = field(default_factory=dict)  # the user's other metadata, shown as given
    warnings: list[str] = field(default_factory=list)  # for the build report

    def __getattr__(self, name: str) -> Any:
        """A field's value as an attribute: `document.year`."""
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def row(self) -> dict:
        """The document's columns in the store."""
        extra = json.dumps(self.extra, sort_keys=True)
        return {"id": self.id, "source": self.source, **self.values, "extra": extra}


class Manifest:
    """The metadata users wrote for a corpus."""

    def __init__(self, rows: list[tuple[str, dict]]) -> None:
        self.rows = rows

    @classmethod
    def load(cls, root: Path) -> Manifest:
        path = root / MANIFEST
        if not path.exists():
            return cls([])
        rows = []
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                pattern = (row.pop("path", None) or "").strip()
                if not pattern:
                    raise MetadataError(f"{MANIFEST} line {number}: the path column is empty")
                values = {k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
                rows.append((pattern, values))
        return cls(rows)

    def lookup(self, root: Path, source: str) -> dict:
        values: dict = {}
        for pattern, row in self.rows:
            if pattern == source or fnmatchcase(source, pattern):
                values.update(row)
        sidecar = root / (source + SIDECAR_SUFFIX)
        if sidecar.exists():
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8-sig"))
            except json.JSONDecodeError as exc:
                raise MetadataError(f"{sidecar.name}: not valid JSON ({exc})") from exc
            if not isinstance(data, dict):
                raise MetadataError(f"{sidecar.name}: expected a JSON object")
            values.update({k: v for k, v in data.items() if v not in (None, "")})
        return values


def slug(source: str) -> str:
    """A readable, URL-safe id from the path: `ungdc-pacific/TUV_74_2019.txt` →
    `ungdc-pacific-tuv_74_2019-txt`."""
    return re.sub(r"[^a-z0-9_]+", "-", source.lower()).strip("-")


def derive(
    values: dict,
    source: str,
    text: NormalisedText,
    html_title: str | None = None,
    stated: dict | None = None,
) -> Document:
    """A Document from user metadata, filling what it leaves out from what the file says of
    itself (`html_title`, `stated`: front matter, HTML <meta>, a PDF's information), then
    from the text."""
    values = dict(values)
    known = {k: values.pop(k) for k in list(values) if k in USER_FIELDS}
    own, own_extra, warnings = _stated(stated or {})
    known = {**own, **{k: v for k, v in known.items() if v not in (None, "")}}
    values = {**own_extra, **values}
    # What the text says of itself fills what the user did not write.
    resolution = resolutions.read(text, source, known.get("doc_type") == "resolution")
    if resolution is not None:
        derived = {k: v for k, v in resolution.fields().items() if v is not None}
        known = {**derived, **{k: v for k, v in known.items() if v not in (None, "")}}
    fields = {}
    for f in FIELDS:
        try:
            fields[f.name] = f.value(known.get(f.name))
        except ValueError as exc:
            raise MetadataError(f"{f.name}: {exc}") from exc
    # an upload is stored under a random name: the name its sender gave it says more
    named = values.get("filename") if isinstance(values.get("filename"), str) else None
    fields["title"] = (fields["title"] or html_title or _first_heading(text)
                       or _title_from(named or source))  # fmt: skip
    if fields["country"] and not fields["country_name"]:
        fields["country_name"] = countries.name(fields["country"])
    if fields["year"] is None:
        match = _YEAR.search(fields["date"] or "") or _YEAR.search(text.text[:3000])
        fields["year"] = int(match.group(1)) if match else None
    return Document(
        id=known.get("id") or slug(source),
        source=source,
        values=fields,
        extra={k: v for k, v in values.items() if _keepable(v) and k not in (WARNINGS, COPY_OF)},
        warnings=[*warnings, *(resolution.warnings if resolution else [])],
    )


def _stated(stated: dict) -> tuple[dict, dict, list[str]]:
    """A file's own metadata (Markdown front matter, HTML <meta>), as (fields, other values,
    warnings): a value a field does not accept, or one no document keeps, is reported and
    left out, the document still indexed (the manifest's are errors: whoever wrote it is at
    hand)."""
    fields, extra, warnings = {}, {}, []
    for key, value in stated.items():
        try:
            if isinstance(value, dict):  # what the reader could not keep (indexer.markdown)
                raise ValueError(f"{value.get('unkept', 'a nested mapping')} is not kept")
            if key in (WARNINGS, COPY_OF):
                raise ValueError("a name the indexer keeps for its own notes")
            if key == "id":
                raise ValueError("a document's id is its path's, or the manifest's")
            if key not in BY_NAME:
                extra[key] = value  # text, a number or a list of them ("tags", "author")
                continue
            if key == "title":
                continue  # the reader took it (a title beats the first heading)
            field_ = BY_NAME[key]
            if isinstance(value, bool):  # YAML's true/false is no field's value
                raise ValueError(f"{value!r} is not a value of this field")
            value = field_.value(value)
            if field_.type is str and isinstance(value, int | float):
                value = str(value)  # "conference: 25"
            if not isinstance(value, field_.type):
                raise ValueError(f"{value!r} is not a single {field_.type.__name__} value")
        except ValueError as exc:
            warnings.append(f"its own metadata, {key}: {exc}; left out")
            continue
        fields[key] = value
    return fields, extra, warnings


def _keepable(value: object) -> bool:
    """Text, a finite number or a list of them: what `extra` keeps (JSON, no NaN)."""
    if isinstance(value, list):
        return all(_keepable(item) and not isinstance(item, list) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def _first_heading(text: NormalisedText) -> str | None:
    for block in text.blocks[:5]:
        if block.kind == "heading":
            return block.text
    return None


def _title_from(source: str) -> str:
    return re.sub(r"[_-]+", " ", Path(source).stem).strip().capitalize()
