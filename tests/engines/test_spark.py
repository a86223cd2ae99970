"""Spark SQL for real: the example's built tables (faulted) loaded into one local SparkSession, and headwater's
probes run there through the guarded warehouse: batched checks, the schema check, instrumented model SQL
transpiled by sqlglot to Spark SQL, the statement timeout, and the tables' checksums unchanged.
The same probes on the DuckDB file give the reference answers.

Cost: one SparkSession per test run (local[2], no UI), started by the first test that needs it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from headwater.errors import UnsafeQueryError
from headwater.example.build import database_path
from headwater.trace.checks import Between, InSet, NotNull, Schema, Unique
from headwater.trace.instrument import classify
from headwater.trace.measures import evaluate
from headwater.trace.scope import locate
from headwater.warehouse import Warehouse, connect, from_url

pytestmark = pytest.mark.slow
FAULT = "items_join_inner_to_left"


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("headwater-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def load_into_spark(spark: Any, duckdb_file: Path, folder: Path) -> list[str]:
    """Every table and view of the DuckDB file as a parquet-backed Spark table of the same schema.name."""
    loaded: list[str] = []
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog') order by 1, 2"
        ).fetchall()
        for schema, table in relations:
            path = folder / f"{schema}.{table}.parquet"
            con.execute(f"COPY (select * from \"{schema}\".\"{table}\") TO '{path}' (FORMAT parquet)")
            spark.sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
            spark.sql(f"DROP TABLE IF EXISTS `{schema}`.`{table}`")
            spark.sql(f"CREATE TABLE `{schema}`.`{table}` USING parquet LOCATION '{path}'")
            loaded.append(f"{schema}.{table}")
    return loaded


@pytest.fixture(scope="session")
def spark_example(
    spark: Any, faulted_example: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    project = faulted_example(FAULT)
    load_into_spark(spark, database_path(project), tmp_path_factory.mktemp("spark-parquet"))
    return project


@pytest.fixture
def wh(spark_example: Path) -> Iterator[Warehouse]:
    with connect(from_url("spark://local[2]", timeout_seconds=180)) as warehouse:
        yield warehouse


@pytest.fixture
def reference(spark_example: Path) -> Iterator[Warehouse]:
    with connect(from_url(f"duckdb:///{database_path(spark_example)}")) as warehouse:
        yield warehouse


def spark_checksums(spark: Any) -> dict[str, tuple[int, int]]:
    found = {}
    for database in [d.name for d in spark.catalog.listDatabases()]:
        for table in spark.catalog.listTables(database):
            name = f"`{database}`.`{table.name}`"
            rows, digest = spark.sql(f"select count(*), coalesce(sum(hash(*)), 0) from {name}").first()
            found[f"{database}.{table.name}"] = (int(rows), int(digest))
    return found


def test_batched_checks_match_duckdb(wh: Warehouse, reference: Warehouse) -> None:
    checks = [NotNull("category"), Unique(("order_item_id",)), InSet("category", ("home", "toys")),
              Between("quantity", 1, 1)]
    on_spark = evaluate(wh, wh.table(None, "marts", "fct_order_items"), checks, "fct_order_items")
    on_duckdb = evaluate(reference, reference.table(None, "marts", "fct_order_items"), checks, "fct_order_items")
    assert wh.dialect == "spark" and "`marts`.`fct_order_items`" in wh.probes[-1].sql
    assert [(o.failed, o.failing) for o in on_spark] == [(o.failed, o.failing) for o in on_duckdb]
    assert on_spark[0].failed and on_spark[0].failing and not on_spark[1].failed


def test_schema_check_on_spark(wh: Warehouse) -> None:
    relation = (None, "marts", "dim_products")
    (outcome,) = evaluate(wh, wh.table(None, "marts", "dim_products"),
                          [Schema(("product_id", "title"), (("product_id", "integer"),))], "dim_products",
                          relation=relation)
    assert outcome.failed and "missing title" in outcome.observed
    assert wh.columns(None, "marts", "no_such_table") is None
    columns = wh.columns(None, "marts", "dim_products")
    assert columns is not None and columns["product_id"] == "INT" and columns["unit_price"] == "DOUBLE"


def test_instrumented_model_sql_transpiled_to_spark(wh: Warehouse, reference: Warehouse, spark_example: Path) -> None:
    """The faulted model's compiled SQL (DuckDB) transpiled to Spark SQL names the join that misses."""
    import orjson

    manifest = orjson.loads((spark_example / "target" / "manifest.json").read_bytes())
    node = manifest["nodes"]["model.headwater_example.int_order_items_enriched"]
    tree = sqlglot.parse_one(node["compiled_code"], read="duckdb")
    for table in tree.find_all(exp.Table):  # Spark's session catalog has schema.table, not the DuckDB file name
        table.set("catalog", None)
    results = []
    for warehouse in (wh, reference):
        sql = tree.sql(dialect=warehouse.dialect)
        scope = locate(sql, warehouse.dialect, "category")
        assert scope is not None
        results.append(classify(warehouse, scope, NotNull("category"), [False], "int_order_items_enriched"))
    on_spark, on_duckdb = results
    assert on_spark is not None and on_duckdb is not None
    assert on_spark.failing == on_duckdb.failing > 0
    assert on_spark.join_miss == on_duckdb.join_miss and on_spark.join_miss[0] == on_spark.failing


def test_guard_timeout_and_read_only(wh: Warehouse, spark: Any) -> None:
    before = spark_checksums(spark)
    assert len(before) > 10
    with pytest.raises(UnsafeQueryError):
        wh.query("insert into marts.fct_orders select * from marts.fct_orders")
    with pytest.raises(UnsafeQueryError):
        wh.query("select 1; drop table marts.fct_orders")
    quick = connect(from_url("spark://local[2]", timeout_seconds=1))
    slow = "select count(*) as n from range(0, 100000000000) a"  # minutes of work: cancelled after 1 s
    with pytest.raises(Exception, match=r"(?i)cancel"):
        quick.query(slow)
    assert wh.query("select 1 as one").first() == {"one": 1}
    assert spark_checksums(spark) == before
