"""Shared fixtures: small corpora written into tmp_path, indexes built with the fake embedder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.build import build
from indexer.embedders.fake import FakeEmbedder

# Ray (tests/indexer/test_ray_engine.py): no usage reports, and clusters on 127.0.0.1 only —
# by default Ray swaps a loopback address for the machine's own. Read when ray is imported.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
COMMUNIQUE_TXT = "oco/oco-26th-annual-conference-2024-communique.txt"
COMMUNIQUE_PDF = "oco/oco-26th-annual-conference-2024-communique.pdf"
SPEECHES = ["TUV_74_2019.txt", "TUV_60_2005.txt", "FJI_74_2019.txt", "AUS_79_2024.txt"]


def copy_corpus(target: Path, speeches: list[str] = SPEECHES, pdf: bool = True) -> Path:
    """A slice of the real corpus, with its manifest, under `target`."""
    (target / "oco").mkdir(parents=True)
    shutil.copy(CORPUS / COMMUNIQUE_TXT, target / COMMUNIQUE_TXT)
    if pdf:
        shutil.copy(CORPUS / COMMUNIQUE_PDF, target / COMMUNIQUE_PDF)
    (target / "ungdc-pacific").mkdir()
    for name in speeches:
        shutil.copy(CORPUS / "ungdc-pacific" / name, target / "ungdc-pacific" / name)
    shutil.copy(CORPUS / "manifest.csv", target / "manifest.csv")
    shutil.copy(CORPUS / ".confsearchignore", target / ".confsearchignore")
    return target


@pytest.fixture(autouse=True)
def _no_confsearch_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read CONFSEARCH_* variables: a developer's shell must not change the tests."""
    for name in list(os.environ):
        if name.upper().startswith("CONFSEARCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return copy_corpus(tmp_path / "corpus")


@pytest.fixture
def built_index(tmp_path: Path, corpus_dir: Path, embedder: FakeEmbedder) -> Path:
    index_dir = tmp_path / "index"
    build(corpus_dir, index_dir, embedder)
    return index_dir
