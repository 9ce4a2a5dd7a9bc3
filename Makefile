# MPCE Portfolio: `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py
# Every absolute URL (emails, PDFs, share links) is built from this: on a laptop,
# the address `make run` serves on. Set PORTFOLIO_BASE_URL to override.
export PORTFOLIO_BASE_URL ?= http://localhost:$(PORT)

.PHONY: run test install install-test assets db seed worker bench lint format clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/activate
	$(BIN)/pip install --quiet -e ".[test]"

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

assets: node_modules/.package-lock.json
	node scripts/build-assets.mjs

db:
	$(BIN)/flask db upgrade
	$(BIN)/flask curricula load

# Seeds only an empty database (the command refuses otherwise, which is fine here).
seed:
	@$(BIN)/flask demo seed || true

run: install assets db seed
	PORTFOLIO_SESSION_COOKIE_SECURE=false PORTFOLIO_REMEMBER_COOKIE_SECURE=false \
		$(BIN)/flask run --port $(PORT)

worker:
	$(BIN)/flask worker

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Lint first, then the passes (scripts/test-passes, run at the same time, timed):
# SQLite with in-process jobs; the browser tests on SQLite; and when
# TEST_DATABASE_URL and TEST_REDIS_URL are set (as .ci/run does) the rest on
# PostgreSQL with real Redis and RQ, and the browser tests there with a real worker.
test: install-test assets lint
	@scripts/test-passes $(BIN)/pytest

bench: install-test
	$(BIN)/python bench/generate.py --reuse $(BENCH_GENERATE)
	$(BIN)/python bench/load.py --prepare-only
	$(BIN)/python bench/run.py $(BENCH_RUN)
	$(BIN)/python bench/load.py $(BENCH_LOAD)
	$(BIN)/python bench/capacity_report.py
	$(BIN)/python bench/pdf_export.py
	$(BIN)/python bench/pdf_export.py --items 2000 --runs 1 --no-anchor --keep bench/results/pdf-2000
	$(BIN)/python bench/summary.py

clean:
	rm -rf $(VENV) node_modules portfolio/static/nhsuk
