# The two commands a newcomer needs: `make demo` and `make test`. Every target does its own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE_STAMP := dbt_project_example/target/catalog.json
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: install example demo test lint typecheck bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

# Generate the example's source data and build the warehouse (dbt seed, build, docs generate).
example: $(EXAMPLE_STAMP)

$(EXAMPLE_STAMP): $(STAMP)
	$(BIN)/headwater example build --project-dir dbt_project_example

demo: $(STAMP)
	$(BIN)/python -m headwater.demo --project-dir dbt_project_example --context-root expectations

test: $(STAMP) $(EXAMPLE_STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP) $(EXAMPLE_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) dbt_project_example/target dbt_project_example/*.duckdb* dbt_project_example/logs
