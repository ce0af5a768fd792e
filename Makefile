# Everything runs inside .venv. `make setup-runtime` gives it what the main job and the dashboard
# need (requirements.txt); `make setup` adds the development tools (requirements-dev.txt: pytest,
# Hypothesis, Playwright, ruff, mypy, …), which the test, check and benchmark targets use.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DB      ?= $(or $(FINDINGS_DB),data/findings.duckdb)
SAMPLES ?= samples

.PHONY: setup setup-runtime run demo samples app serve test test-pg check lint types bench bench-history stress screenshot clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup-runtime: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

setup: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# The main job on the embedded default: when the database is empty, generate and load the demo
# history (a year of 8 projects scanned on most working days: ~7,600 files, ~190k results, ~10 s
# on 2 cores) through the normal ingest; then summarise.
run: demo

demo: setup-runtime
	$(BIN)/python -m demo --if-empty --db $(DB)
	$(BIN)/python -m analytics summary --db $(DB)

# The small real history (ruff + bandit on a toy shop) instead of the demo.
samples: setup-runtime
	$(BIN)/python -m ingest manifest $(SAMPLES)/manifest.csv --db $(DB)
	$(BIN)/python -m analytics summary --db $(DB)

# The dashboard on http://localhost:8501 (the same database setting as the command line), with its
# sign-in guard (serve.py; needed when [auth] is configured).
app: setup-runtime
	FINDINGS_DB=$(DB) $(BIN)/streamlit run serve.py

# The HTTP API for CI pipelines on http://127.0.0.1:8000/api/v1 (docs/api.md): the same database
# setting; HOST=0.0.0.0 PORT=… to listen elsewhere (behind a TLS reverse proxy).
serve: setup-runtime
	FINDINGS_DB=$(DB) $(BIN)/python -m service --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

# Refresh the README's screenshot (docs/overview.png) and the review pack's (docs/review-pack.png)
# from the real-browser tests.
screenshot: setup
	UPDATE_README_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_browser.py -k readme_screenshot
	UPDATE_README_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_report_browser.py -k docs_screenshot

# Two pytest workers (pytest-xdist), each taking whole test files: half the suite's time is spent
# waiting (servers, browsers, subprocesses), so two workers finish a 2-core run in about 3/4 of
# the time of one. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# The tests that run on both engines, with a throwaway PostgreSQL (Debian's postgresql package).
test-pg: setup
	@dir=$$(mktemp -d /tmp/findings-pg.XXXXXX); \
	url=$$(THROWAWAY_PG_FAST=1 scripts/throwaway-pg start $$dir) || exit 1; \
	FINDINGS_TEST_PG_URL=$$url REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -q -m engines; rc=$$?; \
	scripts/throwaway-pg stop $$dir; exit $$rc

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: setup
	$(BIN)/mypy

check: lint types test

# Figures, not assertions: prints a table and writes bench/results.json (~25 min on 2 shared cores;
# with PostgreSQL server binaries installed, or $FINDINGS_BENCH_PG_URL set, it adds a PostgreSQL column).
bench: setup
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/bench.py

# A whole `ingest manifest` of real release history against the orjson floor (bench/release_history.py,
# ~10 min the first time: clones bare mirrors, checks out 40 release tags of each, scans them with
# Bandit and Ruff; then ~2 min): HISTORY_REPOS are GitHub owner/name pairs.
HISTORY_REPOS ?= PyCQA/bandit psf/requests pallets/flask
bench-history: setup
	@for r in $(HISTORY_REPOS); do d=data/bench/mirrors/$$(basename $$r).git; \
	  [ -d $$d ] || git clone --quiet --mirror https://github.com/$$r $$d || exit 1; done
	$(BIN)/python bench/release_history.py build --out data/bench/relhist \
	  $(foreach r,$(HISTORY_REPOS),--repo data/bench/mirrors/$(notdir $(r)).git)
	$(BIN)/python bench/release_history.py measure data/bench/relhist
	$(BIN)/python bench/release_history.py measure data/bench/relhist --max-kb 900

# The long loops of the hardening suite: kill -9 rounds, concurrent writers, 1M results, hostile files;
# then the HTTP API: 8 clients × 50 uploads and kill -9 rounds (both engines with
# $$FINDINGS_TEST_PG_URL), and its property tests at full length.
stress: setup
	$(BIN)/python bench/stress.py
	$(BIN)/python bench/stress_api.py
	API_FUZZ=1 $(BIN)/python -m pytest -q tests/test_api_schema.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
