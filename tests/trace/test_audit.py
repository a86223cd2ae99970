"""Behaviour found in the issue-5 audit: an unmapped GX batch is one unknown failure (not a usage error of the
whole run), the missing-column search stays on the branches lineage says carry the column, and distribution
checks on a joined lookup column say why they stop (or follow NULLs as a row-level question)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from headwater.cli import main
from headwater.example.build import database_path, rebuild_models
from headwater.example.faults import FAULTS
from headwater.trace import CauseKind, Verdict, trace
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow


def test_unmapped_batch_is_one_unknown_failure(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = faulted_example("null_customer_email")
    mapped = validation_result(FAULTS["null_customer_email"])
    unmapped = validation_result(FAULTS["null_customer_email"])
    unmapped["meta"] = {
        "batch_spec": {"table_name": "crm_feed", "schema_name": "landing"},
        "active_batch_definition": {"data_asset_name": "crm_feed"},
    }
    document = {"validation_results": [mapped, unmapped]}

    result = trace(document, project_dir=project)
    first, second = result.failures
    assert first.verdict == Verdict.TRACED
    assert second.verdict == Verdict.UNKNOWN and not second.root_causes and not second.node
    assert "landing.crm_feed" in second.reason and "--map crm_feed=NODE" in second.reason
    assert result.exit_code == 1

    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(document))
    with pytest.raises(SystemExit) as done:
        main(["trace", str(result_file), "--project-dir", str(project)])
    assert done.value.code == 1
    text = capsys.readouterr().out
    assert "landing.crm_feed.email" in text and "? unknown" in text

    # the override map resolves it; a map onto a node that does not exist stays a usage error
    with pytest.raises(SystemExit) as done:
        main(["trace", str(result_file), "--project-dir", str(project), "--map", "crm_feed=dim_customers"])
    assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        main(["trace", str(result_file), "--project-dir", str(project), "--map", "crm_feed=dim_customer"])
    assert done.value.code == 2


def test_missing_column_search_follows_lineage_only(faulted_example: Callable[[str], Path]) -> None:
    # dim_products = stg_products.* + aggregates of int_order_items_enriched: only the star can carry
    # product_name, so the order-items branch is never searched
    result = trace(validation_result(FAULTS["rename_product_name"]), project_dir=faulted_example("rename_product_name"))
    (failure,) = result.failures
    visited = {step.node.split(".")[-1] for step in failure.path}
    assert visited == {"dim_products", "stg_products", "products"}, visited
    assert failure.top is not None and failure.top.summary.startswith("`dim_products` fails its schema check (missing")


def test_distribution_of_a_lookup_column(example_template: Path, built_example: Path) -> None:
    # drift of a value taken from a LEFT JOINed lookup: not comparable upstream; say so, name no node
    baseline = '{"values": ["nowhere"], "weights": [1.0]}'
    (drift,) = trace(
        node="fct_orders",
        column="customer_region",
        check="drift",
        args={"baseline": baseline},
        project_dir=example_template,
    ).failures
    assert drift.verdict == Verdict.UNKNOWN
    assert all(c.kind == CauseKind.UNKNOWN for c in drift.root_causes)
    assert "takes its values from the joined lookup `countries`" in drift.reason

    # NULL as the most common value of that column is a row-level question: the join that misses
    with duckdb.connect(str(database_path(built_example))) as con:
        con.execute("UPDATE raw.orders SET customer_id = customer_id + 100000000 WHERE order_id % 5 < 3")
    rebuild_models(built_example, score=False)
    (share,) = trace(
        node="fct_orders",
        column="customer_region",
        check="mcv_share",
        args={"max_share": "0.5"},
        project_dir=built_example,
    ).failures
    assert share.verdict == Verdict.TRACED and share.top is not None
    # stg_orders declares customer_id related to stg_customers: the unmatched keys are orphans at the source
    assert (share.top.node, share.top.column, share.top.mechanism.value) == (
        "source.headwater_example.shop.orders",
        "customer_id",
        "source_data",
    )


def test_fan_out_key_is_looked_up_on_the_repeating_side_only(faulted_example: Callable[[str], Path]) -> None:
    # payments JOIN orders ON payments.order_id = orders.customer_id repeats `orders` rows; the model's other
    # join on a `customer_id` (to stg_customers, declared unique) has nothing to do with it
    result = trace(
        validation_result(FAULTS["fraud_join_key_fanout"]), project_dir=faulted_example("fraud_join_key_fanout")
    )
    (failure,) = result.failures
    assert failure.top is not None and failure.top.mechanism.value == "fan_out"
    assert not any(step.node.endswith("stg_customers") for step in failure.path), [s.node for s in failure.path]
