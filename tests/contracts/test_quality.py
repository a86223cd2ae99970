"""Quality rules evaluated in a real DuckDB warehouse (and PostgreSQL when it is there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from headwater.contracts.actual import schema_from_warehouse
from headwater.contracts.model import (
    ColumnSpec,
    ContractKind,
    NullableWhereRequired,
    Origin,
    QualityFailed,
    QualityRule,
    TableContract,
    Unevaluated,
    UniquenessLost,
)
from headwater.contracts.quality import evaluate_quality, implicit_rules
from headwater.warehouse import Warehouse, connect, from_url

ORIGIN = Origin(ContractKind.ODCS, "c.yaml")


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    path = tmp_path / "q.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            """create table raw.payments as select * from (values
                (1, 'card', 10.5::decimal(12,2)), (2, 'paypal', null), (3, 'crypto', 7.0),
                (3, 'card', 8.0), (4, null, 1.0)) t(payment_id, payment_method, amount)"""
        )
        con.execute("create table raw.keyed (id integer not null, v varchar)")
    with connect(from_url(f"duckdb:///{path}")) as wh:
        yield wh


def contract(*columns: ColumnSpec, rules: tuple[QualityRule, ...] = ()) -> TableContract:
    return TableContract(
        "payments", ORIGIN, schema="raw", identifier="payments", columns=columns, quality=rules
    )


def run(warehouse: Warehouse, c: TableContract) -> tuple[object, ...]:
    actual = schema_from_warehouse(warehouse, None, c.schema, c.identifier or c.name)
    assert actual is not None
    return evaluate_quality(warehouse, c, actual, (*implicit_rules(c, actual), *c.quality))


def test_actual_schema_has_types_and_nullability(warehouse: Warehouse) -> None:
    keyed = schema_from_warehouse(warehouse, None, "raw", "keyed")
    assert keyed is not None and keyed.source == "warehouse"
    assert [(c.name, c.data_type, c.nullable) for c in keyed.columns] == [
        ("id", "INTEGER", False),
        ("v", "VARCHAR", True),
    ]
    assert schema_from_warehouse(warehouse, None, "raw", "missing") is None


def test_required_and_unique_flags(warehouse: Warehouse) -> None:
    found = run(
        warehouse,
        contract(ColumnSpec("payment_id", required=True, unique=True), ColumnSpec("amount", required=True)),
    )
    assert UniquenessLost("payment_id", 1, False) in found
    assert NullableWhereRequired("amount", 1) in found
    assert len(found) == 2


def test_not_null_column_is_not_scanned(warehouse: Warehouse) -> None:
    c = TableContract(
        "keyed", ORIGIN, schema="raw", identifier="keyed", columns=(ColumnSpec("id", required=True),)
    )
    actual = schema_from_warehouse(warehouse, None, "raw", "keyed")
    assert actual is not None
    assert implicit_rules(c, actual) == ()  # the warehouse already guarantees NOT NULL


@pytest.mark.parametrize(
    ("rule", "observed"),
    [
        pytest.param(QualityRule("nullValues", "mustBe", 0, "amount"), 1.0, id="nulls"),
        pytest.param(
            QualityRule("nullValues", "mustBeLessThan", 10, "amount", unit="percent"), 20.0, id="null-pct"
        ),
        pytest.param(
            QualityRule(
                "invalidValues", "mustBe", 0, "payment_method", arguments={"validValues": ["card", "paypal"]}
            ),
            1.0,
            id="invalid-set",
        ),
        pytest.param(
            QualityRule(
                "invalidValues", "mustBe", 0, "payment_method", arguments={"pattern": "^(card|paypal)$"}
            ),
            1.0,
            id="invalid-pattern",
        ),
        pytest.param(
            QualityRule(
                "missingValues", "mustBe", 0, "payment_method", arguments={"missingValues": [None, "crypto"]}
            ),
            2.0,
            id="missing",
        ),
        pytest.param(QualityRule("rowCount", "mustBeGreaterThan", 10), 5.0, id="row-count"),
        pytest.param(QualityRule("duplicateValues", "mustBe", 0, "payment_id"), 1.0, id="duplicates"),
        pytest.param(QualityRule("rowCount", "mustBeBetween", [6, 9]), 5.0, id="between"),
        pytest.param(
            QualityRule("sql", "mustBeLessThan", 5, arguments={"query": "select max(amount) from {object}"}),
            10.5,
            id="sql",
        ),
    ],
)
def test_rule_fails_with_observed_value(warehouse: Warehouse, rule: QualityRule, observed: float) -> None:
    (found,) = run(warehouse, contract(rules=(rule,)))
    assert isinstance(found, QualityFailed)
    assert found.observed == pytest.approx(observed)
    assert found.breaking and "observed" in found.reason


def test_passing_rules(warehouse: Warehouse) -> None:
    rules = (
        QualityRule("rowCount", "mustBe", 5),
        QualityRule("nullValues", "mustBeLessOrEqualTo", 1, "amount"),
        QualityRule(
            "duplicateValues", "mustBe", 0, None, arguments={"properties": ["payment_id", "payment_method"]}
        ),
    )
    assert run(warehouse, contract(rules=rules)) == ()


def test_rule_the_warehouse_rejects_is_unevaluated(warehouse: Warehouse) -> None:
    rule = QualityRule("sql", "mustBe", 0, arguments={"query": "select no_such_column from {object}"})
    (found,) = run(warehouse, contract(rules=(rule,)))
    assert isinstance(found, Unevaluated)


def test_write_is_refused_as_unevaluated(warehouse: Warehouse) -> None:
    # headwater never writes to the warehouse: a contract's SQL rule cannot smuggle a write in.
    rule = QualityRule("sql", "mustBe", 0, arguments={"query": "delete from {object}"})
    try:
        found = run(warehouse, contract(rules=(rule,)))
    except Exception as err:  # the guard may refuse before execution
        assert "SELECT" in str(err) or "select" in str(err)
    else:
        assert isinstance(found[0], Unevaluated)
    assert warehouse.query("select count(*) from raw.payments").rows[0][0] == 5


# ---- PostgreSQL ------------------------------------------------------------------------------------

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_warehouse() -> Iterator[tuple[Warehouse, str]]:
    """A throw-away schema in the local `test` database (written by the test, read by headwater)."""
    import uuid

    psycopg2 = pytest.importorskip("psycopg2")
    schema = f"hw_contracts_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(
            host="127.0.0.1", port=5432, dbname="test", user="postgres", connect_timeout=3
        )
    except psycopg2.OperationalError:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create schema {schema}")
        cur.execute(
            f"""create table {schema}.payments (payment_id integer not null, payment_method varchar(20),
                amount numeric(12,2), created_at timestamp with time zone)"""
        )
        cur.execute(
            f"""insert into {schema}.payments values (1, 'card', 10.5, now()), (2, 'crypto', null, now()),
                (2, 'paypal', 3, now())"""
        )
    try:
        with connect(from_url(PG_URL)) as wh:
            yield wh, schema
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop schema {schema} cascade")
        admin.close()


@pytest.mark.postgres
def test_postgres_schema_and_rules(pg_warehouse: tuple[Warehouse, str]) -> None:
    warehouse, schema = pg_warehouse
    actual = schema_from_warehouse(warehouse, "test", schema, "payments")
    assert actual is not None and actual.dialect == "postgres"
    types = {c.name: (c.data_type, c.nullable) for c in actual.columns}
    assert types["amount"] == ("numeric(12,2)", True)
    assert types["payment_method"] == ("character varying(20)", True)
    assert types["payment_id"] == ("integer", False)
    contract = TableContract(
        "payments",
        ORIGIN,
        schema=schema,
        identifier="payments",
        columns=(
            ColumnSpec("payment_id", "int", unique=True),
            ColumnSpec("amount", "decimal(12,2)", required=True),
        ),
        quality=(
            QualityRule(
                "invalidValues", "mustBe", 0, "payment_method", arguments={"pattern": "^(card|paypal)$"}
            ),
        ),
    )
    from headwater.contracts.check import check_schema

    assert check_schema(contract, actual) == ()  # int = integer, decimal(12,2) = numeric(12,2)
    found = evaluate_quality(
        warehouse, contract, actual, (*implicit_rules(contract, actual), *contract.quality)
    )
    assert {type(f) for f in found} == {UniquenessLost, NullableWhereRequired, QualityFailed}
