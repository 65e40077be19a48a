"""Questions about documents added at run time: `confsearch eval QUESTIONS --uploads FOLDER`.

The folder's documents are uploaded through the admin API, as an official would add them
(no metadata), to a scratch copy of the served index and its corpus: the real ones are
never written. The questions then run against what the server serves after those builds,
so their figures are those of uploads, not of a full rebuild. A question names the file it
was written from ("report-03.txt"); it is read as the source the upload was stored under.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from indexer.documents import SUPPORTED
from indexer.embedding import Embedder
from indexer.store import IndexError_, current_generation
from search_api.evaluation import Question
from search_api.search import Searcher
from search_api.settings import Settings

TASK_TIMEOUT_S = 900.0


def documents(folder: Path) -> list[Path]:
    """The documents of `folder` that the indexer reads (its questions file is not one)."""
    return sorted(p for p in folder.iterdir() if p.is_file()
                  and p.suffix.lower() in SUPPORTED and p.name.lower() != "readme.md")  # fmt: skip


@contextlib.contextmanager
def uploaded(
    settings: Settings, folder: Path, embedder: Embedder
) -> Iterator[tuple[Searcher, dict[str, str]]]:
    """A searcher over a scratch copy of the index and corpus to which the documents of
    `folder` were added through the admin API; and each file's name → its source there."""
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    files = documents(folder)
    if not files:
        raise ValueError(f"{folder} holds no document to upload")
    served = current_generation(settings.index_dir)
    if served is None:
        raise IndexError_(f"no index is published in {settings.index_dir}: run confsearch index")
    with tempfile.TemporaryDirectory(prefix="confsearch-uploads-") as scratch:
        root = Path(scratch)
        shutil.copytree(settings.corpus_dir, root / "corpus")
        # The served generation alone: the first upload's build reuses all its vectors.
        shutil.copytree(served, root / "index" / served.name)
        (root / "index" / "CURRENT").write_text(served.name + "\n")
        key = secrets.token_hex(16)
        scratch_settings = settings.model_copy(update={
            "index_dir": root / "index", "corpus_dir": root / "corpus",
            "state_dir": root / "state", "api_key": SecretStr(key), "rate_limit": "0",
        })  # fmt: skip
        with TestClient(create_app(scratch_settings, embedder)) as client:
            headers = {"X-API-Key": key}
            sources, tasks = {}, []
            for path in files:
                response = client.post("/admin/documents", headers=headers,
                                       files={"file": (path.name, path.read_bytes())})  # fmt: skip
                if response.status_code != 202:
                    raise ValueError(f"uploading {path.name}: {response.text}")
                body = response.json()
                sources[path.name] = body["document"]["source"]
                tasks.append(body["task"]["id"])
            for task in tasks:
                _wait(client, headers, task)
            client.post("/admin/reload", headers=headers).raise_for_status()
            yield client.app.state.searcher, sources


def _wait(client, headers: dict, task: str) -> None:
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while time.monotonic() < deadline:
        body = client.get(f"/admin/tasks/{task}", headers=headers).json()
        if body["status"] == "done":
            return
        if body["status"] == "failed":
            raise ValueError(f"the build of an upload failed: {body.get('error')}")
        time.sleep(0.2)
    raise TimeoutError(f"task {task} did not finish in {TASK_TIMEOUT_S:.0f} s")


def as_uploaded(questions: list[Question], sources: dict[str, str]) -> list[Question]:
    """The questions with the uploaded files' names read as their stored sources."""
    unknown = sorted({d for q in questions for d in q.documents} - set(sources))
    if unknown:
        raise ValueError(f"the questions name files that are not in the folder: {unknown}")
    return [replace(q, documents=[sources[d] for d in q.documents]) for q in questions]
