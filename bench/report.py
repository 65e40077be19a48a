"""The results: rows of one table (each with its target and whether it is met), detail
tables, notes; printed as plain text and written as Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    measure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target
    how: str = ""  # how the figure was obtained: "median of 3 runs", "240 requests"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    name: str
    rows: list[Row] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def status(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "NOT MET")


def _columns(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


HEADERS = ["measure", "value", "target", "status", "how"]


def _cells(row: Row) -> list[str]:
    return [row.measure, row.value, row.target, status(row.met), row.how]


def format_text(machine: list[tuple[str, str]], sections: list[Section], title: str) -> str:
    out = [title, "", "machine:"]
    out += [f"  {name}: {value}" for name, value in machine]
    for section in sections:
        out += ["", f"== {section.name} =="]
        if section.rows:
            out += _columns(HEADERS, [_cells(r) for r in section.rows])
        for table in section.tables:
            out += ["", f"{table.title}:", *_columns(table.headers, table.rows)]
        out += [f"  note: {n}" for n in section.notes]
    missed = [r.measure for s in sections for r in s.rows if r.met is False]
    out += ["", f"targets missed: {', '.join(missed)}" if missed else "all targets met"]
    return "\n".join(out)


def _markdown_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(headers), line(["---"] * len(headers)), *(line(r) for r in rows)]


REPRODUCE = """\
## How to reproduce

```sh
make bench                                   # installs .[dev,bench] into .venv if needed
make bench BENCH_ARGS=--quick                # options pass through BENCH_ARGS
.venv/bin/python -m bench                    # every section: about 17 minutes on 2 cores
.venv/bin/python -m bench --quick            # smaller samples, 100k vectors only: about 3 minutes
.venv/bin/python -m bench --sections indexing,queries,scale,startup
.venv/bin/python -m bench --sections models  # both models served; not in a full run (~25 min)
.venv/bin/python -m bench --output /tmp/b.md # write the Markdown elsewhere
.venv/bin/python -m bench.compare 344069b    # this tree's server against a revision's, alternated
```

A full run (every section, not `--quick`) rewrites this file; other runs only print the table
unless `--output` is given. Everything runs on loopback and in a temporary folder: a fresh
index of `corpus/` is built with `confsearch index`, servers are started with
`confsearch serve` (and txtai's API) on free 127.0.0.1 ports and stopped at the end.
Figures are medians of repeated runs (the `how` column says of what); ratios are measured in
the same run. Timings depend on the machine above: compare only figures taken on one machine.
Each section ends with the CPU other processes used meanwhile: on a shared 2-core machine a
busy neighbour halves throughput (torch's OpenMP threads spin against it), so rerun then.
Between runs the query figures move by 10-20 %: to judge a change to the query path,
`bench.compare` serves this tree and a git revision in turn, round after round, on the same
index and questions, and prints each round and the ratios (about 1.5 minutes a round).
"""


ANALYSIS = """## Analysis

What the figures mean, where the time goes and what was tried is written by hand in
[performance.md](performance.md), which a run never rewrites."""


def to_markdown(
    machine: list[tuple[str, str]], sections: list[Section], title: str, command: str
) -> str:
    out = [f"# {title}", "", f"Produced by `{command}`.", "", "## Machine", ""]
    out += [f"- **{name}**: {value}" for name, value in machine]
    for section in sections:
        out += ["", f"## {section.name}", ""]
        if section.rows:
            out += _markdown_table([h.capitalize() for h in HEADERS],
                                   [_cells(r) for r in section.rows])  # fmt: skip
        for table in section.tables:
            out += ["", f"**{table.title}**", "", *_markdown_table(table.headers, table.rows)]
        if section.notes:
            out += [""] + [f"- {n}" for n in section.notes]
    missed = [r.measure for s in sections for r in s.rows if r.met is False]
    out += ["", "## Targets missed", ""]
    out += [f"- {m}" for m in missed] if missed else ["None."]
    out += ["", ANALYSIS, "", REPRODUCE]
    return "\n".join(out)
