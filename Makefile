# The two commands a newcomer needs: `make demo` and `make test`. Every target does its own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE_STAMP := dbt_project_example/target/catalog.json
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: install example demo test lint typecheck bench clean services

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	# pip compiles the bytecode of what it installs, but not of an editable install's sources; with
	# PYTHONDONTWRITEBYTECODE set (as on these machines) every run would compile headwater anew (~0.05 s).
	$(BIN)/python -m compileall -q src
	touch $@

# Generate the example's source data and build the warehouse (dbt seed, build, docs generate).
example: $(EXAMPLE_STAMP)

$(EXAMPLE_STAMP): $(STAMP)
	$(BIN)/headwater example build --project-dir dbt_project_example

demo: $(STAMP)
	$(BIN)/python -m headwater.demo --project-dir dbt_project_example --context-root expectations

# One pytest-xdist worker per core, a test file per worker at a time (module fixtures are built once); the
# example builds are shared by the workers (tests/conftest.py).
test: $(STAMP) $(EXAMPLE_STAMP) services
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# The PostgreSQL tests use the server on 127.0.0.1:5432 (trust auth, database `test`). Machines of this
# project start it at boot; start it here if it is down, where the Debian cluster tools exist.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null \
	  || (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) \
	  || echo "PostgreSQL is not running on 127.0.0.1:5432: the postgres tests will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP) $(EXAMPLE_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) dbt_project_example/target dbt_project_example/*.duckdb* dbt_project_example/logs
