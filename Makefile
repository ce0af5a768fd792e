# Everything runs inside .venv; `make setup` creates it.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DB      ?= data/findings.duckdb
SAMPLES ?= samples

.PHONY: setup run demo test check lint types bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# The main job on the embedded default: load the bundled sample history, then summarise it.
run: setup
	$(BIN)/python -m ingest manifest $(SAMPLES)/manifest.csv --db $(DB)
	$(BIN)/python -m analytics summary --db $(DB)

demo: run

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check ingest analytics store tests app.py
	$(BIN)/ruff format --check ingest analytics store app.py

types: setup
	$(BIN)/mypy

check: lint types test

bench: setup
	@echo "the benchmark arrives with the demo/benchmark issue (#5)"; exit 1

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
