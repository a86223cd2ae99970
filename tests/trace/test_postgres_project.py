"""End to end on PostgreSQL with a different dbt project: dbt-postgres builds three models into a schema of
its own; headwater reads the profile, walks the lineage and names the causes in the postgres dialect.
The fixture writes (raw tables, dbt run) and drops everything afterwards; headwater only reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.example.dbt_runner import run_dbt
from headwater.trace import CauseKind, Verdict, trace
from tests.warehouse.pg_admin import admin_connection

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MODELS = {
    "stg_customers.sql": (
        "select customer_id, lower(email) as email, upper(country) as country\n"
        "from {{ source('raw', 'customers') }}\n"
    ),
    "stg_orders.sql": (
        "select\n    order_id,\n    customer_id,\n"
        "    case when amount_text ~ '^[0-9.]+$' then cast(amount_text as numeric(10, 2)) end as amount\n"
        "from {{ source('raw', 'orders') }}\n"
    ),
    "orders_enriched.sql": (
        "select\n    o.order_id,\n    o.amount,\n    c.email as customer_email,\n    c.country\n"
        "from {{ ref('stg_orders') }} as o\n"
        "left join {{ ref('stg_customers') }} as c\n    on o.customer_id = c.customer_id\n"
    ),
}


@pytest.fixture(scope="module")
def pg_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    conn, user = admin_connection()
    schema = f"hw_e2e_{uuid.uuid4().hex[:8]}"
    raw = f"{schema}_raw"
    project = tmp_path_factory.mktemp("pgshop")
    with conn.cursor() as cur:
        cur.execute(f'create schema "{raw}"')
        cur.execute(f'create table "{raw}".customers (customer_id int, email text, country text)')
        cur.execute(f'create table "{raw}".orders (order_id int, customer_id int, amount_text text)')
        customers = ", ".join(f"({i}, {'null' if i == 7 else repr(f'C{i}@X.IO')}, 'de')" for i in range(1, 21))
        cur.execute(f'insert into "{raw}".customers values {customers}')
        # orders of customers 1..20; three orders point at customers that do not exist; one amount is text
        orders = [f"({100 + i}, {i % 20 + 1}, '{i}.50')" for i in range(40)]
        orders += ["(200, 501, '1.00')", "(201, 502, '2.00')", "(202, 503, '3.00')", "(203, 3, 'N/A')"]
        cur.execute(f'insert into "{raw}".orders values {", ".join(orders)}')
    (project / "models").mkdir()
    (project / "dbt_project.yml").write_text(
        "name: pgshop\nversion: '1.0'\nconfig-version: 2\nprofile: pgshop\n"
        "models:\n  pgshop:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        "pgshop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n      port: 5432\n"
        f"      user: {user}\n      password: ''\n      dbname: test\n      schema: {schema}\n      threads: 1\n"
    )
    (project / "models" / "sources.yml").write_text(
        f"version: 2\nsources:\n  - name: raw\n    schema: {raw}\n    tables:\n"
        "      - name: customers\n        columns:\n          - {name: customer_id, data_type: integer}\n"
        "          - {name: email, data_type: text}\n          - {name: country, data_type: text}\n"
        "      - name: orders\n        columns:\n          - {name: order_id, data_type: integer}\n"
        "          - {name: customer_id, data_type: integer}\n          - {name: amount_text, data_type: text}\n"
    )
    for name, sql in MODELS.items():
        (project / "models" / name).write_text(sql)
    try:
        run_dbt(project, "run")
        run_dbt(project, "docs", "generate")
        yield project
    finally:
        with conn.cursor() as cur:
            cur.execute(f'drop schema if exists "{schema}" cascade')
            cur.execute(f'drop schema if exists "{raw}" cascade')
        conn.close()


def test_two_causes_ranked_by_share(pg_project: Path) -> None:
    result = trace(node="orders_enriched", column="customer_email", check="not_null", project_dir=pg_project)
    (failure,) = result.failures
    assert result.warehouse.startswith("postgresql://")
    assert failure.verdict == Verdict.TRACED
    got = [(c.node.split(".")[-1], c.column, c.mechanism.value) for c in failure.root_causes]
    # 3 orders whose customer is missing (join miss) outrank the 2 orders of the customer without an email
    assert got == [("orders_enriched", "customer_id", "join_miss"), ("customers", "email", "source_data")]
    assert failure.root_causes[0].share == pytest.approx(0.6)
    assert (
        failure.root_causes[0].file == "models/orders_enriched.sql" and failure.root_causes[0].line == 8
    )  # the ON line
    assert all('"' in p.sql for p in failure.probes)  # quoted identifiers, postgres dialect


def test_expression_that_nulls_values(pg_project: Path) -> None:
    (failure,) = trace(node="orders_enriched", column="amount", check="not_null", project_dir=pg_project).failures
    top = failure.top
    assert top is not None and top.kind == CauseKind.TRANSFORMATION
    assert (top.node.split(".")[-1], top.column) == ("stg_orders", "amount")
    assert top.mechanism.value in ("cast_failure", "expression") and top.line == 4
    assert "N/A" in top.evidence.sample_keys
