# Two commands: `make run` serves corpus/ on 127.0.0.1:$(PORT); `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Optional extras on top of dev: `make test EXTRAS=ray` (what .ci/run does) adds Ray.
EXTRAS ?=
comma := ,
STAMP := $(VENV)/.installed$(if $(EXTRAS),-$(subst $(comma),-,$(EXTRAS)))

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test index lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: that release is a CPU build on this machine's disk; an unpinned torch
# pulled in by sentence-transformers would be a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev$(if $(EXTRAS),$(comma)$(EXTRAS))]'
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/confsearch index corpus

run: index
	$(BIN)/confsearch serve --port $(PORT)

# One pytest worker a core, each taking the next test when it is free (worksteal): one file
# can hold minutes of work. `-n 0` runs in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal

# Benchmarks (docs/benchmarks.md; the ingestion section needs Ray): `make bench`, or
# `make bench BENCH_ARGS=--quick`.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,bench,ray]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) index .pytest_cache .ruff_cache
