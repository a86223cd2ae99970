"""Mechanisms on faults that are NOT in the fault list (the tracer knows no table names): a code bug in a
CASE, a NULL in one input of a concatenation, out-of-range values behind an arithmetic expression, drift
behind a filter, orphans traced to their source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from headwater.example.build import database_path, rebuild_models
from headwater.trace import Verdict, trace

pytestmark = pytest.mark.slow


def test_unlisted_code_and_data_faults(built_example: Path) -> None:
    model = built_example / "models" / "marts" / "fct_orders.sql"
    model.write_text(model.read_text().replace("then 'paid'", "then 'payed'"))
    with duckdb.connect(str(database_path(built_example))) as con:
        con.execute("UPDATE raw.customers SET last_name = NULL WHERE customer_id % 13 = 0")
        con.execute("UPDATE raw.products SET unit_price_cents = unit_price_cents * 1000 WHERE product_id % 17 = 0")
    rebuild_models(built_example)

    (typo,) = trace(node="fct_orders", column="payment_state", check="in_set",
                    args={"values": "paid,partially_paid,unpaid"}, project_dir=built_example).failures
    assert typo.top is not None
    assert (typo.top.node, typo.top.column, typo.top.mechanism.value) == (
        "model.headwater_example.fct_orders", "payment_state", "expression")
    assert "'payed'" in typo.top.expression and typo.top.line is not None

    (name,) = trace(node="dim_customers", column="full_name", check="not_null", project_dir=built_example).failures
    assert name.top is not None
    assert (name.top.node, name.top.column, name.top.mechanism.value) == (
        "source.headwater_example.shop.customers", "last_name", "source_data")

    # through `cast(unit_price_cents as decimal) / 100` the range cannot be translated: the failing rows'
    # inputs lie outside the passing rows' range, so the source is named
    (price,) = trace(node="dim_products", column="unit_price", check="between", args={"min": "0", "max": "1000"},
                     project_dir=built_example).failures
    assert price.top is not None
    assert (price.top.node, price.top.column, price.top.mechanism.value) == (
        "source.headwater_example.shop.products", "unit_price_cents", "source_data")


def test_drift_stops_at_the_first_moved_distribution(faulted_example: Callable[[str], Path]) -> None:
    baseline = '{"values": ["web", "app", "tablet"], "weights": [0.5, 0.35, 0.15]}'
    result = trace(node="fct_events_daily", column="device", check="drift", args={"baseline": baseline},
                   project_dir=faulted_example("events_filter_added"))
    (failure,) = result.failures
    assert failure.top is not None
    assert (failure.top.node, failure.top.mechanism.value) == ("model.headwater_example.stg_events", "drift")


def test_orphans_are_followed_to_the_source(faulted_example: Callable[[str], Path]) -> None:
    (failure,) = trace(node="fct_orders", column="customer_id", check="referential",
                       args={"to": "dim_customers", "field": "customer_id"},
                       project_dir=faulted_example("orphan_order_customers")).failures
    assert failure.verdict == Verdict.TRACED and failure.top is not None
    assert (failure.top.node, failure.top.column) == ("source.headwater_example.shop.orders", "customer_id")
    assert failure.top.evidence.failing_here == failure.top.evidence.failing_downstream
