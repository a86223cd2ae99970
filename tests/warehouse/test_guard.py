"""The read-only guard refuses anything but one SELECT, judged on the sqlglot AST."""

from __future__ import annotations

import pytest

from headwater.errors import UnsafeQueryError
from headwater.warehouse.guard import ensure_select, render


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("insert into t values (1)", id="insert"),
        pytest.param("update t set a = 1", id="update"),
        pytest.param("delete from t", id="delete"),
        pytest.param("drop table t", id="drop"),
        pytest.param("create table t as select 1", id="create-as"),
        pytest.param("select 1; drop table t", id="two-statements"),
        pytest.param("with a as (select 1) insert into t select * from a", id="cte-insert"),
        pytest.param("select * into t2 from t", id="select-into"),
        pytest.param("copy t to 'out.csv'", id="copy"),
        pytest.param("attach 'other.duckdb' as o", id="attach"),
        pytest.param("pragma enable_profiling", id="pragma"),
        pytest.param("set memory_limit = '1GB'", id="set"),
        pytest.param("begin transaction", id="transaction"),
        pytest.param("this is not sql (", id="unparseable"),
    ],
)
def test_refuses_everything_but_select(sql: str) -> None:
    with pytest.raises(UnsafeQueryError):
        ensure_select(sql, "duckdb")


@pytest.mark.parametrize(
    "sql",
    [
        "select 1",
        "with x as (select 1 as a) select a from x",
        "select a from t union all select a from u",
        "select count(*) from t where a in (select a from u)",
    ],
)
def test_accepts_reads(sql: str) -> None:
    assert ensure_select(sql, "duckdb") is not None


def test_render_quotes_every_identifier_after_folding_case() -> None:
    tree = ensure_select("select Amount, b.C from raw.Payments as b", "postgres")
    assert render(tree, "postgres") == 'SELECT "amount", "b"."c" FROM "raw"."payments" AS "b"'
