"""Spark SQL for real: the example's built tables (faulted) loaded into one local SparkSession, and headwater's
probes run there through the guarded warehouse: batched checks, the schema check, instrumented model SQL
transpiled by sqlglot to Spark SQL, the guard and the statement timeout.
The same probes on the DuckDB file give the reference answers.

Cost: one SparkSession per test run (local[2], no UI), started by the first test that needs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from headwater.errors import UnsafeQueryError
from headwater.example.build import database_path
from headwater.trace.checks import Between, Check, InSet, NotNull, Schema, Unique
from headwater.trace.instrument import classify
from headwater.trace.measures import evaluate
from headwater.trace.scope import locate
from headwater.warehouse import Warehouse, connect, from_url
from tests.engines.spark_example import SparkExample

pytestmark = pytest.mark.slow


@pytest.fixture
def wh(spark_example: SparkExample) -> Iterator[Warehouse]:
    with connect(from_url("spark://local[2]", timeout_seconds=180)) as warehouse:
        yield warehouse


@pytest.fixture
def reference(spark_example: SparkExample) -> Iterator[Warehouse]:
    with connect(from_url(f"duckdb:///{database_path(spark_example.project)}")) as warehouse:
        yield warehouse


def test_batched_checks_match_duckdb(wh: Warehouse, reference: Warehouse) -> None:
    checks: list[Check] = [NotNull("category"), Unique(("order_item_id",)), InSet("category", ("home", "toys")),
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


def test_instrumented_model_sql_transpiled_to_spark(
    wh: Warehouse, reference: Warehouse, spark_example: SparkExample
) -> None:
    """The faulted model's compiled SQL, parsed as DuckDB (the manifest's dialect) as a trace does, names the
    join that misses on both: the warehouse drops the DuckDB file's catalog and renders Spark SQL."""
    import orjson

    manifest = orjson.loads((spark_example.project / "target" / "manifest.json").read_bytes())
    node = manifest["nodes"]["model.headwater_example.int_order_items_enriched"]
    catalog = database_path(spark_example.project).stem
    assert f'"{catalog}".' in node["compiled_code"]  # three-part names: the DuckDB file's catalog
    scope = locate(node["compiled_code"], "duckdb", "category")
    assert scope is not None
    results = [classify(w, scope, NotNull("category"), [False], "int_order_items_enriched") for w in (wh, reference)]
    assert "FROM `staging`.`stg_order_items`" in wh.probes[-1].sql and f"`{catalog}`" not in wh.probes[-1].sql
    on_spark, on_duckdb = results
    assert on_spark is not None and on_duckdb is not None
    assert on_spark.failing == on_duckdb.failing > 0
    assert on_spark.join_miss == on_duckdb.join_miss and on_spark.join_miss[0] == on_spark.failing


def test_guard_and_timeout(wh: Warehouse) -> None:
    """Writes are refused before they reach Spark (the checksums around a real trace and gate are in
    test_spark_trace.py); a probe past the timeout is cancelled."""
    with pytest.raises(UnsafeQueryError):
        wh.query("insert into marts.fct_orders select * from marts.fct_orders")
    with pytest.raises(UnsafeQueryError):
        wh.query("select 1; drop table marts.fct_orders")
    quick = connect(from_url("spark://local[2]", timeout_seconds=1))
    slow = "select count(*) as n from range(0, 100000000000) a"  # minutes of work: cancelled after 1 s
    with pytest.raises(Exception, match=r"(?i)cancel"):
        quick.query(slow)
    assert wh.query("select 1 as one").first() == {"one": 1}
