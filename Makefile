# The two commands of the README: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint schema bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)  ## Set up, then run the hub's main job over data_samples/ on SQLite + DuckDB
	MDM_DATABASE_URL=$${MDM_DATABASE_URL:-sqlite:///mdm.db} $(BIN)/mdm demo --fresh

test: $(STAMP) lint  ## The whole test suite (PostgreSQL too when MDM_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mdm matching stewardship tests bench data_samples
	$(BIN)/ruff format --check mdm matching stewardship tests bench data_samples
	$(BIN)/lint-imports

schema: $(STAMP)  ## Export the GraphQL contract graphql/schema.graphql from the code
	$(BIN)/mdm schema export

bench: $(STAMP)
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_api.py

clean:
	rm -rf $(VENV) mdm.db mdm.db-wal mdm.db-shm *.egg-info
