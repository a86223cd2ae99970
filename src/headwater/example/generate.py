"""Deterministic source data for the example project, generated inside DuckDB.

The raw tables stand for what an ingestion tool (Fivetran, Airbyte, a Kafka sink) lands in schema `raw`;
dbt only reads them as sources. Generation is pure SQL over `range()` with `hash()`-based pseudo-random
numbers, so 100k rows take well under a second and 10M rows tens of seconds, with the same data every time.

Scale: `rows` is the row count of the largest table (`raw.events`); the others follow in fixed proportions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

AS_OF = datetime(2026, 1, 31, 0, 0, 0)
"""The "now" of the generated data: the newest order is a few hours before it."""

DEFAULT_ROWS = 100_000
PAYMENT_METHODS = ("card", "paypal", "bank_transfer", "gift_card")
ORDER_STATUSES = ("placed", "shipped", "completed", "returned", "cancelled")
CATEGORIES = ("electronics", "home", "fashion", "grocery", "toys")
DEVICES = ("web", "app", "tablet")
EVENT_TYPES = ("page_view", "add_to_cart", "checkout", "login")
SEGMENTS = ("consumer", "business")
FIRST_NAMES = ("Ada", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jun")
LAST_NAMES = ("Smith", "Garcia", "Müller", "Rossi", "Okafor", "Silva", "Tanaka", "Dubois")
COUNTRY_CODES = ("US", "GB", "DE", "FR", "NL", "ES", "IT", "BR", "IN", "NG", "CA", "AU")


@dataclass(frozen=True)
class TableCounts:
    customers: int
    products: int
    orders: int
    events: int

    @classmethod
    def for_rows(cls, rows: int) -> TableCounts:
        rows = max(rows, 1_000)
        return cls(
            customers=max(rows // 20, 100),
            products=max(min(rows // 300, 5_000), 60),
            orders=max(rows // 4, 250),
            events=rows,
        )


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _pick(values: tuple[str, ...], seed_expr: str) -> str:
    """SQL choosing one of `values` by a pseudo-random seed (uniform)."""
    return f"{_sql_list(values)}[(1 + ({seed_expr}) % {len(values)})::BIGINT]"


def generation_sql(counts: TableCounts) -> list[str]:
    """The statements that (re)create schema `raw` and its six tables."""
    as_of = f"TIMESTAMP '{AS_OF:%Y-%m-%d %H:%M:%S}'"
    # u(i, k): a pseudo-random number in [0, 1) for row i and stream k.
    return [
        "CREATE SCHEMA IF NOT EXISTS raw",
        "CREATE OR REPLACE TEMP MACRO u(i, k) AS (hash(i, k) % 1000003) / 1000003.0",
        f"""
        CREATE OR REPLACE TABLE raw.customers AS
        SELECT
            i::INTEGER AS customer_id,
            'user' || i || '@example.com' AS email,
            {_pick(FIRST_NAMES, "hash(i, 1)")} AS first_name,
            {_pick(LAST_NAMES, "hash(i, 2)")} AS last_name,
            {_pick(COUNTRY_CODES, "hash(i, 3)")} AS country_code,
            CASE WHEN u(i, 4) < 0.05 THEN NULL WHEN u(i, 4) < 0.25 THEN 'business' ELSE 'consumer' END AS segment,
            {as_of} - to_days((1 + floor(u(i, 5) * 1000))::INTEGER) AS signup_at,
            {as_of} - INTERVAL 2 HOUR AS _loaded_at
        FROM range(1, {counts.customers} + 1) t(i)
        """,
        f"""
        CREATE OR REPLACE TABLE raw.products AS
        SELECT
            i::INTEGER AS product_id,
            'SKU-' || lpad(i::VARCHAR, 6, '0') AS sku,
            {_pick(CATEGORIES, "hash(i, 11)")} || ' item ' || i AS product_name,
            {_pick(CATEGORIES, "hash(i, 11)")} AS category,
            (199 + floor(u(i, 12) * 49800))::INTEGER AS unit_price_cents,
            u(i, 13) >= 0.1 AS is_active
        FROM range(1, {counts.products} + 1) t(i)
        """,
        f"""
        CREATE OR REPLACE TABLE raw.orders AS
        SELECT
            i::INTEGER AS order_id,
            (1 + hash(i, 21) % {counts.customers})::INTEGER AS customer_id,
            {as_of} - to_minutes((floor(u(i, 22) * 365 * 24 * 60) + 30)::INTEGER) AS ordered_at,
            CASE WHEN u(i, 23) < 0.05 THEN 'cancelled' WHEN u(i, 23) < 0.09 THEN 'returned'
                 WHEN u(i, 23) < 0.20 THEN 'placed' WHEN u(i, 23) < 0.45 THEN 'shipped'
                 ELSE 'completed' END AS status,
            {_pick(("web", "web", "app", "store"), "hash(i, 24)")} AS channel
        FROM range(1, {counts.orders} + 1) t(i)
        """,
        # Loaded a few minutes after each order, but never after AS_OF.
        f"""
        CREATE OR REPLACE TABLE raw.orders AS
        SELECT *, least(ordered_at + INTERVAL 20 MINUTE, {as_of}) AS _loaded_at FROM raw.orders
        ORDER BY order_id
        """,
        # 1 to 4 lines per order, quantity 1 or 2; ~3% of lines point at discontinued products that the
        # catalogue (raw.products) no longer lists: the INNER JOIN in int_order_items_enriched drops them.
        f"""
        CREATE OR REPLACE TABLE raw.order_items AS
        WITH lines AS (
            SELECT o.order_id, l.line_no
            FROM raw.orders o, range(1, 5) l(line_no)
            WHERE l.line_no <= 1 + hash(o.order_id, 31) % 4
        )
        SELECT
            row_number() OVER (ORDER BY order_id, line_no)::INTEGER AS order_item_id,
            order_id,
            CASE WHEN u(order_id * 8 + line_no, 32) < 0.03
                 THEN {counts.products} + 1 + (hash(order_id, line_no) % 50)::INTEGER
                 ELSE (1 + hash(order_id * 8 + line_no, 33) % {counts.products})::INTEGER END AS product_id,
            (1 + hash(order_id * 8 + line_no, 34) % 2)::INTEGER AS quantity
        FROM lines
        """,
        # One successful payment per non-cancelled order for the order's value; ~8% of orders first
        # have a failed attempt. Cancelled orders have only a failed attempt.
        f"""
        CREATE OR REPLACE TABLE raw.payments AS
        WITH order_value AS (
            SELECT oi.order_id, sum(oi.quantity * coalesce(p.unit_price_cents, 999)) / 100.0 AS amount
            FROM raw.order_items oi LEFT JOIN raw.products p USING (product_id)
            GROUP BY oi.order_id
        ),
        attempts AS (
            SELECT o.order_id, o.ordered_at, v.amount, 'failed' AS status, 1 AS attempt
            FROM raw.orders o JOIN order_value v USING (order_id)
            WHERE o.status = 'cancelled' OR u(o.order_id, 41) < 0.08
            UNION ALL
            SELECT o.order_id, o.ordered_at, v.amount, 'success', 2
            FROM raw.orders o JOIN order_value v USING (order_id)
            WHERE o.status <> 'cancelled'
        )
        SELECT
            row_number() OVER (ORDER BY order_id, attempt)::INTEGER AS payment_id,
            order_id,
            CASE WHEN u(order_id, 42) < 0.60 THEN 'card' WHEN u(order_id, 42) < 0.80 THEN 'paypal'
                 WHEN u(order_id, 42) < 0.92 THEN 'bank_transfer' ELSE 'gift_card' END AS payment_method,
            amount::DECIMAL(12, 2) AS amount,
            status,
            least(ordered_at + to_minutes(attempt * 3), {as_of}) AS created_at
        FROM attempts
        """,
        f"""
        CREATE OR REPLACE TABLE raw.events AS
        SELECT
            i::BIGINT AS event_id,
            (1 + hash(i // 8, 51) % {counts.customers})::INTEGER AS customer_id,
            'sess_' || (i // 8) AS session_id,
            CASE WHEN u(i, 52) < 0.6 THEN 'page_view' WHEN u(i, 52) < 0.8 THEN 'add_to_cart'
                 WHEN u(i, 52) < 0.9 THEN 'checkout' ELSE 'login' END AS event_type,
            CASE WHEN u(i // 8, 53) < 0.55 THEN 'web' WHEN u(i // 8, 53) < 0.9 THEN 'app' ELSE 'tablet' END AS device,
            {as_of} - to_minutes((floor(u(i // 8, 54) * 90 * 24 * 60) + (i % 8))::INTEGER) AS event_ts
        FROM range(1, {counts.events} + 1) t(i)
        """,
    ]


def generate(database: Path, rows: int = DEFAULT_ROWS) -> TableCounts:
    """(Re)create the raw tables in the DuckDB file `database`; return the table sizes used."""
    counts = TableCounts.for_rows(rows)
    database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database)) as con:
        for statement in generation_sql(counts):
            con.execute(statement)
    return counts


def regenerate_table(database: Path, table: str, rows: int = DEFAULT_ROWS) -> None:
    """Recreate the raw tables from scratch (used to revert data and schema faults).

    Tables depend on each other (payments on order values), so all of them are regenerated; it is cheap.
    """
    del table  # every table is regenerated; the argument documents what the caller meant to restore
    generate(database, rows)
