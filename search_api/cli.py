"""The `confsearch` command: index a corpus, search it, serve it.

Options left out fall back to the same `CONFSEARCH_*` environment variables the server reads,
through the one Settings object.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from tqdm import tqdm

from indexer.fields import FREE_TEXT
from search_api.logs import configure_logging
from search_api.query import MODES, Query, QueryError
from search_api.settings import Settings

if TYPE_CHECKING:
    from indexer.build import BuildReport

# The app, the indexer and the searcher are imported by the commands that use them: `serve`
# starts its workers sooner, and `confsearch --help` answers in a fraction of a second
# instead of 1.2 s (FastAPI, pypdf, FAISS and the indexer's readers are most of it).

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="Index folder [env CONFSEARCH_INDEX_DIR]")
]
Model = Annotated[str | None, typer.Option("--model", help="Model [env CONFSEARCH_MODEL]")]


def _settings(**overrides) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:  # pydantic's ValidationError: say which setting, no traceback
        _fail(str(exc).replace("\n", " "))
        raise


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


@app.command()
def index(
    corpus: Annotated[
        Path | None, typer.Argument(help="Corpus folder [env CONFSEARCH_CORPUS_DIR]")
    ] = None,
    index_dir: IndexDir = None,
    model: Model = None,
    force: Annotated[bool, typer.Option(help="Re-read and re-chunk every document")] = False,
    index_type: Annotated[
        str | None,
        typer.Option(help="auto, flat, flat_sq8, ivf_sq8 or hnsw_sq8 [env CONFSEARCH_INDEX_TYPE]"),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="local, or ray: read and embed on a Ray cluster [env CONFSEARCH_ENGINE]"),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster, e.g. auto or HOST:6379 [env CONFSEARCH_RAY_ADDRESS]"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Index a corpus folder; only new or changed documents are read and embedded."""
    from indexer.store import IndexError_
    from search_api.indexing import run_build
    from search_api.lifecycle import make_embedder

    settings = _settings(corpus_dir=corpus, index_dir=index_dir, model=model,
                         index_type=index_type, engine=engine, ray_address=address)  # fmt: skip
    for name, folder in (("corpus", settings.corpus_dir), ("index", settings.index_dir)):
        if folder.exists() and not folder.is_dir():
            _fail(f"the {name} folder {folder} is a file: name a folder")
    embedder = make_embedder(settings)
    bar = tqdm(total=0, unit="doc", desc="indexing", disable=as_json or None, leave=False)
    started = [0.0]

    def progress(done: int, total: int, embedded: int) -> None:
        if not started[0]:
            started[0] = time.perf_counter()
        bar.total = total
        bar.n = done
        rate = embedded / max(time.perf_counter() - started[0], 1e-6)
        bar.set_postfix(passages=embedded, per_s=f"{rate:.0f}", refresh=False)
        bar.refresh()

    try:
        report = run_build(settings, embedder, force=force, progress=progress)
    except (OSError, ValueError, IndexError_, RuntimeError) as exc:
        bar.close()
        _fail(str(exc))
    bar.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report, settings)


def _print_report(report: BuildReport, settings: Settings) -> None:
    state = "published" if report.published else "unchanged, nothing to publish"
    typer.echo(f"index {settings.index_dir}/{report.generation}: {state}")
    typer.echo(
        f"  documents: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped"
    )
    typer.echo(
        f"  passages: {report.passages} in the index, {report.embedded} embedded, "
        f"{report.reused} re-used; {report.seconds:.1f} s"
    )
    for source, reason in report.skipped:
        typer.secho(f"  skipped {source}: {reason}", fg="yellow")
    for source, warning in report.warnings:
        typer.secho(f"  warning {source}: {warning}", fg="yellow")


_RANGE = re.compile(r"^(-?\d*)\.\.(-?\d*)$")


def parse_filter(items: list[str]) -> dict:
    """`year=2019`, `year=2015..2019`, `country=TUV,FJI` → the API's filter object; a
    repeated field collects its values into a list."""
    filters: dict = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise QueryError(f"filter {item!r}: write FIELD=VALUE, e.g. year=2019")
        name, value = name.strip(), value.strip()
        bounds = _RANGE.match(value)
        if bounds:
            low, high = bounds.groups()
            filters[name] = {k: v for k, v in (("gte", low), ("lte", high)) if v}
            continue
        if "," in value and name not in FREE_TEXT:  # free text may hold commas
            values = [v.strip() for v in value.split(",") if v.strip()]
        else:
            values = [value]
        if name in filters:
            previous = filters[name]
            filters[name] = [*(previous if isinstance(previous, list) else [previous]), *values]
        else:
            filters[name] = values if len(values) > 1 else values[0]
    return filters


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question or keywords")],
    k: Annotated[
        int, typer.Option("-k", min=1, help="How many passages (at most CONFSEARCH_MAX_K)")
    ] = 5,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", "-f", help="FIELD=VALUE, FIELD=A,B or year=2015..2019"),
    ] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    mode: Annotated[str, typer.Option(help="hybrid, semantic or keyword")] = "hybrid",
    index_dir: IndexDir = None,
    model: Model = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    output: Annotated[
        str, typer.Option("--format", help="text, json (the API's JSON) or csv")
    ] = "text",
    literal: Annotated[
        bool, typer.Option("--literal", help="Years, countries … in the query are only words")
    ] = False,
    by_year: Annotated[
        bool, typer.Option("--by-year", help="Year by year: k years, newest first")
    ] = False,
) -> None:
    """Ask the index a question and print the passages that answer it."""
    from indexer.store import IndexError_
    from search_api.lifecycle import make_embedder, make_searcher
    from search_api.serialise import search_csv, search_json

    if output not in ("text", "json", "csv"):
        _fail(f"--format must be text, json or csv, not {output!r}")
    settings = _settings(index_dir=index_dir, model=model)
    if k > settings.max_k:
        _fail(f"-k must be at most {settings.max_k} (CONFSEARCH_MAX_K)")
    try:
        searcher = make_searcher(settings, make_embedder(settings))
        started = time.perf_counter()
        result = searcher.search(
            Query(query, k, parse_filter(filters or []), offset, mode,
                  group_by="year" if by_year else None, per_document=2 if by_year else 3,
                  understand=not literal)
        )  # fmt: skip
        took_ms = (time.perf_counter() - started) * 1000
    except (IndexError_, QueryError, ValueError) as exc:
        _fail(str(exc))
    if as_json or output == "json":
        typer.echo(json.dumps(search_json(result, took_ms), indent=2, ensure_ascii=False))
        return
    if output == "csv":
        typer.echo(search_csv(result), nl=False)
        return
    if result.understood:
        read = ", ".join(
            f"{r.field} {r.value} ({r.text!r}" + (f" read as {r.read_as!r})" if r.read_as else ")")
            for r in result.understood
        )
        typer.secho(f"understood: {read}", fg="cyan")
    if not result.hits:
        typer.echo("No passages found.")
    if result.years is not None:
        _print_years(result)
        return
    for rank, hit in enumerate(result.hits, start=offset + 1):
        page = hit.page and f"p. {hit.page}"
        where = " · ".join(str(x) for x in (hit.document.values["year"], hit.section, page) if x)
        typer.secho(f"{rank}. {hit.document.values['title']}", bold=True)
        typer.echo(f"   {where}  ({hit.citation}; {hit.source}, score {hit.score:.3f})")
        typer.secho(f"   » {hit.highlight}", fg="green")
        typer.echo(f"   {hit.text}\n")


@app.command()
def lineage(
    document: Annotated[
        str, typer.Argument(help="A document id, or a resolution's symbol or number: 660")
    ],
    back: Annotated[
        bool, typer.Option("--back", help="What it built on (the resolutions it cites)")
    ] = False,
    depth: Annotated[int, typer.Option(min=1, max=5, help="References followed")] = 2,
    limit: Annotated[
        int, typer.Option(min=1, max=1000, help="Documents at most, besides the first")
    ] = 200,
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Follow references from a resolution: what later resolutions built on it (those that
    cite it, then those that cite them) or, with --back, what it built on."""
    from indexer.store import Generation, IndexError_
    from search_api import catalogue
    from search_api.serialise import lineage_json

    settings = _settings(index_dir=index_dir)
    direction = "cites" if back else "cited_by"
    try:
        gen = Generation.open_current(settings.index_dir)
        doc_id = catalogue.find(gen, document)
        found = catalogue.lineage(gen, doc_id, direction, depth, limit)
    except (IndexError_, catalogue.NotFound, QueryError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(lineage_json(found), indent=2, ensure_ascii=False))
        return
    names = {n.id: n.symbol or n.title for n in found.nodes}
    links: dict[str, dict[str, list[str]]] = {}  # node → the nodes it is linked by → paragraphs
    for edge in found.edges:
        near, far = (edge.source, edge.target) if back else (edge.target, edge.source)
        if far is not None:
            links.setdefault(far, {}).setdefault(names.get(near, near), []).append(edge.paragraph)
    for node in found.nodes:
        label = node.title or node.symbol or node.id
        typer.secho(f"{'  ' * node.depth}{label}", bold=not node.depth)
        if node.depth:
            how = "cited by" if back else "cites"
            said = "; ".join(f"{name} ({', '.join(dict.fromkeys(paragraphs))})"
                             for name, paragraphs in links.get(node.id, {}).items())  # fmt: skip
            typer.echo(f"{'  ' * node.depth}  {how} {said}")
    outside = sorted({e.symbol for e in found.edges if e.target is None and e.symbol})
    if outside:
        typer.echo(f"not in the index: {', '.join(outside)}")
    if found.truncated:
        typer.secho(f"stopped at {limit} documents (--limit)", fg="yellow")


def _print_years(result) -> None:
    for group in result.years:
        documents = f"{group.documents} document{'s' * (group.documents != 1)}"
        typer.secho(f"{group.year or 'undated'} — {documents}", bold=True)
        for hit in group.hits:
            typer.echo(f"   {hit.citation}")
            typer.secho(f"   » {hit.highlight}", fg="green")
        typer.echo("")


@app.command()
def adapt(
    index_dir: IndexDir = None,
    model: Model = None,
    minutes: Annotated[float, typer.Option(help="Training time at most")] = 5.0,
    batch_size: Annotated[int, typer.Option(help="Pairs per step (in-batch negatives)")] = 32,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate")] = 2e-5,
    teacher: Annotated[
        str | None, typer.Option(help="Distil this model's vectors instead of training on pairs")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Folder name under <index>/models")] = None,
) -> None:
    """Adapt the model to the indexed archive without labels; saved beside the index."""
    from indexer.adapt import adapt as run_adapt
    from indexer.adapt import pairs
    from indexer.store import Generation, IndexError_

    settings = _settings(index_dir=index_dir, model=model)
    name = name or time.strftime("adapted-%Y%m%dT%H%M%S", time.gmtime())
    output = settings.index_dir / "models" / name
    if output.exists():
        _fail(f"{output} exists: choose another --name")
    try:
        generation = Generation.open_current(settings.index_dir)
    except IndexError_ as exc:
        _fail(f"{exc}: index the corpus first")
    try:
        examples = pairs(generation)
    finally:
        generation.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=0, unit="step", desc="adapting", leave=False)

    def progress(step: int, steps: int, loss: float) -> None:
        bar.total = steps
        bar.n = step
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        bar.refresh()

    try:
        report = run_adapt(settings.model, examples, output, minutes=minutes,
                           batch_size=batch_size, learning_rate=learning_rate, teacher=teacher,
                           progress=progress)  # fmt: skip
    except ValueError as exc:
        bar.close()
        _fail(str(exc))
    bar.close()
    typer.echo(
        f"adapted {report.base} ({report.method}): {report.steps} steps of {report.batch_size} "
        f"pairs ({report.examples} of {report.pairs}) in {report.seconds:.0f} s, loss "
        f"{report.loss_first:.3f} -> {report.loss_last:.3f}\n  saved to {output}\n"
        f"  index with it:  CONFSEARCH_MODEL={output} confsearch index\n"
        "  then compare:   confsearch eval --split dev --against <a run saved with --save>"
    )


@app.command("eval")
def evaluate_command(
    questions: Annotated[Path, typer.Argument(help="Labelled questions, JSON lines")] = Path(
        "eval/questions.jsonl"
    ),
    modes: Annotated[
        list[str] | None, typer.Option("--mode", help="Modes to compare [all three]")
    ] = None,
    split: Annotated[
        str, typer.Option(help="dev (tune on it), test (only reported) or all")
    ] = "all",
    index_dir: IndexDir = None,
    model: Model = None,
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table")] = False,
    show_misses: Annotated[bool, typer.Option("--misses", help="List questions missed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON")] = False,
    save: Annotated[
        Path | None, typer.Option(help="Write each question's outcome here, to compare later")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(help="A saved run: print the paired differences from it, with intervals"),
    ] = None,
    uploads: Annotated[
        Path | None,
        typer.Option(
            help="Upload this folder's documents through the admin API to a scratch copy of "
            "the index and corpus first; the questions name its files"
        ),
    ] = None,
) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 per question kind, for each mode side by side, with
    95 % bootstrap intervals; `--against` tells a change from noise."""
    from indexer.store import IndexError_
    from search_api import evaluation, upload_evaluation
    from search_api.lifecycle import make_embedder, make_searcher

    if split not in ("dev", "test", "all"):
        _fail(f"--split must be dev, test or all, not {split!r}")
    settings = _settings(index_dir=index_dir, model=model)
    modes = modes or list(MODES)
    try:
        items = [q for q in evaluation.load_questions(questions) if split in ("all", q.split)]
        embedder = make_embedder(settings)
        if uploads is None:
            outcomes = evaluation.evaluate(make_searcher(settings, embedder), items, modes)
        else:
            with upload_evaluation.uploaded(settings, uploads, embedder) as (searcher, sources):
                items = upload_evaluation.as_uploaded(items, sources)
                outcomes = evaluation.evaluate(searcher, items, modes)
        before = evaluation.load_outcomes(against, items) if against else None
    except (OSError, IndexError_, QueryError, ValueError) as exc:
        _fail(str(exc))
    if save:
        evaluation.save(outcomes, save)
    table = evaluation.summarise(outcomes)
    if as_json:
        typer.echo(json.dumps(table, indent=2))
        return
    typer.echo(evaluation.format_table(table, modes, markdown=markdown))
    if before is not None:
        typer.echo("")
        differences = evaluation.compare(before, outcomes)
        typer.echo(evaluation.format_comparison(differences, markdown=markdown))
    if show_misses:
        for mode in modes:
            for line in evaluation.misses(outcomes, mode):
                typer.echo(f"miss@5 {mode}: {line}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="[env CONFSEARCH_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[env CONFSEARCH_PORT]")] = None,
    index_dir: IndexDir = None,
    model: Model = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes; 0: one per CPU core [env CONFSEARCH_WORKERS]"),
    ] = None,
) -> None:
    """Serve the search API (and OpenAPI docs at /docs) with one process per core: they
    share the published index, the rate limits, the admin tasks and one build at a time."""
    import uvicorn

    from search_api import metrics

    settings = _settings(host=host, port=port, index_dir=index_dir, model=model, workers=workers)
    log_config = configure_logging(settings)  # CONFSEARCH_LOG_FORMAT, for every worker too
    count = settings.workers or os.cpu_count() or 1
    metrics.prepare(settings, count)  # the folder where every worker keeps its metrics
    if count == 1:
        from search_api.app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_config=log_config)  # fmt: skip
        return
    # Each worker builds its app from the environment: the options given here go there.
    for name, value in (("INDEX_DIR", settings.index_dir), ("MODEL", settings.model)):
        os.environ[f"CONFSEARCH_{name}"] = str(value)
    from uvicorn.supervisors import Multiprocess

    fork_workers_from_a_preloaded_process()

    config = uvicorn.Config(
        "search_api.app:app_from_environment", factory=True, workers=count,
        host=settings.host, port=settings.port, log_config=log_config,
    )  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[tcp_listener(config)]).run()


def fork_workers_from_a_preloaded_process() -> None:
    """uvicorn starts each worker with multiprocessing's spawn, and each imports torch again:
    128 MB of private memory apiece. A forkserver that imported torch, FAISS and the app once
    forks them instead, and those pages stay shared: an extra worker added 135 MB instead of
    254 MB (docs/deployment.md, "Worker processes"). The server process itself never imports
    torch, so nothing is forked after torch started threads. uvicorn takes its
    multiprocessing context from a module attribute; a version without it spawns as before."""
    import multiprocessing
    import multiprocessing.forkserver
    from multiprocessing.context import BaseContext

    import uvicorn._subprocess

    if not isinstance(getattr(uvicorn._subprocess, "spawn", None), BaseContext):
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "faiss", "search_api.app"])
    uvicorn._subprocess.spawn = context
    # Started now, with the workers' environment set: its imports (torch alone takes a
    # second) run while this process configures uvicorn, not after.
    multiprocessing.forkserver.ensure_running()


def tcp_listener(config) -> socket.socket:
    """The workers' listening socket, saying it is TCP. uvicorn binds it with proto 0, and
    asyncio turns TCP_NODELAY on only for accepted sockets that say IPPROTO_TCP: without it
    every answer on a keep-alive connection waited ~40 ms for the client's delayed ACK
    (uvicorn issue #3149; one worker was not affected, as uvicorn binds that one otherwise)."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":  # python -m search_api.cli
    main()
