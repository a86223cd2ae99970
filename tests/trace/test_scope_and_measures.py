"""The defining scope of a column in compiled SQL, and checks evaluated on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from headwater.trace.checks import Between, Drift, Freshness, McvShare, NotNull, Referential, Unique
from headwater.trace.measures import evaluate, psi
from headwater.trace.scope import base_table, locate, null_propagating, one_to_one
from headwater.warehouse import connect, from_url

MODEL = """
with payments as (select * from raw.payments),
orders as (select order_id, customer_id from raw.orders),
features as (
    select payments.payment_id, orders.customer_id, try_cast(payments.amount as decimal(5, 2)) as amount,
           count(*) over (partition by orders.customer_id) as n
    from payments
    inner join orders on payments.order_id = orders.order_id
    left join raw.customers as c using (customer_id)
    where payments.status = 'ok' and payments.amount is not null
)
select *, amount * 2 as double_amount from features
"""


@pytest.mark.parametrize(
    ("column", "output", "joins", "filters", "grouped"),
    [
        pytest.param(
            "amount",
            "TRY_CAST(payments.amount AS DECIMAL(5, 2))",
            ["inner:orders", "left:c"],
            2,
            False,
            id="through-star-wrapper",
        ),
        pytest.param("double_amount", "amount * 2", [], 0, False, id="outer-projection"),
        pytest.param(
            "n",
            "COUNT(*) OVER (PARTITION BY orders.customer_id)",
            ["inner:orders", "left:c"],
            2,
            True,
            id="window-is-grouped",
        ),
        pytest.param("payment_id", "payments.payment_id", ["inner:orders", "left:c"], 2, False, id="passthrough"),
    ],
)
def test_locate(column: str, output: str, joins: list[str], filters: int, grouped: bool) -> None:
    scope = locate(MODEL, "duckdb", column)
    assert scope is not None
    assert scope.output.sql("duckdb") == output
    assert [f"{j.side}:{j.alias}" for j in scope.joins] == joins
    assert (len(scope.filters), scope.grouped) == (filters, grouped)


def test_join_sides_resolve_to_tables_through_ctes() -> None:
    scope = locate(MODEL, "duckdb", "amount")
    assert scope is not None
    sides = {j.alias: base_table(scope, j.source) for j in scope.joins}
    assert {a: t.sql("duckdb") if t is not None else None for a, t in sides.items()} == {
        "orders": "raw.orders",
        "c": "raw.customers AS c",
    }
    assert base_table(scope, scope.select.args["from_"].this).sql("duckdb") == "raw.payments"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("sql", "rows_kept", "strict"),
    [
        pytest.param("with s as (select * from raw.t) select lower(trim(a)) as x from s", True, True, id="lower-trim"),
        pytest.param("select a * 100 + 1 as x from raw.t", True, True, id="arithmetic"),
        pytest.param("select first || ' ' || last as x from raw.t", True, True, id="concat-operator"),
        pytest.param("select coalesce(a, 'n/a') as x from raw.t", True, False, id="coalesce"),
        pytest.param("select case when a = '' then null else a end as x from raw.t", True, False, id="case"),
        pytest.param(
            "with s as (select * from raw.t where a > 1) select a as x from s", False, True, id="filtered-cte"
        ),
        pytest.param("select distinct a as x from raw.t", False, True, id="distinct"),
        pytest.param("select a as x from raw.t join raw.u on t.id = u.id", False, True, id="join"),
    ],
)
def test_rows_one_to_one_and_null_propagation(sql: str, rows_kept: bool, strict: bool) -> None:
    scope = locate(sql, "duckdb", "x")
    assert scope is not None
    assert (one_to_one(scope), null_propagating(scope.output)) == (rows_kept, strict)


def test_locate_gives_up_on_unions_and_ambiguous_stars() -> None:
    assert locate("select a from x union all select a from y", "duckdb", "a") is None
    assert locate("select * from x join y on x.k = y.k", "duckdb", "a") is None


def test_incremental_self_filter_is_dropped() -> None:
    from headwater.trace.scope import without_self_filters

    sql = 'select id, ts from src where id > 0 and ts >= (select max(ts) from "db"."marts"."fct_events")'
    scope = locate(sql, "duckdb", "id")
    assert scope is not None and len(scope.filters) == 2
    kept = without_self_filters(scope, "fct_events")
    assert [f.sql() for f in kept.filters] == ["id > 0"]
    assert kept.select.sql() == "SELECT id, ts FROM src WHERE id > 0"


@pytest.fixture
def wh(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table t as select range as id, case when range % 10 = 0 then 'x' else 'y' end as cat, "
            "timestamp '2026-01-30' + to_hours(range) as ts from range(100)"
        )
        con.execute("create table parent as select range as id from range(90)")
    with connect(from_url(f"duckdb:///{path}")) as conn:
        yield conn


def test_group_checks(wh) -> None:  # type: ignore[no-untyped-def]
    table = wh.table(None, "main", "t")
    parent = wh.table(None, "main", "parent")
    out = evaluate(
        wh,
        table,
        [
            McvShare("cat", 0.5),
            Drift("cat", ("x", "y"), (0.5, 0.5)),
            Referential("id", "parent", "id"),
            Freshness("ts", 3600, datetime(2026, 2, 10)),
            Unique(("cat", "id")),
            Between("id", 0, 50, stat="max"),
            NotNull("cat"),
        ],
        "t",
        resolve=lambda name: parent,
    )
    mcv, drift, ref, fresh, uniq, max_, notnull = out
    assert mcv.failed and "90.0%" in mcv.observed
    assert drift.failed and drift.observed.startswith("PSI")
    assert ref.failed and ref.failing == 10
    assert fresh.failed and uniq.failed is False and max_.failed and notnull.failed is False


def test_psi_is_zero_for_equal_distributions() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == pytest.approx(0)
    assert psi([0.5, 0.5], [0.9, 0.1]) > 0.2
