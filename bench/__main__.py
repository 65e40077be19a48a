"""`python -m bench [--quick] [--sections indexing,...,ingestion] [--output PATH]`"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import indexing, ingestion, machine, models, queries, scale, startup, understanding
from bench.common import REPO, Context, CpuWatch, say
from bench.report import Row, Section, format_text, to_markdown

SECTIONS = {
    "indexing": indexing,
    "queries": queries,
    "scale": scale,
    "startup": startup,
    "understanding": understanding,
    "ingestion": ingestion,
}
OPTIONAL = {"models": models}  # asked for by name only: not part of a full run
DOC = REPO / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smaller samples, 100k vectors only (under 5 minutes)")  # fmt: skip
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, from {', '.join(SECTIONS)} "
                        f"(and {', '.join(OPTIONAL)}, only when named)")  # fmt: skip
    parser.add_argument("--output", type=Path, default=None,
                        help="Markdown file to write (default: docs/benchmarks.md after a "
                        "full run; nothing otherwise)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sections.split(",") if n.strip()]
    known = {**SECTIONS, **OPTIONAL}
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    full = not args.quick and set(names) == set(SECTIONS)
    output = args.output or (DOC if full else None)

    os.chdir(REPO)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="confsearch-bench-"))
    say(f"work folder {workdir}")
    ctx = Context(args.quick, workdir)
    description = machine.describe()
    results: list[Section] = []
    try:
        for name in names:
            say(f"section {name}")
            with CpuWatch() as watch:
                try:
                    section = known[name].run(ctx)
                except Exception as exc:  # reported in the table; the other sections run
                    traceback.print_exc()
                    failure = f"{type(exc).__name__}: {exc}"[:300]
                    section = Section(name, [Row(f"{name} failed", failure, met=False)])
            section.notes.append(watch.describe())
            results.append(section)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    mode = "--quick" if args.quick else "full"
    title = f"confsearch benchmarks ({mode} run, {time.strftime('%Y-%m-%d')}, {minutes:.1f} min)"
    print(format_text(description, results, title))
    if output is not None:
        command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(to_markdown(description, results, title, command.strip()) + "\n")
        say(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
