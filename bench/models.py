"""Optional section `models` (`python -m bench --sections models`; not in a full run: the
all-mpnet-base-v2 index of corpus/ takes about 20 minutes to build on 2 cores): the queries
section's latency and load rows for each embedded model, each served by `confsearch serve`
with its default workers on its own fresh index, one model after the other in one run."""

from __future__ import annotations

import itertools

from bench.common import (
    MODEL,
    Context,
    confsearch_send,
    confsearch_server,
    free_port,
    median,
    one_client,
    run_index,
    say,
    wait_healthy,
)
from bench.queries import RUNS, CpuPerRequest, load_runs, one_client_runs
from bench.report import Row, Section

MODELS = (MODEL, "all-mpnet-base-v2")


def run(ctx: Context) -> Section:
    section = Section("Query latency by model (HTTP, loopback)")
    pool = iter(ctx.questions[4000:])
    count = 100 if ctx.quick else 240
    seconds = 3.0 if ctx.quick else 7.0
    for model in MODELS:
        if model == MODEL:
            index = ctx.corpus_index.path
        else:
            say(f"models: indexing corpus/ with {model}")
            index = ctx.workdir / f"index-{model}"
            wall, report = run_index(index, model=model)
            section.notes.append(f"{model}: `confsearch index` of corpus/ took {wall:.0f} s "
                                 f"({report['passages']:,} passages).")  # fmt: skip
        distinct = [list(itertools.islice(pool, count)) for _ in range(RUNS)]
        fresh = [list(itertools.islice(pool, 2000 // RUNS)) for _ in range(RUNS)]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = ctx.workdir / f"serve-{model}.log"
        stages: list[dict[str, float]] = []
        say(f"models: {model} on {url}")
        with confsearch_server(index, port, log, model=model) as process:
            wait_healthy(url, process, log)
            one_client(confsearch_send(url), [f"warm-up question {i}" for i in range(10)])
            cpu = CpuPerRequest(process.pid)
            one = cpu.measure(one_client_runs(confsearch_send(url, stages=stages), distinct))
            load = cpu.measure(load_runs(confsearch_send(url), fresh, seconds))
        forward = median([s.get("model", 0.0) for s in stages])
        beyond = median([s["total"] - s.get("model", 0.0) for s in stages if "total" in s])
        section.rows += [
            Row(f"{model}: 1 client, distinct questions", one.latency(),
                how=f"median of {one.runs} runs of {one.requests // one.runs} requests"),
            Row(f"{model}: 8 clients, distinct questions", load.load(),
                how=f"median of {load.runs} runs of ≤ {seconds:.0f} s"),
            Row(f"{model}: forward pass / server time beyond it (1 client)",
                f"p50 {forward:.2f} / {beyond:.2f} ms", how="from Server-Timing"),
        ]  # fmt: skip
        section.notes.append(f"{model}: server CPU per request {cpu.figures[0]} (1 client), "
                             f"{cpu.figures[1]} (8 clients).")  # fmt: skip
    return section
