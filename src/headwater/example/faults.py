"""Named, reversible faults on the example project, each with the ground truth a tracer must find.

Three families, as they happen in real pipelines:
- data faults: the ingestion lands bad rows in a source table (UPDATE/INSERT/DELETE on `raw.*`);
- schema faults: a source table changes shape (a column renamed or retyped);
- code faults: someone edits a model's SQL (join type, join key, filter, cast).

`apply(project_dir)` changes the built project in place (its DuckDB file or a model file); `revert`
restores it (data and schema faults regenerate the raw tables deterministically; code faults put the
original SQL back). After either, rebuild with `headwater.example.build.rebuild_models`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

import duckdb

from headwater.errors import ConfigError
from headwater.example.build import database_path, read_build_rows
from headwater.example.generate import AS_OF, generate

FaultKind = Literal["data", "schema", "code"]
Mechanism = Literal[
    "source_data", "join_miss", "fan_out", "cast_failure", "filter", "expression", "schema_change", "drift", "stale",
    "model_change",  # the ML model itself changed (headwater.example.ml_faults)
]
PROJECT = "headwater_example"


def source_id(table: str) -> str:
    return f"source.{PROJECT}.shop.{table}"


def model_id(name: str) -> str:
    return f"model.{PROJECT}.{name}"


@dataclass(frozen=True)
class GroundTruth:
    """What an ideal tracer names: the node, the column (any of `columns`), the mechanism, and where: the
    cause's line (in the model's SQL, or the source's YAML) contains `where`. `needs_history`: only a
    comparison with the last good state can tell the cause (without one, `unknown` is the honest answer)."""

    node: str
    columns: tuple[str, ...]
    mechanism: Mechanism
    where: str = ""
    needs_history: bool = False


@dataclass(frozen=True)
class ExpectedFailure:
    """The check on a mart that the fault must make fail. `check` is a headwater check name
    (not_null, unique, between, in_set, freshness, schema, distinct_set, most_common_share)."""

    model: str
    column: str
    check: str

    def __str__(self) -> str:
        return f"{self.model}.{self.column} {self.check}"


@dataclass(frozen=True)
class Fault:
    id: str
    kind: FaultKind
    description: str
    truth: GroundTruth
    expectation: ExpectedFailure
    _apply: Callable[[Path], None] = field(repr=False, compare=False)
    _revert: Callable[[Path], None] = field(repr=False, compare=False)
    # A file the fault edits: (file, old text, new text). The lines `new` spans are where the cause is written.
    edit: tuple[str, str, str] | None = None
    base: str = ""  # a variant of this fault of FAULTS: the same warehouse change, another declaration

    def apply(self, project_dir: Path) -> None:
        self._apply(project_dir.resolve())

    def revert(self, project_dir: Path) -> None:
        self._revert(project_dir.resolve())


# --- building blocks ------------------------------------------------------------------------------------


def _run_sql(*statements: str) -> Callable[[Path], None]:
    def apply(project_dir: Path) -> None:
        with duckdb.connect(str(database_path(project_dir))) as con:
            for statement in statements:
                con.execute(statement)

    return apply


def _regenerate_raw(project_dir: Path) -> None:
    generate(database_path(project_dir), read_build_rows(project_dir))


def _edit_model(relative_path: str, old: str, new: str) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    """A code fault: replace `old` by `new` in one model file (and back)."""

    def replace(a: str, b: str) -> Callable[[Path], None]:
        def edit(project_dir: Path) -> None:
            path = project_dir / relative_path
            text = path.read_text()
            if a not in text:
                raise ConfigError(f"cannot apply the edit to {path}: expected text not found: {a!r}")
            path.write_text(text.replace(a, b, 1))

        return edit

    return replace(old, new), replace(new, old)


def _data_fault(
    fault_id: str,
    kind: FaultKind,
    description: str,
    truth: GroundTruth,
    expectation: ExpectedFailure,
    *statements: str,
) -> Fault:
    return Fault(fault_id, kind, description, truth, expectation, _run_sql(*statements), _regenerate_raw)


def _code_fault(
    fault_id: str, description: str, truth: GroundTruth, expectation: ExpectedFailure, path: str, old: str, new: str
) -> Fault:
    apply, revert = _edit_model(path, old, new)
    return Fault(fault_id, "code", description, truth, expectation, apply, revert, (path, old, new))


_STALE_SINCE = AS_OF - timedelta(days=3)

_ALL: tuple[Fault, ...] = (
    _data_fault(
        "null_customer_email",
        "data",
        "raw.customers.email arrives NULL for ~3% of customers",
        GroundTruth(source_id("customers"), ("email",), "source_data", where="name: email"),
        ExpectedFailure("dim_customers", "email", "not_null"),
        "UPDATE raw.customers SET email = NULL WHERE hash(customer_id, 101) % 100 < 3",
    ),
    _data_fault(
        "duplicate_customers",
        "data",
        "~1% of raw.customers rows are loaded twice (duplicated keys)",
        GroundTruth(source_id("customers"), ("customer_id",), "source_data", where="name: customer_id"),
        ExpectedFailure("dim_customers", "customer_id", "unique"),
        "INSERT INTO raw.customers SELECT * FROM raw.customers WHERE hash(customer_id, 102) % 100 < 1",
    ),
    _data_fault(
        "payment_amount_x100",
        "data",
        "raw.payments.amount arrives in cents instead of currency units (x100) for ~2% of payments",
        GroundTruth(source_id("payments"), ("amount",), "source_data", where="name: amount"),
        ExpectedFailure("mart_fraud_features", "amount", "between"),
        "UPDATE raw.payments SET amount = amount * 100 WHERE hash(payment_id, 103) % 100 < 2",
    ),
    _data_fault(
        "stale_orders",
        "data",
        "raw.orders stopped loading 3 days ago (newest orders missing, _loaded_at 3 days old)",
        GroundTruth(source_id("orders"), ("ordered_at", "_loaded_at"), "stale", where="ordered_at"),
        ExpectedFailure("fct_orders", "ordered_at", "freshness"),
        f"DELETE FROM raw.orders WHERE ordered_at > TIMESTAMP '{_STALE_SINCE}'",
        f"UPDATE raw.orders SET _loaded_at = least(_loaded_at, TIMESTAMP '{_STALE_SINCE}')",
    ),
    _data_fault(
        "unknown_payment_method",
        "data",
        "raw.payments.payment_method has an unknown category 'crypto' for ~1% of payments",
        GroundTruth(source_id("payments"), ("payment_method",), "source_data", where="name: payment_method"),
        ExpectedFailure("mart_fraud_features", "payment_method", "in_set"),
        "UPDATE raw.payments SET payment_method = 'crypto' WHERE hash(payment_id, 104) % 100 < 1",
    ),
    _data_fault(
        "orphan_order_customers",
        "data",
        "~2% of raw.orders point at customer_id values that raw.customers does not have (orphan FKs)",
        # orphans at the source: the keys are absent from raw.customers as well, so the walk asks raw.orders
        GroundTruth(source_id("orders"), ("customer_id",), "source_data", where="name: customer_id"),
        ExpectedFailure("fct_orders", "customer_region", "not_null"),
        "UPDATE raw.orders SET customer_id = customer_id + 1000000 WHERE hash(order_id, 105) % 100 < 2",
    ),
    _data_fault(
        "rename_product_name",
        "schema",
        "raw.products.product_name was renamed to title by the source system",
        GroundTruth(source_id("products"), ("product_name",), "schema_change", where="name: product_name"),
        ExpectedFailure("dim_products", "product_name", "schema"),
        "ALTER TABLE raw.products RENAME COLUMN product_name TO title",
    ),
    _data_fault(
        "retype_payment_amount",
        "schema",
        "raw.payments.amount became VARCHAR, with 'N/A' and decimal commas in ~4% of rows",
        GroundTruth(source_id("payments"), ("amount",), "schema_change", where="name: amount"),
        ExpectedFailure("mart_fraud_features", "amount", "not_null"),
        """CREATE OR REPLACE TABLE raw.payments AS
        SELECT * REPLACE (
            CASE WHEN hash(payment_id, 106) % 50 = 0 THEN 'N/A'
                 WHEN hash(payment_id, 107) % 50 = 0 THEN replace(amount::VARCHAR, '.', ',')
                 ELSE amount::VARCHAR END AS amount)
        FROM raw.payments ORDER BY payment_id""",
    ),
    _code_fault(
        "items_join_inner_to_left",
        "INNER JOIN to the product catalogue became a LEFT JOIN in int_order_items_enriched",
        GroundTruth(
            model_id("int_order_items_enriched"),
            ("category", "product_id"),
            "join_miss",
            where="on items.product_id = products.product_id",
        ),
        ExpectedFailure("fct_order_items", "category", "not_null"),
        "models/intermediate/int_order_items_enriched.sql",
        "inner join products\n    on items.product_id = products.product_id",
        "left join products\n    on items.product_id = products.product_id",
    ),
    _code_fault(
        "fraud_join_key_fanout",
        "mart_fraud_features joins orders on the wrong key (orders.customer_id), duplicating payments",
        GroundTruth(
            model_id("mart_fraud_features"), ("customer_id", "order_id"), "fan_out", where="orders.customer_id"
        ),
        ExpectedFailure("mart_fraud_features", "payment_id", "unique"),
        "models/marts/mart_fraud_features.sql",
        "on payments.order_id = orders.order_id",
        "on payments.order_id = orders.customer_id",
    ),
    _code_fault(
        "events_filter_added",
        "a filter `device = 'web'` was added to stg_events, dropping app and tablet events",
        GroundTruth(model_id("stg_events"), ("device",), "filter", where="device = 'web'"),
        ExpectedFailure("fct_events_daily", "device", "distinct_set"),
        "models/staging/stg_events.sql",
        "where event_type is not null",
        "where event_type is not null\n  and device = 'web'",
    ),
    _code_fault(
        "payment_cast_narrowed",
        "the cast of payments.amount was narrowed to decimal(5, 2): amounts >= 1,000 become NULL",
        GroundTruth(model_id("stg_payments"), ("amount",), "cast_failure", where="decimal(5, 2)"),
        ExpectedFailure("mart_fraud_features", "amount", "not_null"),
        "models/staging/stg_payments.sql",
        "try_cast_or_null('amount', 'decimal(12, 2)')",
        "try_cast_or_null('amount', 'decimal(5, 2)')",
    ),
    _code_fault(
        "country_join_lowercased",
        "the join to the country seed compares lower(country_code) with upper-case codes: no customer finds its "
        "country, risk_tier is NULL and fraud_score falls back to its default for most payments",
        GroundTruth(
            model_id("int_orders_enriched"), ("country_code",), "expression", where="lower(customers.country_code)"
        ),
        ExpectedFailure("mart_fraud_features", "fraud_score", "most_common_share"),
        "models/intermediate/int_orders_enriched.sql",
        "on customers.country_code = countries.country_code",
        "on lower(customers.country_code) = countries.country_code",
    ),
    # Faults that need the memory (or a general mechanism) to be told apart from "has always been so".
    _code_fault(
        "product_price_unit_dropped",
        "stg_products stopped converting cents to currency units: unit_price is 100x too large",
        GroundTruth(model_id("stg_products"), ("unit_price",), "expression", where="as unit_price", needs_history=True),
        ExpectedFailure("dim_products", "unit_price", "between"),
        "models/staging/stg_products.sql",
        "cast(unit_price_cents as decimal(12, 2)) / 100 as unit_price",
        "cast(unit_price_cents as decimal(12, 2)) as unit_price",
    ),
    _code_fault(
        "payment_method_sentinel",
        "fct_orders writes the sentinel 'none' for orders without payments (a LEFT JOIN that always missed)",
        GroundTruth(
            model_id("fct_orders"), ("payment_method",), "expression", where="coalesce(order_payments.payment_method"
        ),
        ExpectedFailure("fct_orders", "payment_method", "in_set"),
        "models/marts/fct_orders.sql",
        "    order_payments.payment_method,",
        "    coalesce(order_payments.payment_method, 'none') as payment_method,",
    ),
    _code_fault(
        "customers_filtered_before_join",
        "a WHERE in the customers CTE of int_orders_enriched drops recent sign-ups before the join",
        GroundTruth(model_id("int_orders_enriched"), ("signup_date",), "filter", where="signup_date <"),
        ExpectedFailure("fct_orders", "customer_region", "not_null"),
        "models/intermediate/int_orders_enriched.sql",
        "select customer_id, country_code, segment from {{ ref('stg_customers') }}",
        "select customer_id, country_code, segment, signup_date from {{ ref('stg_customers') }}\n"
        "    where signup_date < date '2025-06-01'",
    ),
    _code_fault(
        "country_code_lowered_upstream",
        "stg_customers lower-cases country_code instead of upper-casing it: the join to the country seed two "
        "models downstream, unchanged, finds no country for any customer",
        # the key is changed upstream of the join, in a parent model: the expression there, not the join
        GroundTruth(model_id("stg_customers"), ("country_code",), "expression", where="lower(country_code)"),
        ExpectedFailure("fct_orders", "customer_region", "not_null"),
        "models/staging/stg_customers.sql",
        "upper(country_code) as country_code",
        "lower(country_code) as country_code",
    ),
)

FAULTS: dict[str, Fault] = {fault.id: fault for fault in _ALL}


def _untyped(base: Fault, column: str, declared: str, needs_history: bool) -> Fault:
    """`base` in a project that declares no `data_type` for the column (most projects declare none): the
    source's YAML entry loses its type, so only the warehouse's type today, or the last good state, says
    what the column was. The cause is written on that entry's line (the edit's)."""
    path = "models/staging/_sources.yml"
    strip, restore = _edit_model(path, f"{{name: {column}, data_type: {declared}}}", f"{{name: {column}}}")

    def apply(project_dir: Path) -> None:
        strip(project_dir)
        base.apply(project_dir)

    def revert(project_dir: Path) -> None:
        base.revert(project_dir)
        restore(project_dir)

    truth = GroundTruth(base.truth.node, base.truth.columns, base.truth.mechanism, f"name: {column}", needs_history)
    description = f"{base.description}, in a project that declares no data_type for it"
    edit = (path, f"{{name: {column}, data_type: {declared}}}", f"{{name: {column}}}")
    return Fault(f"{base.id}_untyped", base.kind, description, truth, base.expectation, apply, revert, edit, base.id)


# The schema faults again where no type is declared. Kept apart from FAULTS: a declaration changes no model,
# so tests make them from the base fault's rebuilt copy (tests/trace/faultcases.drop_declared_types) rather
# than rebuild each, as the suites over FAULTS do.
UNTYPED: dict[str, Fault] = {
    fault.id: fault
    for fault in (
        _untyped(FAULTS["rename_product_name"], "product_name", "varchar", needs_history=False),
        # a VARCHAR that the staging cast cannot read: a retyped source or a cast that was always wrong?
        _untyped(FAULTS["retype_payment_amount"], "amount", '"decimal(12,2)"', needs_history=True),
    )
}
