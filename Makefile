# Every target creates .venv when it is missing: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: install demo test lint typecheck pytest bench taxonomy-vectors clean

install: $(STAMP)

# torch first, pinned to the CPU build (any other version would pull a multi-GB CUDA build).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

demo: $(STAMP)
	$(BIN)/veille demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check veille tests bench tools
	$(BIN)/ruff format --check veille tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(BENCH_STAMP)
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/process.py
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/site.py
	$(BIN)/python bench/radar.py
	$(BIN)/python bench/titles.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/relevance.py

# After editing the shipped taxonomy or its corpus: re-embed its texts with the default model.
taxonomy-vectors: $(STAMP)
	$(BIN)/python tools/taxonomy_vectors.py

clean:
	rm -rf $(VENV) demo-out test-artifacts .pytest_cache .mypy_cache .ruff_cache
