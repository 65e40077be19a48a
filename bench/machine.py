"""The machine a run measured: CPU, the flags that matter, library versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench.common import REPO

FLAGS = ("amx_bf16", "amx_tile", "amx_int8", "avx512_bf16", "avx512f", "avx512_vnni", "avx2")


# What `precision=auto` runs (indexer/embedders/model_folder.py), by whether the CPU has fast bf16.
PRECISION = {True: "bf16 weights, traced (auto)", False: "fp32, traced"}


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]
    return {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in first.splitlines())}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, text=True, capture_output=True,
                              check=True).stdout.strip()  # fmt: skip

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def describe() -> list[tuple[str, str]]:
    import faiss
    import torch

    from indexer.embedders import int8
    from indexer.embedding import cpu_supports_bf16

    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    cores = os.cpu_count() or 1
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    model = info.get("model name", platform.processor() or "unknown")
    family = f"family {info.get('cpu family', '?')} model {info.get('model', '?')}"
    hypervisor = " (virtual machine)" if "hypervisor" in flags else ""
    return [
        ("CPU", f"{model}, {family}{hypervisor}"),
        ("cores", f"{cores} logical ({usable} usable, {info.get('cpu cores', '?')} per socket)"),
        ("flags", ", ".join(f"{f} {'yes' if f in flags else 'no'}" for f in FLAGS)),
        ("memory", _memory()),
        ("confsearch precision", PRECISION[cpu_supports_bf16()]),
        ("questions embedded in", "int8 (auto)" if int8.available() else "the same precision"),
        ("torch", f"{torch.__version__}, {torch.get_num_threads()} threads"),
        ("faiss", f"{faiss.__version__} ({faiss.get_compile_options().strip()})"),
        ("others", ", ".join(f"{p} {_version(p)}" for p in (
            "numpy", "sentence-transformers", "transformers", "txtai", "fastapi", "uvicorn"))),
        ("python / OS", f"{platform.python_version()} / {platform.platform()}"),
        ("commit", _commit()),
    ]  # fmt: skip
