"""headwater's expectations on PostgreSQL (127.0.0.1:5432, database `test`): same verdicts as on DuckDB."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import great_expectations as gx
import pytest
import sqlalchemy as sa

import headwater.gx as hg
from headwater.example.postgres import PgServer
from headwater.gx.baseline import baseline_document, profile_batch

# HEADWATER_PG_URL, else the local trust-auth server (user root), database `test`
URL = PgServer.from_env().database("test").url().replace("postgresql://", "postgresql+psycopg2://", 1)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    engine = sa.create_engine(URL)
    name = f"hw_gx_{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as con:
            con.execute(sa.text(f"create schema {name}"))
            con.execute(sa.text(f"create table {name}.customers (customer_id integer primary key, segment text)"))
            con.execute(sa.text(f"insert into {name}.customers select i, 'c' from generate_series(1, 100) i"))
            con.execute(
                sa.text(
                    f"create table {name}.payments (payment_id integer not null, customer_id integer,"
                    " amount numeric(12,2), method varchar(20), score double precision, created_at timestamp)"
                )
            )
            con.execute(
                sa.text(
                    f"insert into {name}.payments select i, 1 + i % 105, (i % 97) * 1.5,"
                    " (array['card','paypal','bank'])[1 + i % 3],"
                    " case when i % 10 = 0 then 0.5 else (i % 7) / 10.0 end,"
                    " timestamp '2026-01-30 12:00' - make_interval(mins => i) from generate_series(1, 2000) i"
                )
            )
    except sa.exc.OperationalError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL not reachable at {URL}: {err.orig}")
        pytest.skip(f"PostgreSQL not reachable at {URL}: {err.orig}")
    yield name
    with engine.begin() as con:
        con.execute(sa.text(f"drop schema {name} cascade"))
    engine.dispose()


@pytest.fixture(scope="module")
def payments(schema: str) -> Any:
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres("pg", connection_string=URL)
    asset = source.add_table_asset("payments", table_name="payments", schema_name=schema)
    return asset.add_batch_definition_whole_table("all").get_batch()


def check(batch: Any, expectation: Any) -> Any:
    result = batch.validate(expectation)
    assert not result.exception_info.get("raised_exception"), result.exception_info.get("exception_message")
    return result


def test_schema_contract_normalises_postgres_types(payments: Any) -> None:
    columns = [
        {"name": "payment_id", "data_type": "integer", "nullable": False},
        {"name": "customer_id", "data_type": "int"},
        {"name": "amount", "data_type": "decimal(12,2)"},
        {"name": "method", "data_type": "varchar(20)"},
        {"name": "score", "data_type": "double"},
        {"name": "created_at", "data_type": "timestamp"},
    ]
    result = check(payments, hg.ExpectTableSchemaToMatchContract(columns=columns, allow_extra=False, exact_order=True))
    assert result.success, result.result["details"]["violations"]
    narrowed = [*columns[:2], {"name": "amount", "data_type": "decimal(14,2)"}, {"name": "customer_id_x"}]
    failed = check(payments, hg.ExpectTableSchemaToMatchContract(columns=narrowed))
    assert {v["kind"] for v in failed.result["details"]["violations"]} == {"missing", "type_mismatch"}


def test_freshness_mcv_referential(payments: Any, schema: str) -> None:
    as_of = "2026-01-31T00:00:00"
    assert check(payments, hg.ExpectTableToBeFresh(column="created_at", max_lag="1d", reference_time=as_of)).success
    assert not check(payments, hg.ExpectTableToBeFresh(column="created_at", max_lag="6h", reference_time=as_of)).success
    assert check(payments, hg.ExpectColumnMostCommonValueShareToBeBelow(column="score", max_share=0.5)).success
    assert not check(payments, hg.ExpectColumnMostCommonValueShareToBeBelow(column="score", max_share=0.2)).success
    orphans = check(
        payments,
        hg.ExpectColumnValuesToExistInTable(
            column="customer_id", to_table=f"{schema}.customers", to_column="customer_id"
        ),
    )
    # customer_id = 1 + i % 105 for i in 1..2000: values 101..105 have no customer.
    expected = sum(1 for i in range(1, 2001) if 1 + i % 105 > 100)
    assert not orphans.success and orphans.result["unexpected_count"] == expected
    assert orphans.result["partial_unexpected_list"] == [101, 102, 103, 104, 105]


def test_distribution_against_own_baseline(payments: Any) -> None:
    document = baseline_document("payments", profile_batch(payments, ["amount", "method"]))
    for column in ("amount", "method"):
        profile = document["columns"][column]
        assert check(payments, hg.ExpectColumnDistributionToMatchBaseline(column=column, baseline=profile)).success
    shifted = dict(document["columns"]["method"], weights=[0.8, 0.1, 0.1])
    assert not check(payments, hg.ExpectColumnDistributionToMatchBaseline(column="method", baseline=shifted)).success
