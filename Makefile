# Every target creates .venv when it is missing: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

# The gettext catalogs (veille/locale/<lang>/LC_MESSAGES/veille.po) and their compiled .mo files.
PO := $(wildcard veille/locale/*/LC_MESSAGES/veille.po)
MO := $(PO:.po=.mo)

.PHONY: install demo test lint typecheck pytest bench messages taxonomy-vectors clean

install: $(STAMP) $(MO)

# torch first, pinned to the CPU build (any other version would pull a multi-GB CUDA build).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Compiled at install: the package reads the .mo files (a .po newer than its .mo is compiled in memory).
veille/locale/%/LC_MESSAGES/veille.mo: veille/locale/%/LC_MESSAGES/veille.po | $(STAMP)
	$(BIN)/pybabel compile --domain veille --locale $* --input-file $< --output-file $@

# After changing a message in the code or a template: extract them all, merge into every catalog (new
# ones empty: tests/test_catalogs.py fails until they are translated). A new language: pybabel init.
messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-location --sort-output --add-comments TRANSLATORS: \
		--project veille --copyright-holder "veille contributors" --output-file veille/locale/veille.pot .
	$(BIN)/pybabel update --domain veille --input-file veille/locale/veille.pot --output-dir veille/locale \
		--ignore-pot-creation-date --no-fuzzy-matching --ignore-obsolete

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

demo: $(STAMP) $(MO)
	$(BIN)/veille demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check veille tests bench tools
	$(BIN)/ruff format --check veille tests bench tools

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(MO)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(BENCH_STAMP)
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/process.py
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/cluster.py
	$(BIN)/python bench/formats.py --set summary
	$(BIN)/python bench/formats.py --set real
	$(BIN)/python bench/trends.py
	$(BIN)/python bench/digest.py --process-step
	$(BIN)/python bench/site.py --items 100000 --weeks 104
	$(BIN)/python bench/site.py --items 1000000 --weeks 520 --rounds 1 --budget 600
	$(BIN)/python bench/radar.py
	$(BIN)/python bench/titles.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/relevance.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/fulltext.py
	$(BIN)/python bench/audiences.py
	$(BIN)/python bench/backfill.py --per-week 5000 --budget 7200

# After editing the shipped taxonomy or its corpus: re-embed its texts with the default model.
taxonomy-vectors: $(STAMP)
	$(BIN)/python tools/taxonomy_vectors.py

clean:
	rm -rf $(VENV) demo-out test-artifacts .pytest_cache .mypy_cache .ruff_cache $(MO) veille/locale/veille.pot
