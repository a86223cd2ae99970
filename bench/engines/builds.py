"""The warehouses `scale.py` measures on: the example built once per size on DuckDB and PostgreSQL (and, at a
size that fits, loaded into local Spark), then one copy per fault with only what the fault touches rebuilt.

Where a 10M-row build went (each stage timed alone, on the shared machine at load 5): generating the raw
tables is DuckDB SQL (20 s) and the PostgreSQL load was already COPY from a CSV dump (56 s); the bulk is dbt
itself, PostgreSQL building the marts as tables (171 s, the slowest a 55 s `fct_orders`) and DuckDB (57 s).
What could go was work the measure never reads: the raw data generated a second time for PostgreSQL, the ML
stage (training, then a Python model scoring every payment; no fault here crosses it) and, per fault on
DuckDB, a full-refresh `dbt run` of every model. So here the raw tables are generated once and the file
copied into both projects, the builds leave out the models tagged `ml`, and a fault rebuilds only the models
downstream of it (with --full-refresh, so incremental ones see it), as `apply_fault_postgres` does.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.engines.spark_example import load_into_spark  # noqa: E402

from headwater.example.build import (  # noqa: E402
    BUILD_INFO,
    _docs_generate_keeping_run_results,
    copy_project,
    database_path,
)
from headwater.example.dbt_runner import run_dbt, run_selected  # noqa: E402
from headwater.example.faults import FAULTS  # noqa: E402
from headwater.example.generate import generate  # noqa: E402
from headwater.example.postgres import (  # noqa: E402
    SOURCE,
    TARGET,
    PgServer,
    _docs,
    apply_fault_postgres,
    load_raw,
    raw_checksums,
)

EXAMPLE = REPO / "dbt_project_example"
NO_ML = ("--exclude", "tag:ml")  # the ML stage: not on the path of the faults measured here


class Stopwatch:
    """Seconds per named stage, summed: what the build log prints and the note quotes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, stage: str, step: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = step()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started
        return result

    def report(self) -> str:
        return ", ".join(f"{stage} {s:.0f} s" for stage, s in self.seconds.items())


def generate_raw(folder: Path, rows: int, clock: Stopwatch) -> Path:
    """The raw tables once, in a DuckDB file of their own that each engine's project starts from."""
    raw = folder / "generated.duckdb"  # not raw.duckdb: its catalog would shadow schema `raw`
    clock("generate", lambda: generate(raw, rows))
    return raw


def _start_project(raw: Path, destination: Path, rows: int) -> Path:
    project = copy_project(EXAMPLE, destination)
    shutil.copyfile(raw, database_path(project))
    (project / BUILD_INFO).write_text(f'{{"rows":{rows}}}')  # a data fault's revert regenerates this size
    return project


def build_duckdb(raw: Path, destination: Path, rows: int, clock: Stopwatch) -> Path:
    project = _start_project(raw, destination, rows)
    database = database_path(project)
    clock("DuckDB dbt build", lambda: run_dbt(project, "build", *NO_ML, duckdb_path=database))
    clock("DuckDB docs", lambda: _docs_generate_keeping_run_results(project, database))
    return project


def build_postgres(raw: Path, destination: Path, rows: int, server: PgServer, clock: Stopwatch) -> Path:
    """The project's DuckDB file holds only the raw tables here: the source of the COPY and of fault edits."""
    project = _start_project(raw, destination, rows)
    clock("PostgreSQL COPY", lambda: load_raw(database_path(project), server))
    env = server.profile_env()
    clock("PostgreSQL dbt build", lambda: run_dbt(project, "build", "--target", TARGET, env=env))
    clock("PostgreSQL docs", lambda: _docs(project, server, check=True))
    return project


def fault_duckdb(clean: Path, destination: Path, fault_id: str) -> Path:
    """A copy of the built project with the fault in; only the models downstream of it rebuilt, with
    --full-refresh so that incremental models see the change too (as `apply_fault_postgres` does)."""
    project = copy_project(clean, destination, with_build=True)
    database = database_path(project)
    raw_before = raw_checksums(database)
    models_before = {p: p.read_text() for p in (project / "models").rglob("*.sql")}
    FAULTS[fault_id].apply(project)
    raw_after = raw_checksums(database)
    select = [f"source:{SOURCE}.{t}+" for t in raw_after if raw_before.get(t) != raw_after[t]]
    changed = [p.stem for p, text in models_before.items() if p.read_text() != text]
    run_selected(project, "--full-refresh", "--select", *select, *(f"{m}+" for m in changed), *NO_ML,
                 code_changed=bool(changed), duckdb_path=database, check=False)  # fmt: skip
    if changed:  # the catalog follows the code
        _docs_generate_keeping_run_results(project, database, check=False)
    return project


def fault_postgres(clean: Path, destination: Path, fault_id: str, server: PgServer) -> Path:
    project = copy_project(clean, destination, with_build=True)
    apply_fault_postgres(FAULTS[fault_id], project, server)
    return project


def load_spark(spark: Any, project: Path, folder: Path) -> list[str]:
    """Every table of the faulted DuckDB project as parquet-backed Spark tables, replacing the last fault's."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return load_into_spark(spark, database_path(project), folder)
