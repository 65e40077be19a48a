"""Section 5, distributed ingestion: the local engine against the Ray engine on one and on
two Ray nodes (all on this machine, bound to 127.0.0.1), the same slice of corpus/ and the
real model; then a capacity plan from the measured rate per core (docs/deployment.md)."""

from __future__ import annotations

import os
import shutil
import time
from functools import partial
from pathlib import Path

from bench.common import CORPUS, MODEL, Context, median, say
from bench.report import Row, Section, Table

RUNS = 2
WORKERS = (1, 4, 16)
PASSAGES = (1_000_000, 10_000_000)


def slice_corpus(target: Path, documents: int) -> Path:
    """The communiqué (text and PDF) and the first speeches, with the manifest."""
    names = sorted(p.name for p in (CORPUS / "ungdc-pacific").glob("*.txt"))[:documents]
    (target / "ungdc-pacific").mkdir(parents=True)
    for name in names:
        shutil.copy(CORPUS / "ungdc-pacific" / name, target / "ungdc-pacific" / name)
    shutil.copytree(CORPUS / "oco", target / "oco")
    for name in ("manifest.csv", ".confsearchignore"):
        shutil.copy(CORPUS / name, target / name)
    return target


def _build(corpus: Path, index_dir: Path, engine=None):
    from indexer.build import build
    from indexer.embedding import load_embedder

    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    report = build(corpus, index_dir, load_embedder(MODEL), engine=engine)
    return time.perf_counter() - started, report


def _cluster(nodes: int, cpus: int):
    import ray
    from ray.cluster_utils import Cluster

    node = {"num_cpus": cpus // nodes, "node_ip_address": "127.0.0.1",
            "object_store_memory": 200 * 2**20}  # fmt: skip
    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(**node)
    ray.init(address=cluster.address, log_to_driver=False)
    return cluster, time.perf_counter() - started


def write_only(generation_dir: Path, target: Path) -> tuple[float, int]:
    """Seconds for the driver alone to write and publish what the engines hand it."""
    import numpy as np

    from indexer.store import Generation, GenerationWriter

    source = Generation.open_current(generation_dir)
    documents = [dict(r) for r in source.query("SELECT * FROM documents ORDER BY rowid")]
    work = []
    for doc in documents:
        doc.pop("passage_count")
        passages = source.query(
            "SELECT * FROM passages WHERE document_id = ? ORDER BY ordinal", (doc["id"],)
        )
        ids = [p["id"] for p in passages]
        vectors = np.asarray(source.embeddings[ids], np.float32)
        rows = [{k: p[k] for k in p.keys() if k != "id"} for p in passages]  # noqa: SIM118
        alone = source.sentence_vectors(ids, alone=True)
        work.append((doc, rows, vectors, source.sentence_vectors(ids), alone))
    dimension = source.embeddings.shape[1]
    count = len(source.embeddings)
    source.close()
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    writer = GenerationWriter(target, dimension)
    for doc, passages, vectors, sentence_vectors, alone_vectors in work:
        writer.add_document(doc, passages, vectors, sentence_vectors, alone_vectors)
    writer.publish({"model": MODEL, "counts": {"documents": len(work)}})
    return time.perf_counter() - started, count


def run(ctx: Context) -> Section:
    section = Section("Distributed ingestion (Ray)")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback addresses
    try:
        import ray

        from indexer.embedding import load_embedder
        from indexer.ray_engine import RayEngine
    except ImportError:
        section.rows.append(Row("Ray engine", "skipped: Ray is not installed "
                                "(pip install -e '.[ray]')"))  # fmt: skip
        return section
    cpus = os.cpu_count() or 1
    documents = 12 if ctx.quick else 60
    runs = 1 if ctx.quick else RUNS
    corpus = slice_corpus(ctx.workdir / "ingestion-corpus", documents)
    folder = ctx.workdir / "ingestion-index"
    results: dict[str, list[float]] = {}
    passages = 0

    say(f"ingestion: local engine, {runs} run(s) on {documents + 2} documents")
    for _ in range(runs):
        seconds, report = _build(corpus, folder / "local")
        passages = report.passages
        results.setdefault("local", []).append(seconds)
    startups = {}
    for nodes in (1, 2):
        name = f"ray-{nodes}"
        cluster, startups[name] = _cluster(nodes, cpus)
        try:
            say(f"ingestion: Ray engine on {nodes} node(s), {runs} run(s)")
            for _ in range(runs):
                engine = RayEngine(partial(load_embedder, MODEL), embed_cpus=1.0)
                seconds, report = _build(corpus, folder / name, engine)
                if report.passages != passages:
                    raise RuntimeError(f"{name} indexed {report.passages}, not {passages}")
                results.setdefault(name, []).append(seconds)
        finally:
            ray.shutdown()
            cluster.shutdown()

    rate = {name: passages / median(values) for name, values in results.items()}
    how = f"{passages:,} passages, {documents + 2} documents; median of {runs} run(s)"
    labels = {
        "local": f"local engine (one process, {cpus} torch threads)",
        "ray-1": f"Ray engine, 1 node × {cpus} CPUs ({cpus} embedding actors)",
        "ray-2": f"Ray engine, 2 nodes × {cpus // 2} CPU ({cpus} embedding actors)",
    }
    for name, label in labels.items():
        extra = f"; cluster start {startups[name]:.1f} s, not counted" if name in startups else ""
        value = f"{rate[name]:.0f} passages/s ({median(results[name]):.1f} s)"
        section.rows.append(Row(label, value, how=how + extra))
    for name in ("ray-1", "ray-2"):
        ratio = f"{rate[name] / rate['local']:.2f}×"
        section.rows.append(Row(f"{labels[name].split(' (')[0]} / local", ratio, how="rates"))

    write_s, written = write_only(folder / "local", folder / "write-only")
    driver_rate = written / write_s
    section.rows.append(Row("driver alone: write + publish (the single writer's ceiling)",
                            f"{driver_rate:,.0f} passages/s ({write_s:.2f} s)",
                            how=f"{written:,} passages, flat index"))  # fmt: skip
    per_core = rate["ray-2"] / cpus
    section.rows.append(Row("rate per embedding core (Ray, 2 nodes)", f"{per_core:.0f} passages/s",
                            how="Ray 2-node rate / CPUs"))  # fmt: skip

    plan = []
    for workers in WORKERS:
        cluster_rate = min(per_core * workers, driver_rate)
        plan.append([str(workers), f"{cluster_rate:,.0f}",
                     *(f"{count / cluster_rate / 3600:.1f}" for count in PASSAGES)])  # fmt: skip
    section.tables.append(Table(
        "capacity plan: hours to ingest, from the rate per core measured above (1 worker = 1 "
        "CPU core running one embedding actor; CPU only)",
        ["workers", "passages/s", *(f"{c // 1_000_000}M passages, hours" for c in PASSAGES)],
        plan,
    ))  # fmt: skip
    section.notes.append(
        "All nodes share this machine's cores: Ray on 2 nodes cannot be faster than on 1, it "
        "measures the engine's overhead. The plan assumes linear scaling over workers (each "
        "embedding actor is independent) up to the driver's write rate; at 1M passages and "
        "more, add the ivf_sq8 training at publish (about 25 s at 1M, Scale section)."
    )
    return section
