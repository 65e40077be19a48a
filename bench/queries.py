"""Section 2, query latency over HTTP: `confsearch serve` on a fresh index of corpus/,
against txtai on the same passages."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from bench.common import (
    MODEL,
    Context,
    Send,
    concurrent,
    confsearch_send,
    confsearch_server,
    free_port,
    median,
    one_client,
    percentiles,
    process_cpu,
    say,
    server,
    subprocess_env,
    wait_healthy,
    wait_until,
)
from bench.report import Row, Section
from search_api.metrics import STAGES

CLIENTS = 8
RUNS = 3
MAX_REQUESTS = 2000  # over the RUNS load runs of one row together


@dataclass
class Summary:
    """Several runs of one measurement: the median of each run's figures."""

    runs: int
    requests: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    rate: float  # requests/s

    @classmethod
    def of(cls, results: list[tuple[list[float], int, float]]) -> Summary:
        """`results`: (latencies ms, errors, seconds) of each run."""
        cuts = [percentiles(ms) for ms, _, _ in results]
        return cls(
            len(results),
            sum(len(ms) for ms, _, _ in results),
            sum(errors for _, errors, _ in results),
            sum(seconds for _, _, seconds in results),
            *(median([c[p] for c in cuts]) for p in (50, 95, 99)),
            median([len(ms) / seconds for ms, _, seconds in results]),
        )

    def latency(self) -> str:
        return (f"p50 {self.p50:.1f} · p95 {self.p95:.1f} · p99 {self.p99:.1f} ms · "
                f"{self.errors} errors")  # fmt: skip

    def load(self) -> str:
        return f"{self.rate:.0f} req/s · p50 {self.p50:.1f} · p99 {self.p99:.1f} ms · " + (
            f"{self.errors} errors"
        )


class CpuPerRequest:
    """The server's CPU time per request over each measurement, and the cores it kept busy."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.figures: list[str] = []
        self.last = process_cpu(pid)

    def measure(self, summary: Summary) -> Summary:
        now = process_cpu(self.pid)
        used, self.last = now - self.last, now
        self.figures.append(
            f"{1000 * used / summary.requests:.1f} ms ({used / summary.seconds:.2f} cores)"
        )
        return summary


def one_client_runs(send: Send, lists: list[list[str]]) -> Summary:
    results = []
    for questions in lists:
        started = time.perf_counter()
        ms, errors = one_client(send, questions)
        results.append((ms, errors, time.perf_counter() - started))
    return Summary.of(results)


def load_runs(send: Send, lists: list[list[str]], seconds: float) -> Summary:
    runs = [concurrent(send, q, CLIENTS, seconds, MAX_REQUESTS // len(lists)) for q in lists]
    return Summary.of([(r.latencies_ms, r.errors, r.seconds) for r in runs])


def _one_client_row(label: str, summary: Summary, txtai_p50: float | None) -> Row:
    how = f"median of {summary.runs} runs of {summary.requests // summary.runs} requests"
    if txtai_p50 is None:  # the cache path: no counterpart in txtai
        met = summary.p99 <= 40 and summary.errors == 0
        return Row(label, summary.latency(), "p99 ≤ 40 ms", met, how)
    met = summary.p50 <= txtai_p50 and summary.p99 <= 40 and summary.errors == 0
    return Row(label, summary.latency(), f"p50 ≤ txtai's ({txtai_p50:.1f}), p99 ≤ 40 ms", met,
               how)  # fmt: skip


def _load_row(label: str, summary: Summary, seconds: float, one: Summary) -> Row:
    times = summary.rate / one.rate
    met = summary.rate >= 150 and times >= 1.8 and summary.errors == 0
    how = (f"median of {summary.runs} runs of ≤ {seconds:.0f} s / "
           f"{MAX_REQUESTS // summary.runs} requests ({summary.requests} in all); "
           f"{times:.2f}× the 1-client rate ({one.rate:.0f} req/s)")  # fmt: skip
    return Row(label, summary.load(), "≥ 150 req/s and ≥ 1.8× 1 client, 0 errors", met, how)


def run(ctx: Context) -> Section:
    section = Section("Query latency over HTTP (loopback)")
    pool = iter(ctx.questions)
    count = 100 if ctx.quick else 240
    seconds = 3.0 if ctx.quick else 7.0
    per_load = MAX_REQUESTS // RUNS

    def take(n: int) -> list[str]:
        return list(itertools.islice(pool, n))

    distinct = [take(count) for _ in range(RUNS)]  # each question asked once per list
    fresh = [take(per_load) for _ in range(RUNS)]  # never asked before the load runs
    txtai_distinct = [take(count) for _ in range(RUNS)]
    dense_only = [take(count) for _ in range(RUNS)]  # semantic mode: txtai's one leg
    txtai_fresh = [take(per_load) for _ in range(RUNS)]
    index = ctx.corpus_index
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ctx.workdir / "confsearch-serve.log"
    say(f"queries: confsearch serve on {url}")
    took: list[float] = []
    stages: list[dict[str, float]] = []
    with confsearch_server(index.path, port, log) as process:
        wait_healthy(url, process, log)
        send = confsearch_send(url)
        one_client(send, [f"warm-up question number {i}" for i in range(10)])
        cpu = CpuPerRequest(process.pid)
        timed = confsearch_send(url, took=took, stages=stages)
        one_distinct = cpu.measure(one_client_runs(timed, distinct))
        one_repeated = cpu.measure(one_client_runs(send, [distinct[0]] * RUNS))  # cached now
        semantic = cpu.measure(one_client_runs(confsearch_send(url, mode="semantic"), dense_only))
        say(f"queries: {CLIENTS} clients, distinct then repeated questions")
        load_fresh = cpu.measure(load_runs(send, fresh, seconds))
        load_repeated = cpu.measure(load_runs(send, distinct, seconds))

    label, txtai_one, txtai_load = _txtai(ctx, txtai_distinct, txtai_fresh, seconds)
    section.rows += [
        _one_client_row("confsearch, 1 client, distinct questions (model path)", one_distinct,
                        txtai_one.p50),
        _one_client_row("confsearch, 1 client, repeated questions (cache path)", one_repeated,
                        None),
        _one_client_row("confsearch, 1 client, distinct questions, semantic mode (the dense "
                        "leg alone, as txtai)", semantic, txtai_one.p50),
        _load_row(f"confsearch, {CLIENTS} clients, distinct questions", load_fresh, seconds,
                  one_distinct),
        _load_row(f"confsearch, {CLIENTS} clients, repeated questions", load_repeated, seconds,
                  one_repeated),
    ]  # fmt: skip
    beyond = [s["total"] - s.get("model", 0.0) for s in stages if "total" in s]
    section.rows.append(Row(
        "server-side time beyond the model's forward pass (1 client, distinct)",
        f"p50 {median(beyond):.2f} ms of a {median(took):.2f} ms took_ms",
        "p50 ≤ 4 ms", median(beyond) <= 4, f"{len(beyond)} requests, from Server-Timing",
    ))  # fmt: skip
    section.rows.append(Row(
        "server-side stages (1 client, distinct): median ms",
        " · ".join(f"{name} {median([s.get(name, 0.0) for s in stages]):.2f}"
                   for name in STAGES),
        how="'embedding' is the wait for the vector after the keyword leg ran meanwhile",
    ))  # fmt: skip
    server_side = percentiles(took)
    section.notes.append(
        f"POST /search with k=10, hybrid mode (the default), over {index.report['passages']:,} "
        f"passages, served by `confsearch serve` with its default workers (one per core: "
        f"{os.cpu_count()}). "
        f"Server-side took_ms of the distinct questions: p50 {server_side[50]:.1f}, "
        f"p99 {server_side[99]:.1f} ms; the rest of each latency is HTTP, JSON and the client, "
        "which shares the 2 cores with the server."
    )
    section.notes.append(
        "Server CPU per request (from /proc): 1 client "
        f"{cpu.figures[0]} distinct, {cpu.figures[1]} repeated, {cpu.figures[2]} semantic; "
        f"{CLIENTS} clients {cpu.figures[3]} distinct, {cpu.figures[4]} repeated."
    )

    section.rows += [
        Row(f"{label}, 1 client, distinct questions", txtai_one.latency(),
            how=f"median of {txtai_one.runs} runs of {txtai_one.requests // RUNS} requests"),
        Row(f"{label}, {CLIENTS} clients, distinct questions", txtai_load.load(),
            how=f"median of {txtai_load.runs} runs ({txtai_load.requests} requests in all)"),
    ]  # fmt: skip
    ratio_one = txtai_one.p50 / one_distinct.p50
    ratio_load = load_fresh.rate / txtai_load.rate if txtai_load.rate else float("nan")
    section.rows.append(Row(
        "confsearch vs txtai (distinct questions)",
        f"1-client p50: txtai's / confsearch's = {ratio_one:.2f} · "
        f"{CLIENTS}-client req/s: confsearch's / txtai's = {ratio_load:.2f}",
        how="ratios of the figures above",
    ))  # fmt: skip
    section.notes.append(
        "txtai answers GET /search?query=…&limit=10 with the passage text and score only (no "
        "filters, keyword leg, highlights or document metadata); its index holds the same "
        "passages and their confsearch vectors, and it embeds each question with its own "
        "sentence-transformers model in fp32."
    )
    return section


# -- txtai ------------------------------------------------------------------------------


def build_txtai_index(generation: Path, target: Path) -> None:
    """A txtai index (content=True, faiss) of the generation's passages with the vectors
    confsearch computed (txtai's external vectors: saves re-embedding the corpus in fp32),
    then switched to txtai's own model for the questions."""
    import txtai

    from indexer.embedding import resolve_model_path

    db = sqlite3.connect(f"file:{generation / 'passages.sqlite'}?mode=ro", uri=True)
    rows = db.execute("SELECT id, text FROM passages ORDER BY id").fetchall()
    db.close()
    vectors = np.load(generation / "embeddings.npy")
    by_text = {text: vectors[i] for i, text in rows}

    def lookup(texts):
        return np.stack([by_text[t] for t in texts])

    embeddings = txtai.Embeddings(method="external", transform=lookup, content=True)
    embeddings.index([(str(i), {"text": text}, None) for i, text in rows])
    embeddings.save(str(target))
    config_path = target / "config.json"
    config = json.loads(config_path.read_text())
    config.pop("method")
    config.pop("transform")
    config["path"] = str(resolve_model_path(MODEL))
    config_path.write_text(json.dumps(config, indent=2))


def _txtai(ctx: Context, distinct: list[list[str]], fresh: list[list[str]], seconds: float):
    folder = ctx.workdir / "txtai-index"
    say("queries: building the txtai index of the same passages")
    build_txtai_index(ctx.corpus_index.generation, folder)
    try:
        import txtai.api  # noqa: F401  (needs txtai[api])
    except ImportError:
        return _txtai_in_process(folder, distinct, fresh, seconds)
    config = ctx.workdir / "txtai.yml"
    config.write_text(f"path: {folder}\nwritable: false\nembeddings:\n  content: true\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ctx.workdir / "txtai-api.log"
    command = [sys.executable, "-m", "uvicorn", "txtai.api:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip

    def send(client: httpx.Client, question: str) -> bool:
        response = client.get(f"{url}/search", params={"query": question, "limit": 10})
        return response.status_code == 200

    say(f"queries: txtai API on {url}")
    with server(command, subprocess_env(CONFIG=str(config)), log) as process:
        ready = f"{url}/search?query=warm+up&limit=1"
        wait_until(lambda: httpx.get(ready).status_code == 200, process, 300, log)
        one_client(send, [f"warm-up question number {i}" for i in range(10)])
        one = one_client_runs(send, distinct)
        load = load_runs(send, fresh, seconds)
    return "txtai API (uvicorn)", one, load


def _txtai_in_process(folder: Path, distinct: list, fresh: list, seconds: float):
    import txtai

    embeddings = txtai.Embeddings()
    embeddings.load(str(folder))
    lock = threading.Lock()  # as txtai's own application does around search

    def send(_client, question: str) -> bool:
        with lock:
            return isinstance(embeddings.search(question, 10), list)

    one_client(send, [f"warm-up question number {i}" for i in range(10)])
    one = one_client_runs(send, distinct)
    load = load_runs(send, fresh, seconds)
    return "txtai in-process embeddings.search (no txtai[api])", one, load
