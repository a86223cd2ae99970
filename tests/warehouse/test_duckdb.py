"""DuckDB access for real: read-only, timeouts, probes recorded, errors with exit code 3."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from headwater.errors import UnsafeQueryError, WarehouseError
from headwater.warehouse import ProbeError, connect, from_url


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create table raw.payments(payment_id int, Amount decimal(12,2))")
        con.execute("insert into raw.payments values (1, 10.5), (2, null), (3, 7)")
    return path


def test_queries_are_recorded_as_probes(database: Path) -> None:
    with connect(from_url(f"duckdb:///{database}")) as wh:
        table = wh.table("shop", "raw", "payments")
        result = wh.query(exp.select("count(*) as n").from_(table), purpose="count")
        assert result.first() == {"n": 3}
        assert wh.probes[-1].sql == 'SELECT COUNT(*) AS "n" FROM "shop"."raw"."payments"'
        assert wh.probes[-1].rows == 1 and wh.probes[-1].seconds >= 0


def test_columns_from_information_schema(database: Path) -> None:
    with connect(from_url(f"duckdb:///{database}")) as wh:
        assert wh.columns("shop", "raw", "payments") == {"payment_id": "INTEGER", "amount": "DECIMAL(12,2)"}
        assert wh.columns("shop", "raw", "nope") is None


def test_read_only_even_past_the_guard(database: Path) -> None:
    with connect(from_url(f"duckdb:///{database}")) as wh:
        with pytest.raises(UnsafeQueryError):
            wh.query("delete from raw.payments")
        with pytest.raises(duckdb.Error):  # the connection itself is read-only
            wh._conn.execute("delete from raw.payments")


def test_timeout_interrupts(database: Path) -> None:
    with connect(from_url(f"duckdb:///{database}", timeout_seconds=0.3)) as wh:
        with pytest.raises(ProbeError) as caught:
            wh.query("select count(*) from range(100000000000) a")
        assert caught.value.probe.error


def test_failing_probe_keeps_its_sql(database: Path) -> None:
    with connect(from_url(f"duckdb:///{database}")) as wh:
        with pytest.raises(ProbeError) as caught:
            wh.query("select nope from raw.payments")
        assert "nope" in caught.value.probe.sql
        assert wh.probes[-1].error


def test_missing_file_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError) as caught:
        connect(from_url(f"duckdb:///{tmp_path / 'absent.duckdb'}"))
    assert caught.value.exit_code == 3
