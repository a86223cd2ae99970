"""`suites-from-dbt` on the example: suites that pass on the clean build, fail on the faults their dbt tests
cover, point back at their dbt nodes, and update rather than duplicate when re-run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.gx.checkpoint import run_marts_checkpoint
from headwater.gx.suites_from_dbt import suites_from_dbt

pytestmark = pytest.mark.slow

# Faults whose expected failure a dbt test of the example also checks (same model, column).
COVERED = (
    "duplicate_customers",
    "fraud_join_key_fanout",
    "items_join_inner_to_left",
    "unknown_payment_method",
)


@pytest.fixture(scope="module")
def dbt_context(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dbt") / "expectations"
    suites_from_dbt(root, example_template, select="tag:marts")
    return root


def test_suites_map_dbt_tests_and_contract(dbt_context: Path) -> None:
    folder = dbt_context / "gx" / "expectations"
    assert {p.stem for p in folder.glob("*.json")} == {
        "dbt_dim_customers", "dbt_dim_products", "dbt_fct_events_daily", "dbt_fct_order_items", "dbt_fct_orders",
        "dbt_mart_fraud_features",
    }  # fmt: skip
    customers = json.loads((folder / "dbt_dim_customers.json").read_text())
    types = [e["type"] for e in customers["expectations"]]
    assert types[0] == "expect_table_schema_to_match_contract"
    contract = customers["expectations"][0]["kwargs"]
    assert {"name": "customer_id", "data_type": "integer", "nullable": False} in contract["columns"]
    orders = json.loads((folder / "dbt_fct_orders.json").read_text())
    relationship = next(
        e for e in orders["expectations"] if e["type"] == "expect_column_values_to_exist_in_table"
    )
    assert relationship["kwargs"] == {
        "column": "customer_id",
        "to_table": "marts.dim_customers",
        "to_column": "customer_id",
    }
    assert relationship["meta"]["headwater"]["dbt_node"] == "model.headwater_example.fct_orders"
    assert relationship["meta"]["headwater"]["dbt_test"].startswith("test.headwater_example.relationships_")
    assert orders["meta"]["headwater"] == {
        "table": "fct_orders", "schema": "marts", "dbt_node": "model.headwater_example.fct_orders",
        "generated_by": "headwater gx suites-from-dbt",
    }  # fmt: skip


def test_rerun_updates_rather_than_duplicates(example_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "expectations"
    suites_from_dbt(root, example_template, select="fct_orders")
    path = root / "gx" / "expectations" / "dbt_fct_orders.json"
    first = json.loads(path.read_text())
    first["expectations"].append(
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "meta": {}}
    )
    path.write_text(json.dumps(first))
    suites_from_dbt(root, example_template, select="fct_orders")
    second = json.loads(path.read_text())
    assert second["id"] == first["id"]
    assert [e["id"] for e in second["expectations"][:-1]] == [e["id"] for e in first["expectations"][:-1]]
    assert second["expectations"][-1]["type"] == "expect_table_row_count_to_be_between"  # a person's, kept
    assert len(second["expectations"]) == len(first["expectations"])


def test_generated_suites_pass_on_clean_build(dbt_context: Path, example_template: Path) -> None:
    outcome = run_marts_checkpoint(dbt_context, database_path(example_template), "dbt")
    assert outcome.success, [
        f"{f.suite} {f.expectation_type} {f.column}: {f.observed}" for f in outcome.failures
    ]


@pytest.mark.parametrize("fault_id", COVERED)
def test_generated_suites_fail_on_faults(
    fault_id: str, dbt_context: Path, faulted_example: Callable[[str], Path]
) -> None:
    expected = FAULTS[fault_id].expectation
    outcome = run_marts_checkpoint(dbt_context, database_path(faulted_example(fault_id)), "dbt")
    failed = {(f.suite, f.column) for f in outcome.failures}
    assert (f"dbt_{expected.model}", expected.column) in failed, failed
