"""PostgreSQL for real (127.0.0.1:5432, trust auth, database `test`): the fixture creates its own schema and
drops it afterwards; headwater itself only reads. Checks, instrumented SQL and guards run in its dialect."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlglot import exp

from headwater.errors import UnsafeQueryError
from headwater.trace.checks import Between, DistinctContains, InSet, NotNull, Regex, RowCount, Schema, Unique
from headwater.trace.instrument import classify, relevant_joins
from headwater.trace.measures import evaluate
from headwater.trace.scope import locate
from headwater.warehouse import ProbeError, Warehouse, connect, from_url
from tests.warehouse.pg_admin import admin_connection

pytestmark = pytest.mark.postgres




@pytest.fixture(scope="module")
def pg_schema() -> Iterator[tuple[str, str]]:
    conn, user = admin_connection()
    schema = f"hw_trace_{uuid.uuid4().hex[:10]}"
    with conn.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f'create schema "{schema}"')
        cur.execute(f'create table "{schema}".customers (customer_id int, email text, country text)')
        cur.execute(f'create table "{schema}".orders (order_id int, customer_id int, amount_text text)')
        cur.execute(
            f"""insert into "{schema}".customers values (1, 'a@x.io', 'DE'), (2, null, 'FR'), (3, 'c@x.io', 'DE')"""
        )
        cur.execute(
            f"""insert into "{schema}".orders values (10, 1, '5.00'), (11, 2, '7.50'), (12, 99, '1.00'),
                (13, 98, 'N/A'), (14, 3, '12.00')"""
        )
    try:
        yield schema, user
    finally:
        with conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(f'drop schema "{schema}" cascade')
        conn.close()  # type: ignore[attr-defined]


@pytest.fixture
def wh(pg_schema: tuple[str, str]) -> Iterator[Warehouse]:
    _, user = pg_schema
    with connect(from_url(f"postgresql://{user}@127.0.0.1:5432/test", timeout_seconds=2)) as conn:
        yield conn


def test_batched_checks_one_query(wh: Warehouse, pg_schema: tuple[str, str]) -> None:
    schema, _ = pg_schema
    table = wh.table("test", schema, "customers")
    before = len(wh.probes)
    checks = [
        NotNull("email"),
        Unique(("customer_id",)),
        InSet("country", ("DE",)),
        Regex("email", r"@x\.io$"),
        Between("customer_id", 1, 2),
        RowCount(1, 2),
        DistinctContains("country", ("DE", "IT")),
    ]
    outcomes = evaluate(wh, table, checks, "customers")
    assert len(wh.probes) == before + 1  # all of them in one statement
    assert [o.failed for o in outcomes] == [True, False, True, False, True, True, True]
    assert outcomes[0].failing == 1 and outcomes[2].failing == 1 and outcomes[4].failing == 1


def test_schema_and_compound_unique(wh: Warehouse, pg_schema: tuple[str, str]) -> None:
    schema, _ = pg_schema
    table = wh.table("test", schema, "orders")
    schema_out, unique_out = evaluate(
        wh, table, [Schema(("order_id", "amount"), (("customer_id", "integer"),)), Unique(("order_id", "customer_id"))],
        "orders", relation=("test", schema, "orders"),
    )
    assert schema_out.failed and "missing amount" in schema_out.observed
    assert unique_out.failed is False


def test_instrumented_join_miss_and_cast(wh: Warehouse, pg_schema: tuple[str, str]) -> None:
    schema, _ = pg_schema
    model = f"""
        with orders as (select * from "{schema}".orders),
             customers as (select customer_id, email from "{schema}".customers)
        select orders.order_id, customers.email as customer_email,
               case when orders.amount_text ~ '^[0-9.]+$' then cast(orders.amount_text as numeric) end as amount
        from orders left join customers on orders.customer_id = customers.customer_id
    """
    scope = locate(model, "postgres", "customer_email")
    assert scope is not None and [j.alias for j in relevant_joins(scope)] == ["customers"]
    result = classify(wh, scope, NotNull("customer_email"), [True], "orders_enriched")
    assert result is not None
    # 3 NULL emails: two orders whose customer does not exist (join miss), one customer without email
    assert (result.failing, result.join_miss[0], result.input_bad[0]) == (3, 2, 1)
    amount = locate(model, "postgres", "amount")
    assert amount is not None
    nulled = classify(wh, amount, NotNull("amount"), [False], "orders_enriched")
    assert nulled is not None and nulled.nulled == 1


def test_postgres_session_is_read_only(wh: Warehouse, pg_schema: tuple[str, str]) -> None:
    schema, _ = pg_schema
    with pytest.raises(UnsafeQueryError):
        wh.query(f'delete from "{schema}".orders')
    import psycopg2

    with pytest.raises(psycopg2.Error), wh._conn.cursor() as cur:  # past the guard: the session refuses
        cur.execute(f'delete from "{schema}".orders')


def test_statement_timeout(wh: Warehouse) -> None:
    with pytest.raises(ProbeError, match=r"timeout|cancel"):
        wh.query(exp.select(exp.func("pg_sleep", exp.Literal.number(5))))
    assert wh.query("select 1 as one").first() == {"one": 1}  # the connection is still usable
