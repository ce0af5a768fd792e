# Everything runs inside .venv; `make setup` creates it.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DB      ?= data/findings.duckdb
SAMPLES ?= samples

.PHONY: setup run demo app test check lint types bench stress screenshot clean

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

# The dashboard on http://localhost:8501 (the same database setting as the command line).
app: setup
	FINDINGS_DB=$(DB) $(BIN)/streamlit run app.py

# Refresh the README's screenshot (docs/overview.png) from the real-browser test.
screenshot: setup
	UPDATE_README_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_browser.py

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check ingest analytics store app_pages app.py

types: setup
	$(BIN)/mypy

check: lint types test

bench: setup
	@echo "the benchmark arrives with the demo/benchmark issue (#5)"; exit 1

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
