"""The example on Spark for the tests: one local SparkSession per test run, and the built DuckDB example's
tables loaded into it (parquet files, one Spark table per relation, same `schema.table`).

One warehouse carries two faults at once, a code fault and a data fault on disjoint marts, so a single
load (the costly part: a Spark job per table) serves every Spark test. `stack_fault` adds the second fault
to a built copy the way a pipeline would: the raw table changes, only the models downstream are rebuilt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from headwater.example.build import database_path
from headwater.example.dbt_runner import run_selected
from headwater.example.faults import FAULTS
from headwater.example.postgres import SOURCE, raw_checksums

CODE_FAULT = "items_join_inner_to_left"  # instrumented model SQL, transpiled from DuckDB to Spark SQL
DATA_FAULT = "null_customer_email"  # bad rows in a source table, found by batched checks


@dataclass(frozen=True)
class SparkExample:
    project: Path  # built on DuckDB, both faults in (its DuckDB file is the reference warehouse)
    tables: tuple[str, ...]  # schema.table loaded into the session
    seconds: dict[str, float]  # what the fixtures cost: session start, dbt rebuild, load


def new_session() -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("headwater-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def stack_fault(project: Path, fault_id: str) -> float:
    """Apply a data or code fault on top of a built copy; rebuild only what is downstream of it (no ML)."""
    started = time.perf_counter()
    raw_before = raw_checksums(database_path(project))
    models_before = {p: p.read_text() for p in (project / "models").rglob("*.sql")}
    FAULTS[fault_id].apply(project)
    raw_after = raw_checksums(database_path(project))
    select = [f"source:{SOURCE}.{t}+" for t in raw_after if raw_before.get(t) != raw_after[t]]
    select += [f"{p.stem}+" for p, text in models_before.items() if p.read_text() != text]
    assert select, f"fault {fault_id} changed nothing"
    code_changed = any(p.read_text() != text for p, text in models_before.items())
    run_selected(project, "--select", *select, "--exclude", "tag:ml", code_changed=code_changed,
                 duckdb_path=database_path(project))  # fmt: skip
    return time.perf_counter() - started


def load_into_spark(spark: Any, duckdb_file: Path, folder: Path) -> list[str]:
    """Every table and view of the DuckDB file as a parquet-backed Spark table of the same schema.name. The
    columns are declared (the parquet file's types as DuckDB reads them back, in Spark SQL by sqlglot) so
    that Spark does not run a schema-inference job per table."""
    loaded: list[str] = []
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
        ).fetchall()
        for schema, table in relations:
            path = folder / f"{schema}.{table}.parquet"
            columns = export_parquet(con, schema, table, path)
            spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
            spark.sql(f"DROP TABLE IF EXISTS `{schema}`.`{table}`")
            spark.sql(f"CREATE TABLE `{schema}`.`{table}` ({columns}) USING parquet LOCATION '{path}'")
            loaded.append(f"{schema}.{table}")
    return loaded


def parquet_select(con: Any, schema: str, table: str) -> str:
    """`select *` of a DuckDB table, HUGEINT columns (e.g. a sum of integers) as DECIMAL(38,0): parquet has no
    128-bit integer and DuckDB would write them as DOUBLE, a narrowing a schema contract rightly flags."""
    columns = con.execute(f'describe "{schema}"."{table}"').fetchall()
    wide = [f'cast("{name}" as decimal(38,0)) as "{name}"' for name, kind, *_ in columns if "HUGEINT" in str(kind)]
    replace = f"replace ({', '.join(wide)}) " if wide else ""
    return f'select * {replace}from "{schema}"."{table}"'


def spark_checksums(spark: Any) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash (the sum of each row's `hash(*)`) of every table of every
    database, in one Spark query (a job per table costs seconds on a local session)."""
    names = [
        f"{row.namespace}.{row.tableName}"
        for database in spark.sql("SHOW DATABASES").collect()
        for row in spark.sql(f"SHOW TABLES IN `{database[0]}`").collect()
        if not row.isTemporary
    ]
    parts = [
        f"SELECT '{name}' AS relation, count(*) AS n, coalesce(sum(hash(*)), 0) AS digest FROM "
        + ".".join(f"`{p}`" for p in name.split("."))
        for name in names
    ]
    rows = spark.sql(" UNION ALL ".join(parts)).collect() if parts else []
    return {str(r.relation): (int(r.n), int(r.digest)) for r in rows}


def export_parquet(con: Any, schema: str, table: str, path: Path) -> str:
    """Write `schema.table` of the DuckDB connection to a parquet file; return its columns as Spark DDL (the
    parquet file's types as DuckDB reads them back, in Spark SQL by sqlglot)."""
    con.execute(f"COPY ({parquet_select(con, schema, table)}) TO '{path}' (FORMAT parquet)")
    described = con.execute(f"describe select * from read_parquet('{path}')").fetchall()
    return ", ".join(
        f"`{name}` {exp.DataType.build(str(kind), dialect='duckdb').sql('spark')}" for name, kind, *_ in described
    )
