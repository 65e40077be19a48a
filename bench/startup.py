"""Section 4: re-index of an unchanged corpus, and server cold start to the first answer."""

from __future__ import annotations

import time

import httpx

from bench.common import (
    Context,
    confsearch_server,
    free_port,
    median,
    run_index,
    say,
    wait_until,
    worker_memory,
)
from bench.report import Row, Section

RUNS = 3


def cold_start(ctx: Context, index_dir, question: str, number: int) -> float:
    """Seconds from spawning `confsearch serve` to the first POST /search answered 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ctx.workdir / f"cold-start-{number}.log"

    def answered() -> bool:
        response = httpx.post(f"{url}/search", json={"query": question, "k": 10}, timeout=60)
        return response.status_code == 200

    started = time.perf_counter()
    with confsearch_server(index_dir, port, log) as process:
        wait_until(answered, process, 300, log)
        return time.perf_counter() - started


def run(ctx: Context) -> Section:
    section = Section("Re-index and start-up")
    index_dir = ctx.copy_index("startup-index")
    say(f"startup: {RUNS} re-indexes of the unchanged corpus")
    walls, inside = [], []
    for _ in range(RUNS):
        wall, report = run_index(index_dir)
        if report["published"] or report["embedded"]:
            raise RuntimeError(f"an unchanged corpus was re-indexed: {report}")
        walls.append(wall)
        inside.append(report["seconds"])
    section.rows.append(Row(
        "re-index of the unchanged corpus (`confsearch index`)",
        f"{median(walls):.2f} s wall (build itself {median(inside):.2f} s)",
        "≤ 3 s", median(walls) <= 3, f"median of {RUNS} runs, process start included",
    ))  # fmt: skip
    say(f"startup: {RUNS} cold starts of confsearch serve")
    starts = [
        cold_start(ctx, index_dir, f"what was said on e-commerce ({n})", n) for n in range(RUNS)
    ]
    section.rows.append(Row(
        "cold start: spawn `confsearch serve` → first POST /search 200",
        f"{median(starts):.2f} s (runs: {', '.join(f'{s:.2f}' for s in starts)})",
        "≤ 3 s", median(starts) <= 3, f"median of {RUNS} runs",
    ))  # fmt: skip
    say("startup: memory of 2 and 3 workers")
    two, extra = worker_memory(index_dir, ctx.workdir, ctx.questions[-120:])
    section.rows.append(Row(
        "memory: 2 workers / added by each extra worker (PSS of the process tree)",
        f"{two / 2**20:.0f} MB / +{extra / 2**20:.0f} MB",
        "extra worker < 300 MB", extra < 300 * 2**20,
        "after 120 distinct questions from 8 connections each",
    ))  # fmt: skip
    section.notes.append(
        f"Index of {ctx.corpus_index.report['passages']:,} passages; the files are in the OS page "
        "cache (read by the runs before), as on a server restarted on the same machine."
    )
    return section
