"""A small dbt project whose relations and columns are named adversarially, with three faults built in, for
tracing end to end on DuckDB, PostgreSQL and Spark (tests/engines/test_adversarial_project.py).

source `Raw Ünï; select`.`Order Items; --` (orders) and `.select` (customers)
  -> staging model `stg_orders` (relation `Stg Orders; drop`): a WHERE on the column `select`
  -> mart `fct_orders` (relation `Fct Ordérs; select`): orders LEFT JOIN customers on `Customer;Key`

Columns carry spaces, a semicolon, unicode, mixed case, the reserved words `select` and `order`, a single
quote (`a' OR '1'='1`) and an injection payload with a double quote (`x"); DROP TABLE victim; --`); the SQL
quotes every one of them. The faults, each one failing expectation on the mart:
- source_data: the payload column is NULL in some source rows (not_null on the mart's payload column);
- join_miss: some orders name a customer key that does not exist (not_null on the customer's name);
- filter: the staging WHERE drops every 'tablet' row (the mart's `select` misses a value of its set).

Names dbt and Spark cannot carry, said where they are chosen: dbt quotes relation names without doubling
an embedded `"` (`'"{}"'.format(name)` in dbt-adapters), so no relation name holds one (columns do: they are
written in the model SQL); Spark's session catalog accepts only [A-Za-z0-9_] in schema and table names, so
the Spark variant (`SPARK`) keeps mixed case and reserved words there, and every adversarial column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from headwater.example.dbt_runner import run_dbt

PROJECT = "adversarial"
SOURCE = "raw"

# columns (the same on every engine)
ORDER_ID = "Order ID"
KEY = "Customer;Key"
PAYLOAD = 'x"); DROP TABLE victim; --'
CHANNEL = "select"
NAME = "MixedCase Ünïcødé"
RANK = "order"
QUOTE = "a' OR '1'='1"
CHANNELS = ("web", "app", "tablet")
VICTIM = "victim"  # a table the payload names: still there, unchanged, after every trace


@dataclass(frozen=True)
class Names:
    """The relation names of one variant of the project."""

    source_schema: str
    orders: str  # source table
    customers: str  # source table
    schema: str  # the target schema, where dbt builds the models
    staging: str  # alias of stg_orders
    mart: str  # alias of fct_orders


ADVERSARIAL = Names("Raw Ünï; select", "Order Items; --", "select", "Mart Ünï; order", "Stg Orders; drop",
                    "Fct Ordérs; select")  # fmt: skip
SPARK = Names("Raw_Select", "Order_Items", "select", "Mart_Order", "Stg_Orders", "Fct_Orders")


def q(name: str) -> str:
    """A double-quoted identifier, embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def yaml_str(value: str) -> str:
    """A single-quoted YAML scalar (quotes, semicolons, `--` and unicode kept as they are)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Fault:
    """One fault built into the data or the code, the expectation on the mart it makes fail, and what the
    trace must name: node, one of `columns`, mechanism, and a line of the cause containing `where`."""

    id: str
    expectation: str
    kwargs: dict[str, Any]
    node: str
    columns: tuple[str, ...]
    mechanism: str
    where: str = ""


FAULTS = (
    Fault("payload_nulls", "expect_column_values_to_not_be_null", {"column": PAYLOAD},
          f"source.{PROJECT}.{SOURCE}.orders", (PAYLOAD,), "source_data"),
    Fault("customer_join_miss", "expect_column_values_to_not_be_null", {"column": NAME},
          f"model.{PROJECT}.fct_orders", (NAME, KEY), "join_miss", where=q(KEY)),
    Fault("tablet_filtered", "expect_column_distinct_values_to_contain_set",
          {"column": CHANNEL, "value_set": list(CHANNELS)}, f"model.{PROJECT}.stg_orders", (CHANNEL,), "filter",
          where="'tablet'"),
)  # fmt: skip

ORDER_ROWS = 40
JOIN_MISSES = (4, 15, 25)  # orders whose customer key does not exist


def orders() -> list[tuple[Any, ...]]:
    """Order ID 1..40; the key of 3 orders names no customer; the payload is NULL every 8th order; the channel
    cycles web, app, tablet."""
    return [
        (i, 90 + i if i in JOIN_MISSES else i % 10 + 1, None if i % 8 == 0 else f"p{i}", CHANNELS[i % 3])
        for i in range(1, ORDER_ROWS + 1)
    ]


def customers() -> list[tuple[Any, ...]]:
    return [(k, f"Kündé {k}", k * 10, f"q'{k}") for k in range(1, 11)]


ORDER_COLUMNS = ((ORDER_ID, "integer"), (KEY, "integer"), (PAYLOAD, "varchar"), (CHANNEL, "varchar"))
CUSTOMER_COLUMNS = ((KEY, "integer"), (NAME, "varchar"), (RANK, "integer"), (QUOTE, "varchar"))


def raw_sql(names: Names) -> list[str]:
    """The raw tables (and the victim), created and filled by literal SQL that quotes every name."""
    schema = q(names.source_schema)
    statements = [f"create schema {schema}", f"create table {q(VICTIM)} (n integer)",
                  f"insert into {q(VICTIM)} values (1), (2)"]  # fmt: skip
    for table, columns, rows in ((names.orders, ORDER_COLUMNS, orders()),
                                 (names.customers, CUSTOMER_COLUMNS, customers())):  # fmt: skip
        relation = f"{schema}.{q(table)}"
        statements.append(f"create table {relation} ({', '.join(f'{q(c)} {t}' for c, t in columns)})")
        values = ", ".join("(" + ", ".join(_value(v) for v in row) + ")" for row in rows)
        statements.append(f"insert into {relation} values {values}")
    return statements


def _value(value: Any) -> str:
    return "null" if value is None else lit(value) if isinstance(value, str) else str(value)


STAGING_SQL = f"""\
{{{{ config(alias='{{staging}}') }}}}
select
    {q(ORDER_ID)},
    {q(KEY)},
    {q(PAYLOAD)},
    {q(CHANNEL)}
from {{{{ source('{SOURCE}', 'orders') }}}}
where {q(CHANNEL)} <> 'tablet'
"""

MART_SQL = f"""\
{{{{ config(alias='{{mart}}') }}}}
select
    o.{q(ORDER_ID)},
    o.{q(KEY)},
    o.{q(PAYLOAD)},
    o.{q(CHANNEL)},
    c.{q(NAME)},
    c.{q(RANK)},
    c.{q(QUOTE)}
from {{{{ ref('stg_orders') }}}} as o
left join {{{{ source('{SOURCE}', 'customers') }}}} as c
    on o.{q(KEY)} = c.{q(KEY)}
"""


def write_project(folder: Path, names: Names, output: str) -> Path:
    """The dbt project in `folder`, its profile's one output being `output` (YAML lines under `dev:`)."""
    (folder / "models" / "staging").mkdir(parents=True, exist_ok=True)
    (folder / "models" / "marts").mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
        "quoting: {database: true, schema: true, identifier: true}\n"
        f"models:\n  {PROJECT}:\n    staging:\n      +materialized: view\n    marts:\n      +materialized: table\n"
    )
    (folder / "profiles.yml").write_text(
        f"{PROJECT}:\n  target: dev\n  outputs:\n    dev:\n{output}      schema: {yaml_str(names.schema)}\n"
        "      threads: 1\n"
    )

    def columns(declared: tuple[tuple[str, str], ...]) -> str:
        return "".join(f"          - {{name: {yaml_str(c)}, data_type: {t}, quote: true}}\n" for c, t in declared)

    (folder / "models" / "sources.yml").write_text(
        f"version: 2\nsources:\n  - name: {SOURCE}\n    schema: {yaml_str(names.source_schema)}\n"
        "    quoting: {database: true, schema: true, identifier: true}\n    tables:\n"
        f"      - name: orders\n        identifier: {yaml_str(names.orders)}\n        columns:\n"
        + columns(ORDER_COLUMNS)
        + f"      - name: customers\n        identifier: {yaml_str(names.customers)}\n        columns:\n"
        + columns(CUSTOMER_COLUMNS)
    )
    (folder / "models" / "staging" / "stg_orders.sql").write_text(STAGING_SQL.replace("{staging}", names.staging))
    (folder / "models" / "marts" / "fct_orders.sql").write_text(MART_SQL.replace("{mart}", names.mart))
    return folder


def duckdb_output(path: Path) -> str:
    return f"      type: duckdb\n      path: {yaml_str(str(path))}\n"


def postgres_output(host: str, port: int, user: str, password: str, dbname: str) -> str:
    return (f"      type: postgres\n      host: {host}\n      port: {port}\n      user: {yaml_str(user)}\n"
            f"      password: {yaml_str(password)}\n      dbname: {yaml_str(dbname)}\n")  # fmt: skip


def build(project: Path) -> None:
    """dbt run, then docs generate (manifest with compiled SQL, catalog)."""
    run_dbt(project, "run")
    run_dbt(project, "docs", "generate")


def build_duckdb(folder: Path, names: Names) -> Path:
    """The raw tables in `folder/warehouse.duckdb`, the project written and built there; the DuckDB file."""
    path = folder / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for statement in raw_sql(names):
            con.execute(statement)
    build(write_project(folder, names, duckdb_output(path)))
    return path


def validation_result(fault: Fault, names: Names) -> dict[str, Any]:
    """A GX 1.x suite validation result in which the fault's expectation failed on the mart's relation."""
    return {
        "success": False,
        "suite_name": "fct_orders",
        "results": [
            {
                "success": False,
                "expectation_config": {"type": fault.expectation, "kwargs": fault.kwargs, "meta": {}},
                "result": {},
                "exception_info": {"raised_exception": False},
            }
        ],
        "meta": {
            "batch_spec": {"table_name": names.mart, "schema_name": names.schema},
            "active_batch_definition": {"data_asset_name": f"{names.schema}.{names.mart}"},
        },
    }
