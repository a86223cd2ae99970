"""Build the example warehouse: generate raw data, then dbt build and dbt docs generate."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson

from headwater.example.dbt_runner import DbtResult, run_dbt
from headwater.example.generate import DEFAULT_ROWS, TableCounts, generate
from headwater.ml.fraud import train_for_build

DEFAULT_DATABASE = "warehouse.duckdb"
# Remembers the --rows of the last build, so that reverting a data fault regenerates the same data.
BUILD_INFO = ".headwater_example.json"
# What a fresh copy of the project needs; build output (target/, logs/, the DuckDB file) is left behind.
_COPY_IGNORE = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", ".user.yml")


@dataclass(frozen=True)
class BuildResult:
    project_dir: Path
    database: Path
    counts: TableCounts
    dbt: tuple[DbtResult, ...]


def database_path(project_dir: Path) -> Path:
    return project_dir / DEFAULT_DATABASE


def copy_project(source: Path, destination: Path, *, with_build: bool = False) -> Path:
    """Copy the dbt project to `destination`; with `with_build`, also its DuckDB file and target/."""
    ignore = None if with_build else _COPY_IGNORE
    shutil.copytree(source, destination, ignore=ignore, dirs_exist_ok=True)
    return destination


def build_example(project_dir: Path, rows: int = DEFAULT_ROWS) -> BuildResult:
    """Generate the raw tables and build everything: seeds, models, tests, docs (manifest + catalog)."""
    project_dir = project_dir.resolve()
    database = database_path(project_dir)
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    counts = generate(database, rows)
    (project_dir / BUILD_INFO).write_bytes(orjson.dumps({"rows": rows}))
    train_for_build(project_dir, database)  # the ML stage: its dbt Python model scores in the build below
    build = run_dbt(project_dir, "build", duckdb_path=database)
    docs = _docs_generate_keeping_run_results(project_dir, database)
    return BuildResult(project_dir, database, counts, (build, docs))


def read_build_rows(project_dir: Path) -> int:
    info = project_dir / BUILD_INFO
    return int(orjson.loads(info.read_bytes())["rows"]) if info.exists() else DEFAULT_ROWS


def _docs_generate_keeping_run_results(project_dir: Path, database: Path, check: bool = True) -> DbtResult:
    """`dbt docs generate` overwrites run_results.json with its own (uninteresting) results; keep the
    run's results, which the forensic timeline reads, and write the catalog."""
    run_results = project_dir / "target" / "run_results.json"
    saved = run_results.read_bytes() if run_results.exists() else None
    docs = run_dbt(project_dir, "docs", "generate", duckdb_path=database, check=check)
    if saved is not None:
        run_results.write_bytes(saved)
    return docs


def rebuild_models(project_dir: Path, *, score: bool = True) -> tuple[DbtResult, ...]:
    """Rebuild after a change, the way a scheduled pipeline does: `dbt run` (full refresh, so incremental
    models see the change too; a failing test must not stop the marts from being rebuilt), then refresh
    the artifacts with `dbt docs generate`. Model failures are returned, not raised: a schema fault can
    legitimately break a model. `score=False` leaves the ML scoring models (tag `ml`) as they were: they
    load MLflow and cost most of a rebuild, and a fault checked on the marts never reads them."""
    project_dir = project_dir.resolve()
    database = database_path(project_dir)
    skip_ml = () if score else ("--exclude", "tag:ml")
    run = run_dbt(project_dir, "run", "--full-refresh", *skip_ml, duckdb_path=database, check=False)
    docs = _docs_generate_keeping_run_results(project_dir, database, check=False)
    return run, docs
