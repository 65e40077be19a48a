"""FAISS index types, chosen by corpus size.

- `flat`: exact inner product; 4·d bytes a vector (1,536 for MiniLM).
- `flat_sq8`: the default up to 50k passages. A scan of every vector in 8-bit scalar
  quantization (a quarter of the bytes), then its best `k_factor`·k re-scored from the float32
  vectors beside them (FAISS's IndexRefineFlat): the scores are the exact inner products,
  and on the corpus's questions the ids too. A flat scan reads all 4·d bytes of every vector
  from memory a query, more than the cache keeps while the model runs beside it: that was
  most of the dense leg's time (docs/performance.md, "The vector scan in 8 bits").
- `ivf_sq8`: inverted lists over k-means cells, vectors in 8-bit scalar quantization
  (d bytes a vector + its id); a query scans `nprobe` cells. The default from 50k passages.
  nprobe is at least 32 (`ivf_nprobe`), which keeps recall@10 above 0.95 at 100k and 1M
  passages (docs/performance.md, "Vector index").
- `hnsw_sq8`: a graph over 8-bit vectors; fast queries, slow to build on 2 cores.

The type and its search parameters are written in the generation's manifest, so the server
opens what the builder chose. Exact float32 vectors stay in `embeddings.npy` (memory-mapped,
not resident) for re-use by the next build and for exact scoring of filtered candidates.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

TYPES = ("auto", "flat", "flat_sq8", "ivf_sq8", "hnsw_sq8")
EXHAUSTIVE = ("flat", "flat_sq8")  # types that scan every vector: a filter never starves them
FLAT_UP_TO = 50_000
# The 8-bit scan's candidates re-scored exactly, per result asked: enough for the flat
# index's ids and scores on every dense search of the shipped questions (performance.md).
REFINE_FACTOR = 1.5
TRAIN_SAMPLE = 100_000  # k-means on a sample: enough for 4096 cells, minutes less than all


def choose(count: int, requested: str = "auto") -> str:
    if requested not in TYPES:
        raise ValueError(f"index type must be one of {', '.join(TYPES)}, not {requested!r}")
    if requested != "auto":
        return requested
    return "flat_sq8" if count <= FLAT_UP_TO else "ivf_sq8"


def ivf_cells(count: int) -> int:
    """About 4·√n cells, a power of two, between 64 and 65,536."""
    return int(min(65_536, max(64, 2 ** round(math.log2(4 * math.sqrt(max(count, 1)))))))


def ivf_nprobe(cells: int) -> int:
    """Cells an ivf_sq8 query scans: 32, or 1/128 of them beyond 4096 cells, at most all.
    Fewer lose recall@10 below 0.95 on the corpus's vectors and perturbed copies (bench
    scale section): 8 gave 0.833 at 100k passages, 16 gives 0.943 at 1M."""
    return min(cells, max(32, cells // 128))


def build(
    vectors: np.ndarray, index_type: str = "auto", seed: int = 1234
) -> tuple[faiss.Index, dict]:
    """An inner-product index over unit vectors, and the search parameters to record."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dimension = vectors.shape
    kind = choose(count, index_type)
    if kind == "flat" or count == 0:
        index = faiss.IndexFlatIP(dimension)
        index.add(vectors)
        return index, {"type": "flat"}
    if kind == "flat_sq8":
        # One range for all dimensions ("uniform"): unit vectors share it, and its scan was
        # faster than per-dimension ranges (docs/performance.md).
        coarse = faiss.IndexScalarQuantizer(
            dimension, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
        )
        index = faiss.IndexRefineFlat(coarse)
        index.train(vectors)
        index.add(vectors)
        index.k_factor = REFINE_FACTOR
        return index, {"type": "flat_sq8", "k_factor": REFINE_FACTOR}
    if kind == "ivf_sq8":
        cells = min(ivf_cells(count), max(1, count // 39))  # FAISS wants ~39 points a cell
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dimension, cells, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(count, min(count, TRAIN_SAMPLE), replace=False)]
        index.train(sample)
        index.add(vectors)
        nprobe = ivf_nprobe(cells)
        index.nprobe = nprobe
        return index, {"type": "ivf_sq8", "cells": cells, "nprobe": nprobe}
    if kind == "hnsw_sq8":
        index = faiss.IndexHNSWSQ(
            dimension, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = 80
        index.train(vectors[: min(count, TRAIN_SAMPLE)])
        index.add(vectors)
        index.hnsw.efSearch = 64
        return index, {"type": "hnsw_sq8", "M": 32, "efSearch": 64}
    raise AssertionError(kind)


def search_parameters(params: dict, selector=None, depth: int = 1):
    """FAISS SearchParameters for `params` (from the manifest), with an optional id selector.
    `depth` widens the search for filtered queries, whose candidates are spread thin."""
    kind = params.get("type", "flat")
    if kind == "flat_sq8":
        base = faiss.SearchParameters(sel=selector) if selector is not None else None
        return faiss.IndexRefineSearchParameters(
            k_factor=params["k_factor"], base_index_params=base
        )
    if kind == "ivf_sq8":
        nprobe = min(params["cells"], params["nprobe"] * depth)
        return faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
    if kind == "hnsw_sq8":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=params["efSearch"] * depth)
    return faiss.SearchParameters(sel=selector) if selector is not None else None
