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
    rebuild_models(built_example, score=False)

    (typo,) = trace(
        node="fct_orders",
        column="payment_state",
        check="in_set",
        args={"values": "paid,partially_paid,unpaid"},
        project_dir=built_example,
    ).failures
    assert typo.top is not None
    assert (typo.top.node, typo.top.column, typo.top.mechanism.value) == (
        "model.headwater_example.fct_orders",
        "payment_state",
        "expression",
    )
    assert "'payed'" in typo.top.expression and typo.top.line is not None

    (name,) = trace(node="dim_customers", column="full_name", check="not_null", project_dir=built_example).failures
    assert name.top is not None
    assert (name.top.node, name.top.column, name.top.mechanism.value) == (
        "source.headwater_example.shop.customers",
        "last_name",
        "source_data",
    )

    # through `cast(unit_price_cents as decimal) / 100` the range cannot be translated: the failing rows'
    # inputs lie outside the passing rows' range, so the source is named
    (price,) = trace(
        node="dim_products",
        column="unit_price",
        check="between",
        args={"min": "0", "max": "1000"},
        project_dir=built_example,
    ).failures
    assert price.top is not None
    assert (price.top.node, price.top.column, price.top.mechanism.value) == (
        "source.headwater_example.shop.products",
        "unit_price_cents",
        "source_data",
    )


def test_drift_stops_at_the_first_moved_distribution(faulted_example: Callable[[str], Path]) -> None:
    baseline = '{"values": ["web", "app", "tablet"], "weights": [0.5, 0.35, 0.15]}'
    result = trace(
        node="fct_events_daily",
        column="device",
        check="drift",
        args={"baseline": baseline},
        project_dir=faulted_example("events_filter_added"),
    )
    (failure,) = result.failures
    assert failure.top is not None
    assert (failure.top.node, failure.top.mechanism.value) == ("model.headwater_example.stg_events", "drift")


def test_orphans_are_followed_to_the_source(faulted_example: Callable[[str], Path]) -> None:
    (failure,) = trace(
        node="fct_orders",
        column="customer_id",
        check="referential",
        args={"to": "dim_customers", "field": "customer_id"},
        project_dir=faulted_example("orphan_order_customers"),
    ).failures
    assert failure.verdict == Verdict.TRACED and failure.top is not None
    assert (failure.top.node, failure.top.column) == ("source.headwater_example.shop.orders", "customer_id")
    assert failure.top.evidence.failing_here == failure.top.evidence.failing_downstream


def test_a_join_miss_names_the_line_of_its_own_join_when_the_condition_text_repeats(built_example: Path) -> None:
    model = built_example / "models" / "intermediate" / "int_orders_enriched.sql"
    # An earlier CTE with the very same ON text: the cause must point at the join that misses, not the first match.
    earlier_cte = (
        "\n),\n\nknown_countries as (\n\n    select customers.customer_id\n    from customers\n"
        "    inner join countries\n        on customers.country_code = countries.country_code\n\n)\n\nselect\n"
    )
    sql = model.read_text().replace("\n)\n\nselect\n", earlier_cte, 1)
    model.write_text(sql)
    condition = "on customers.country_code = countries.country_code"
    lines = [n for n, line in enumerate(sql.splitlines(), start=1) if condition in line]
    assert len(lines) == 2
    with duckdb.connect(str(database_path(built_example))) as con:
        con.execute("UPDATE raw.customers SET country_code = 'XX' WHERE customer_id % 11 = 0")
    rebuild_models(built_example, score=False)

    (failure,) = trace(
        node="fct_orders", column="customer_region", check="not_null", project_dir=built_example
    ).failures
    assert failure.top is not None
    assert (failure.top.node, failure.top.mechanism.value) == (
        "model.headwater_example.int_orders_enriched",
        "join_miss",
    )
    assert failure.top.line == lines[1]
