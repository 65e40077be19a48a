"""confsearch benchmark suite: `python -m bench` (or `make bench`) prints one table.

One module per section: machine (what ran it), indexing (throughput against a naive pipeline
and txtai), queries (HTTP latency and throughput of `confsearch serve`), scale (FAISS index
types at 100k and 1M vectors), startup (unchanged re-index, cold start); report formats the
table and docs/benchmarks.md. common holds what the sections share: the corpus passages, one
fresh index of corpus/, the question lists, servers run as subprocesses, statistics.
"""
