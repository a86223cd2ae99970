"""The example project builds, and each fault breaks what its ground truth says it breaks.

These checks use plain SQL on the marts, independently of GX, so that a fault that silently stopped working
is caught here rather than showing up as a tracer bug.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import orjson
import pytest

from headwater.example.build import database_path, rebuild_models
from headwater.example.faults import FAULTS
from headwater.example.generate import AS_OF, TableCounts
from tests.conftest import TEST_ROWS, copy_built


def _query(project: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database_path(project)), read_only=True) as con:
        return con.execute(sql).fetchall()


def _scalar(project: Path, sql: str) -> object:
    return _query(project, sql)[0][0]


def test_build_produces_every_table_and_artifact(example_template: Path) -> None:
    counts = TableCounts.for_rows(TEST_ROWS)
    assert _scalar(example_template, "select count(*) from raw.events") == counts.events
    assert _scalar(example_template, "select count(*) from raw.customers") == counts.customers
    manifest = orjson.loads((example_template / "target" / "manifest.json").read_bytes())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 12
    assert all(n.get("compiled_code") for n in models), "docs generate must leave compiled_code"
    materialized = {n["config"]["materialized"] for n in models}
    assert {"view", "table", "ephemeral", "incremental"} <= materialized
    assert any(n["config"]["contract"]["enforced"] for n in models)
    assert (example_template / "target" / "catalog.json").exists()
    run_results = orjson.loads((example_template / "target" / "run_results.json").read_bytes())
    assert run_results["args"]["which"] == "build"
    assert {r["status"] for r in run_results["results"]} <= {"success", "pass"}


def test_dim_customers_keeps_one_row_per_customer(example_template: Path) -> None:
    sql = "select count(*), count(distinct customer_id) from marts.dim_customers"
    total, distinct = _query(example_template, sql)[0]
    assert total == distinct == TableCounts.for_rows(TEST_ROWS).customers


# For each fault, the SQL that is 0 (or false) on the clean build and non-zero (true) once it is injected.
VIOLATION_SQL = {
    "not_null": "select count(*) from marts.{model} where {column} is null",
    "unique": "select count(*) - count(distinct {column}) from marts.{model}",
    "between": "select count(*) from marts.{model} where {column} not between 0 and 5000",
    "in_set": "select count(*) from marts.{model}"
    " where {column} not in ('card', 'paypal', 'bank_transfer', 'gift_card')",
    "freshness": f"select max({{column}}) < TIMESTAMP '{AS_OF - timedelta(days=1)}' from marts.{{model}}",
    "schema": "select count(*) = 0 from information_schema.columns"
    " where table_name = '{model}' and column_name = '{column}'",
    "distinct_set": "select count(distinct {column}) < 3 from marts.{model}",
    # the suite's max_share (0.55): clean builds stay near 0.40, the fallback score takes ~0.70 of rows
    "most_common_share": "select max(n) >= 0.55 * sum(n) from (select count(*) as n from marts.{model} "
    "where {column} is not null group by {column})",
}


@pytest.mark.slow
@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_fault_breaks_its_expectation(fault_id: str, example_template: Path, faulted_example) -> None:  # type: ignore[no-untyped-def]
    fault = FAULTS[fault_id]
    expected = fault.expectation
    sql = VIOLATION_SQL[expected.check].format(model=expected.model, column=expected.column)
    assert not _scalar(example_template, sql), f"clean build already violates {expected}"
    assert _scalar(faulted_example(fault_id), sql), f"{fault_id} does not violate {expected}"


@pytest.mark.slow
@pytest.mark.parametrize("fault_id", ["payment_amount_x100", "events_filter_added"])
def test_revert_restores_the_clean_marts(fault_id: str, faulted_example, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fault = FAULTS[fault_id]
    sql = VIOLATION_SQL[fault.expectation.check].format(model=fault.expectation.model, column=fault.expectation.column)
    project = copy_built(faulted_example(fault_id), tmp_path / "project")  # applied and rebuilt, shared
    assert _scalar(project, sql)
    fault.revert(project)
    rebuild_models(project, score=False)
    assert not _scalar(project, sql)
