"""The example built on PostgreSQL once per session, and faulted forks of it (CREATE DATABASE ... TEMPLATE);
the example's tables in one local SparkSession per session (`spark`, `spark_example`).

The server is HEADWATER_PG_URL or the local trust-auth one (127.0.0.1:5432, user root). Under CI=true an
unreachable server fails the tests; elsewhere they skip with the reason. Every database the fixtures create
is named `headwater_test_<random>...` and dropped at the end of the session.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwater.example.build import copy_project
from headwater.example.faults import FAULTS
from headwater.example.postgres import (
    FaultSync,
    PgServer,
    apply_fault_postgres,
    build_postgres,
    create_database,
    drop_database,
)
from tests.conftest import EXAMPLE_SOURCE, TEST_ROWS, copy_built
from tests.engines.spark_example import (
    CODE_FAULT,
    DATA_FAULT,
    SparkExample,
    load_into_spark,
    new_session,
    stack_fault,
)


@dataclass(frozen=True)
class PgExample:
    """A built copy of the example project whose `postgres` target is `server` (one database)."""

    project: Path
    server: PgServer
    sync: FaultSync | None = None


@pytest.fixture(scope="session")
def pg_server() -> PgServer:
    server = PgServer.from_env()
    try:
        server.connect().close()
    except Exception as err:  # psycopg2.OperationalError, or a bad URL
        message = f"PostgreSQL not reachable at {server.url()}: {str(err).strip().splitlines()[0]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return server


@pytest.fixture(scope="session")
def pg_databases(pg_server: PgServer) -> Iterator[Callable[[str], PgServer]]:
    """`fork(template)` -> a new database (a copy of `template`, or empty for ""); all dropped at the end."""
    prefix = f"headwater_test_{uuid.uuid4().hex[:8]}"
    created: list[str] = []

    def fork(template: str) -> PgServer:
        name = f"{prefix}_{len(created)}"
        created.append(name)
        return create_database(pg_server, name, template=template or None)

    yield fork
    for name in reversed(created):
        drop_database(pg_server, name)


@pytest.fixture(scope="session")
def pg_template(pg_databases: Callable[[str], PgServer], tmp_path_factory: pytest.TempPathFactory) -> PgExample:
    """The clean example built on PostgreSQL. Its database is only ever a template (nobody connects to it
    after the build, so CREATE DATABASE ... TEMPLATE can copy it); use `pg_clean` or `pg_faulted` to read."""
    server = pg_databases("")
    project = copy_project(EXAMPLE_SOURCE, tmp_path_factory.mktemp("pg-example") / "project")
    build_postgres(project, server, rows=TEST_ROWS)
    return PgExample(project, server)


@pytest.fixture(scope="session")
def pg_clean(pg_template: PgExample, pg_databases: Callable[[str], PgServer]) -> PgExample:
    """A readable fork of the clean PostgreSQL build (shared: read-only)."""
    return PgExample(pg_template.project, pg_databases(pg_template.server.dbname))


@pytest.fixture(scope="session")
def pg_faulted(
    pg_template: PgExample, pg_databases: Callable[[str], PgServer], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], PgExample]:
    """`pg_faulted(fault_id)` -> a fork with the fault applied; only the models downstream of it rebuilt."""
    cache: dict[str, PgExample] = {}

    def get(fault_id: str) -> PgExample:
        if fault_id not in cache:
            server = pg_databases(pg_template.server.dbname)
            project = copy_built(pg_template.project, tmp_path_factory.mktemp(f"pg-{fault_id}") / "project")
            sync = apply_fault_postgres(FAULTS[fault_id], project, server)
            cache[fault_id] = PgExample(project, server, sync)
        return cache[fault_id]

    return get


@pytest.fixture
def on_pg(monkeypatch: pytest.MonkeyPatch) -> Callable[[PgExample], PgExample]:
    """Point the profile's env_var()s (and DBT_TARGET) at one PostgreSQL example for this test."""

    def use(example: PgExample) -> PgExample:
        for key, value in example.server.profile_env().items():
            monkeypatch.setenv(key, value)
        return example

    return use


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The one local SparkSession of the test run (local[2], no UI); its start-up is timed in `spark_example`."""
    pytest.importorskip("pyspark.sql")
    started = time.perf_counter()
    session = new_session()
    session.conf.set("headwater.tests.startup_seconds", f"{time.perf_counter() - started:.1f}")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_example(
    spark: Any, faulted_example: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> SparkExample:
    """The example with a code fault and a data fault, built on DuckDB and every table loaded into `spark`.
    Shared and read-only; its DuckDB file gives the reference answers."""
    project = copy_built(faulted_example(CODE_FAULT), tmp_path_factory.mktemp("spark-example") / "project")
    rebuild = stack_fault(project, DATA_FAULT)
    started = time.perf_counter()
    tables = load_into_spark(spark, project / "warehouse.duckdb", tmp_path_factory.mktemp("spark-parquet"))
    seconds = {"session start": float(spark.conf.get("headwater.tests.startup_seconds")), "dbt rebuild": rebuild,
               "load": time.perf_counter() - started}
    print(f"\nspark fixtures: {', '.join(f'{k} {v:.1f} s' for k, v in seconds.items())}")
    return SparkExample(project, tuple(tables), seconds)
