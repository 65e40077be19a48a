"""The catalogue of indexed documents: listing them and reading one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from indexer.store import Generation
from search_api.filters import Condition
from search_api.query import QueryError
from search_api.results import DocumentInfo


class NotFound(LookupError):
    pass


@dataclass
class Link:
    """One end of a reference between resolutions."""

    id: str | None  # the document, when it is in the index
    symbol: str | None
    number: int | None
    year: int | None
    paragraph: str  # where the citing document makes the reference: "preamble", "2", "operative"


@dataclass
class DocumentPage:
    total: int
    offset: int
    limit: int
    documents: list[DocumentInfo]


# How a listing may be ordered; a leading "-" reverses. Documents without the value last.
SORTS = {
    "year": "d.year IS NULL, d.year {dir}, d.number, d.title",
    "number": "d.number IS NULL, d.number {dir}, d.year, d.title",
    "title": "d.title {dir}",
}


def order_by(sort: str) -> str:
    """The SQL ORDER BY of a `sort` value ("-year", "number", …), or a QueryError."""
    name = sort.removeprefix("-")
    if name not in SORTS:
        choices = ", ".join(f"{n}, -{n}" for n in SORTS)
        raise QueryError(f"sort must be one of {choices}, not {sort!r}")
    return SORTS[name].format(dir="DESC" if sort.startswith("-") else "ASC")


def list_documents(
    gen: Generation, condition: Condition, offset: int, limit: int, sort: str = "-year"
) -> DocumentPage:
    """Documents matching `condition` in `sort` order (newest first by default), with their
    passage counts."""
    clause = f"WHERE {condition.sql}" if condition.sql else ""
    total = gen.query_one(f"SELECT count(*) FROM documents d {clause}", condition.params)[0]
    rows = gen.query(
        f"SELECT * FROM documents d {clause} ORDER BY {order_by(sort)} LIMIT ? OFFSET ?",
        [*condition.params, limit, offset],
    )
    documents = [_info(row) for row in rows]
    return DocumentPage(total, offset, limit, documents)


def get_document(gen: Generation, doc_id: str, include_text: bool = False) -> DocumentInfo:
    row = gen.query_one("SELECT * FROM documents WHERE id = ?", (doc_id,))
    if row is None:
        raise NotFound(f"no document with id {doc_id!r}; list them with GET /documents")
    document = _info(row)
    if include_text:
        document.text = row["text"]
    document.cites = cites(gen, doc_id)
    document.cited_by = cited_by(gen, doc_id, row["number"]) if row["number"] else []
    return document


# Of two documents of one number, the one read from a resolution's own text first: not a
# second copy (a file named for another), and with a symbol (not a note that says it is
# that resolution).
_OWN_FIRST = "extra LIKE '%\"duplicate_of\"%', symbol IS NULL, id"


def cites(gen: Generation, doc_id: str) -> list[Link]:
    """The resolutions the document refers to, in the order of its text, with the
    paragraph of each reference; `id` None for one not in the index."""
    rows = gen.query(
        "SELECT number, year, paragraph FROM citations WHERE document_id = ? ORDER BY rowid",
        (doc_id,),
    )
    numbers = sorted({r["number"] for r in rows})
    marks = ",".join("?" for _ in numbers)
    known: dict[int, list] = {}
    if numbers:
        for d in gen.query(f"SELECT id, symbol, number, year FROM documents WHERE number IN "
                           f"({marks}) ORDER BY {_OWN_FIRST}", numbers):  # fmt: skip
            known.setdefault(d["number"], []).append(d)
    links = []
    for r in rows:
        targets = known.get(r["number"], [])
        # Two files may hold one resolution (one under another's name): the year decides.
        target = next((d for d in targets if d["year"] == r["year"]), None) or next(
            iter(targets), None
        )
        written = f"S/RES/{r['number']}" + (f" ({r['year']})" if r["year"] else "")
        symbol = target["symbol"] if target else written
        year = target["year"] if target else r["year"]
        links.append(Link(target and target["id"], symbol, r["number"], year, r["paragraph"]))
    return links


def cited_by(gen: Generation, doc_id: str, number: int) -> list[Link]:
    """The documents that refer to resolution `number`, in the order of their numbers, with
    the paragraph that refers to it."""
    rows = gen.query(
        "SELECT d.id, d.symbol, d.number, d.year, c.paragraph FROM citations c "
        "JOIN documents d ON d.id = c.document_id WHERE c.number = ? AND d.id != ? "
        "ORDER BY d.number IS NULL, d.number, d.id, c.rowid",
        (number, doc_id),
    )
    return [Link(r["id"], r["symbol"], r["number"], r["year"], r["paragraph"]) for r in rows]


@dataclass
class Node:
    """A resolution reached by following references, `depth` steps from where the walk
    began (0: that document)."""

    id: str
    symbol: str | None
    number: int | None
    year: int | None
    title: str | None
    depth: int


@dataclass
class Edge:
    """A reference: `source` refers to `target` (ids; `target` None for a resolution not in
    the index, then named by `symbol`) in `paragraph`."""

    source: str
    target: str | None
    symbol: str | None
    paragraph: str


@dataclass
class Lineage:
    direction: str  # "cited_by": what later built on it; "cites": what it built on
    depth: int
    nodes: list[Node]
    edges: list[Edge]
    truncated: bool  # stopped at the limit of nodes


LINEAGE_DIRECTIONS = ("cited_by", "cites")


def lineage(gen: Generation, doc_id: str, direction: str, depth: int, limit: int) -> Lineage:
    """The resolutions reached from a document by following references `depth` steps, one
    direction only: those that cite it, then those that cite them (what later resolutions
    built on it), or those it cites and so on back. Breadth first, each document once (at
    the fewest steps), at most `limit` of them besides the first."""
    if direction not in LINEAGE_DIRECTIONS:
        raise QueryError(f"direction must be one of {', '.join(LINEAGE_DIRECTIONS)}")
    row = gen.query_one(f"SELECT {_NODE}, d.extra FROM documents d WHERE id = ?", (doc_id,))
    if row is None:
        raise NotFound(f"no document with id {doc_id!r}; list them with GET /documents")
    # A second copy of a resolution (a file named for another) holds none of the references:
    # they are counted with the document that holds that resolution under its own name.
    holder = json.loads(row["extra"] or "{}").get("duplicate_of")
    if holder:
        row = gen.query_one(f"SELECT {_NODE} FROM documents d WHERE id = ?", (holder,)) or row
    nodes = {row["id"]: _node(row, 0)}
    edges: list[Edge] = []
    frontier = [row]
    truncated = False
    # One step more than `depth`, adding no document: the references among the last ones
    for step in range(1, depth + 2):
        found = _cited_by(gen, frontier) if direction == "cited_by" else _cites(gen, frontier)
        frontier = []
        for source, target, symbol, paragraph in found:
            reached = source if direction == "cited_by" else target
            if reached is not None and reached["id"] not in nodes:
                if step > depth:
                    continue
                if len(nodes) > limit:
                    truncated = True
                    continue
                nodes[reached["id"]] = _node(reached, step)
                frontier.append(reached)
            if reached is None or reached["id"] in nodes:
                edges.append(Edge(source["id"], target and target["id"], symbol, paragraph))
        if not frontier:
            break
    return Lineage(direction, depth, list(nodes.values()), edges, truncated)


_NODE = "d.id, d.symbol, d.number, d.year, d.title"  # a node's columns, not the text
_NUMBERED = re.compile(r"^(?:S/RES/)?(\d{1,5})(?:\s*\((\d{4})\))?$", re.IGNORECASE)


def find(gen: Generation, name: str) -> str:
    """The id of the document `name` names: its id, or a resolution's symbol or number
    ("S/RES/660 (1990)", "660"); of two copies of one resolution, the one filed under its
    own number."""
    name = name.strip()
    if gen.query_one("SELECT 1 FROM documents WHERE id = ?", (name,)):
        return name
    numbered = _NUMBERED.match(name)
    if numbered:
        number, year = int(numbered.group(1)), numbered.group(2)
        row = gen.query_one(
            "SELECT id FROM documents WHERE number = ? AND (? IS NULL OR year = ?) "
            f"ORDER BY {_OWN_FIRST} LIMIT 1",
            (number, year and int(year), year and int(year)),
        )
        if row is not None:
            return row["id"]
    raise NotFound(f"no document with id {name!r} and no resolution numbered so in the index")


def _node(row, depth: int) -> Node:
    return Node(row["id"], row["symbol"], row["number"], row["year"], row["title"], depth)


def _cited_by(gen: Generation, rows: list) -> list[tuple]:
    """(citing document, cited document, its symbol, paragraph) for the documents that cite
    any of `rows`, in the order of their numbers."""
    by_number = {r["number"]: r for r in rows if r["number"] is not None}
    if not by_number:
        return []
    marks = ",".join("?" for _ in by_number)
    found = gen.query(
        f"SELECT {_NODE}, c.number AS cited, c.paragraph FROM citations c "
        f"JOIN documents d ON d.id = c.document_id WHERE c.number IN ({marks}) "
        f"ORDER BY d.number IS NULL, d.number, d.id, c.rowid",
        list(by_number),
    )
    return [(r, by_number[r["cited"]], by_number[r["cited"]]["symbol"], r["paragraph"])
            for r in found if r["id"] != by_number[r["cited"]]["id"]]  # fmt: skip


def _cites(gen: Generation, rows: list) -> list[tuple]:
    """(citing document, cited document or None, its symbol, paragraph) for the references
    `rows` make, in the order of their text; a resolution not in the index is named only."""
    links = [(row, link) for row in rows for link in cites(gen, row["id"])]
    ids = sorted({link.id for _, link in links if link.id is not None})
    marks = ",".join("?" for _ in ids)
    targets = {r["id"]: r for r in gen.query(
        f"SELECT {_NODE} FROM documents d WHERE id IN ({marks})", ids)} if ids else {}  # fmt: skip
    return [(row, targets.get(link.id), link.symbol, link.paragraph) for row, link in links]


def _info(row) -> DocumentInfo:
    document = DocumentInfo.from_row(row)
    document.passage_count = row["passage_count"]
    return document
