"""Prometheus metrics, served at GET /metrics (search_api/routes.py), with the official client

What is counted: requests by route template, method and status, their latency per route;
each search stage's time (embedding: waiting for the question's vector; dense; keyword;
fusion: fuse, collapse, preferences; read: the page's rows and highlights), summed over one
search and observed once; the generation served, its age and its counts; index builds
(their duration and outcome); rate-limit refusals. docs/deployment.md lists the names.

Several worker processes: `confsearch serve` points prometheus_client's multi-process mode at
one folder (`PROMETHEUS_MULTIPROC_DIR` if set, else `CONFSEARCH_METRICS_DIR`, else a temporary
folder), emptied at start, where every worker writes its values; /metrics adds them up
(MultiProcessCollector), whichever worker answers. The client chooses that mode when it is
first imported, so it is imported here only when the first metric is made, once per process,
after `serve` has set the folder. Without the folder (tests, the CLI) the default registry
of this process is used. The generation gauges are per worker; the most is shown, and only
of living workers ("livemax"): a worker's files are marked dead once its process is gone.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import wraps
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from search_api.state import process_alive

if TYPE_CHECKING:
    from indexer.store import Generation
    from search_api.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The text format generate_latest writes (the client's CONTENT_TYPE_LATEST names 1.0.0 in
# its newest versions).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# "embedding" is the wait for the question's vector after the keyword leg ran meanwhile;
# "model" is the forward pass itself (on the model thread; 0 when cached or batched along);
# "filter" reads the passages a filter (or the question's understood preferences) allows.
STAGES = ("model", "embedding", "filter", "dense", "keyword", "fusion", "read")
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STAGE = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BUILD = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


_made: list[SimpleNamespace] = []
_lock = threading.RLock()


def _metrics() -> SimpleNamespace:
    """The metric objects, made once per process on first use (see the module's note): at
    the latest when the app starts (search_api/access.py)."""
    if not _made:
        with _lock:
            if not _made:
                _made.append(_make())
    return _made[0]


def ready() -> None:
    """Make the metrics now (they show at zero from the first scrape)."""
    _metrics()


def _make() -> SimpleNamespace:
    from prometheus_client import Counter, Gauge, Histogram

    return SimpleNamespace(
        requests=Counter("confsearch_requests", "HTTP requests by route template, method "
                         "and status", ["route", "method", "status"]),
        request_seconds=Histogram("confsearch_request_seconds", "Time to answer a request, "
                                  "by route template", ["route"], buckets=_LATENCY),
        stage_seconds=Histogram("confsearch_search_stage_seconds", "Time one search spent in "
                                "a stage: " + ", ".join(STAGES), ["stage"], buckets=_STAGE),
        generation=Gauge("confsearch_generation_info", "The index generation served (1)",
                         ["generation"], multiprocess_mode="livemax"),
        age=Gauge("confsearch_generation_age_seconds", "Seconds since the generation served "
                  "was built", multiprocess_mode="livemax"),
        passages=Gauge("confsearch_passages_indexed", "Passages in the generation served",
                       multiprocess_mode="livemax"),
        documents=Gauge("confsearch_documents_indexed", "Documents in the generation served",
                        multiprocess_mode="livemax"),
        build_seconds=Histogram("confsearch_build_seconds", "Duration of index builds",
                                buckets=_BUILD),
        builds=Counter("confsearch_builds", "Index builds by outcome: published, unchanged, "
                       "failed", ["outcome"]),
        rate_limited=Counter("confsearch_rate_limited", "Requests refused by a rate limit "
                             "(429), by route template", ["route"]),
    )  # fmt: skip


# -- recording -------------------------------------------------------------------------------


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    m = _metrics()
    m.requests.labels(route, method, str(status)).inc()
    m.request_seconds.labels(route).observe(seconds)
    if status == 429:
        m.rate_limited.labels(route).inc()


_stages: ContextVar[dict[str, float] | None] = ContextVar("confsearch_stages", default=None)


@contextmanager
def stage(name: str):
    """Times a step of a search (a `with` block, or a decorator); inside `timed_search` the
    times of one stage add up and are observed once, at the end of the search."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record(name, time.perf_counter() - started)


def record(name: str, seconds: float) -> None:
    """Adds time spent elsewhere to a stage: the model's forward pass runs on its own thread."""
    totals = _stages.get()
    if totals is None:
        _metrics().stage_seconds.labels(name).observe(seconds)
    else:
        totals[name] = totals.get(name, 0.0) + seconds


def timed_search(method: Callable) -> Callable:
    """Decorates Searcher.search: observes the stages of each search, and after it the
    generation it was answered from (so that every worker's generation gauges stay current)."""

    @wraps(method)
    def search(searcher, *args, **kwargs):
        totals: dict[str, float] = {}
        token = _stages.set(totals)
        try:
            result = method(searcher, *args, **kwargs)
        finally:
            _stages.reset(token)
            histogram = _metrics().stage_seconds
            for name, seconds in totals.items():
                histogram.labels(name).observe(seconds)
        result.timings = totals  # said back in the Server-Timing header
        observe_generation(searcher.generation)
        return result

    return search


def timed_build(function: Callable) -> Callable:
    """Decorates the build service (search_api/indexing.py run_build): its duration and
    outcome, published, unchanged (nothing to publish) or failed."""

    @wraps(function)
    def run(*args, **kwargs):
        started = time.perf_counter()
        m = _metrics()
        try:
            report = function(*args, **kwargs)
        except Exception:
            m.builds.labels("failed").inc()
            m.build_seconds.observe(time.perf_counter() - started)
            raise
        m.builds.labels("published" if report.published else "unchanged").inc()
        m.build_seconds.observe(report.seconds or time.perf_counter() - started)
        return report

    return run


_served: list[str] = []  # the generation this process's gauges name (at most one)
_created: dict[str, float | None] = {}


def observe_generation(gen: Generation) -> None:
    """The generation this process serves: its name, age and counts."""
    m = _metrics()
    with _lock:
        if _served != [gen.name]:
            for old in _served:
                m.generation.labels(old).set(0)  # a worker's file keeps it: 0, not gone
                m.generation.remove(old)
            m.generation.labels(gen.name).set(1)
            _served[:] = [gen.name]
        if gen.name not in _created:
            _created[gen.name] = _timestamp(gen.manifest.get("created"))
        created = _created[gen.name]
    counts = gen.manifest.get("counts", {})
    if created is not None:
        m.age.set(max(0.0, time.time() - created))
    m.passages.set(counts.get("passages") or 0)
    m.documents.set(counts.get("documents") or 0)


def _timestamp(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# -- the multi-process folder and the exposition ---------------------------------------------


def prepare(settings: Settings, workers: int) -> Path | None:
    """For `confsearch serve`, before its workers start: the folder where every worker keeps
    its metrics (PROMETHEUS_MULTIPROC_DIR, else CONFSEARCH_METRICS_DIR, else for several
    workers a temporary folder removed at exit), emptied of an earlier run's files. None: one
    process, whose own registry is served."""
    given = os.environ.get(MULTIPROC_ENV) or settings.metrics_dir
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
    elif workers > 1:
        folder = Path(tempfile.mkdtemp(prefix="confsearch-metrics-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    else:
        return None
    os.environ[MULTIPROC_ENV] = str(folder)  # inherited by the worker processes
    return folder


def exposition(generation: Generation | None = None) -> bytes:
    """Every metric in the text format: this process's, or every worker's added up."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if generation is not None:
        observe_generation(generation)
    else:
        _metrics()
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return generate_latest(REGISTRY)
    for name in os.listdir(folder):  # workers that are gone: their live gauges go too
        match = _LIVE_GAUGE_FILE.fullmatch(name)
        if match and not process_alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), folder)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, folder)
    return generate_latest(registry)
