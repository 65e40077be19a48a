"""`python -m bench.compare REV [--rounds N]`: this working tree's server against revision REV,
alternated in one run on one index.

Figures on a shared 2-core machine move by 10-20 % from one run to the next (benchmarks.md
says so of every section); a change to the query path is judged by serving both builds in
turn, round after round, on the same questions. Each round starts each build's `confsearch
serve` (default workers) and measures one client over distinct questions, then 8 clients for
a few seconds; the builds answer the same questions in a round and new ones the next round.
REV is checked out in a temporary git worktree and runs on this environment's packages; it
serves the same index, or `--baseline-index` where its index format is not this tree's (the
indexes are read, never written).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    REPO,
    concurrent,
    confsearch_send,
    free_port,
    median,
    one_client,
    percentiles,
    process_cpu,
    question_pool,
    server,
    subprocess_env,
    wait_healthy,
)

CLIENTS = 8


def serve_command(tree: Path, index_dir: Path, port: int) -> tuple[list[str], dict]:
    """`confsearch serve` of the code in `tree`, with this environment's packages."""
    code = "from search_api.cli import main; main()"
    command = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--index-dir", str(index_dir)]  # fmt: skip
    env = subprocess_env(
        PYTHONPATH=str(tree), CONFSEARCH_INDEX_DIR=str(index_dir),
        CONFSEARCH_RATE_LIMIT="1000000/minute",
    )  # fmt: skip
    return command, env


def measure(tree: Path, index_dir: Path, one: list[str], load: list[str], seconds: float,
            log: Path) -> dict[str, float]:  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command, env = serve_command(tree, index_dir, port)
    took: list[float] = []
    stages: list[dict[str, float]] = []
    with server(command, env, log, cwd=tree) as process:  # its own tree first on sys.path
        wait_healthy(url, process, log)
        one_client(confsearch_send(url), [f"warm-up question {i}" for i in range(10)])
        before = process_cpu(process.pid)
        latencies, errors = one_client(confsearch_send(url, took=took, stages=stages), one)
        middle = process_cpu(process.pid)
        result = concurrent(confsearch_send(url), load, CLIENTS, seconds, len(load))
        after = process_cpu(process.pid)
    beyond = [s["total"] - s.get("model", 0.0) for s in stages if "total" in s]
    return {
        "p50": percentiles(latencies)[50],
        "p99": percentiles(latencies)[99],
        "beyond": median(beyond),
        "model": median([s.get("model", 0.0) for s in stages]),
        "cpu1": 1000 * (middle - before) / len(one),
        "rate": result.rate,
        "cpu8": 1000 * (after - middle) / max(result.requests, 1),
        "errors": errors + result.errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("revision", help="git revision to compare against (the baseline)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=250, help="one client, per round")
    parser.add_argument("--seconds", type=float, default=6.0, help="8 clients, per round")
    parser.add_argument("--index-dir", type=Path, default=REPO / "index")
    parser.add_argument("--baseline-index", type=Path, help="REV's index, when its format "
                        "differs (default: --index-dir)")  # fmt: skip
    args = parser.parse_args(argv)
    for folder in (args.index_dir, args.baseline_index or args.index_dir):
        if not (folder / "CURRENT").exists():
            parser.error(f"no index in {folder}: run `make index` first")
    work = Path(tempfile.mkdtemp(prefix="confsearch-compare-"))
    base = work / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base),
                    args.revision], check=True, capture_output=True)  # fmt: skip
    pool = iter(question_pool())
    builds = {args.revision: base, "this tree": REPO}
    indexes = {args.revision: args.baseline_index or args.index_dir, "this tree": args.index_dir}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in builds}
    try:
        for round_ in range(args.rounds):
            one = list(itertools.islice(pool, args.questions))
            load = list(itertools.islice(pool, 2000))
            for name, tree in builds.items():
                figures = measure(tree, indexes[name].resolve(), one, load, args.seconds,
                                  work / f"serve-{round_}.log")  # fmt: skip
                rows[name].append(figures)
                print(f"round {round_ + 1} {name:>12}: 1 client p50 {figures['p50']:.1f} ms, "
                      f"beyond the forward pass {figures['beyond']:.2f} ms, "
                      f"{figures['cpu1']:.1f} ms CPU a request; {CLIENTS} clients "
                      f"{figures['rate']:.0f} req/s, {figures['cpu8']:.1f} ms CPU a request; "
                      f"{figures['errors']:.0f} errors", flush=True)  # fmt: skip
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)],
                           check=True, capture_output=True)  # fmt: skip
    print()
    print("| build | 1 client p50 ms | beyond the forward pass ms | CPU ms/request (1 client) "
          f"| {CLIENTS} clients req/s | CPU ms/request ({CLIENTS} clients) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, runs in rows.items():
        cells = [" / ".join(f"{r[key]:.{digits}f}" for r in runs)
                 for key, digits in (("p50", 1), ("beyond", 2), ("cpu1", 1), ("rate", 0),
                                     ("cpu8", 1))]  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |")
    base_rows, new_rows = rows[args.revision], rows["this tree"]
    for key, label in (("p50", "1-client p50"), ("beyond", "beyond"), ("rate", "req/s")):
        ratios = [n[key] / b[key] for n, b in zip(new_rows, base_rows, strict=True) if b[key]]
        print(
            f"{label}: this tree / {args.revision} = {median(ratios):.2f} (median of "
            f"{len(ratios)} rounds)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
