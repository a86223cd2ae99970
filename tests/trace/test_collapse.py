"""Default-value collapse: which NULL inputs put an expression on its fallback value, and joins on a key
computed on the driving side (`lower(c.code) = k.code`), on a real DuckDB file."""

from __future__ import annotations

import doctest
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from headwater.trace import collapse
from headwater.trace.checks import NotNull
from headwater.trace.collapse import absorbs_null, explains, null_counts
from headwater.trace.instrument import classify, relevant_joins
from headwater.trace.scope import key_label, locate
from headwater.warehouse import connect, from_url

MODEL = """
with scores as (select * from main.payments),
tiers as (select code, tier from main.tiers)
select
    scores.id,
    scores.amount,
    tiers.tier,
    round(coalesce(case tiers.tier when 'high' then 0.6 when 'low' then 0.1 end, 0.5)
          + case when scores.amount > 100 then 0.1 else 0 end, 2) as score
from scores
left join tiers on lower(scores.code) = tiers.code
"""


@pytest.mark.parametrize(
    ("sql", "absorbs"),
    [
        pytest.param("coalesce(a, 0)", True, id="coalesce"),
        pytest.param("ifnull(a, 0) + 1", True, id="ifnull-under-arithmetic"),
        pytest.param("case when a > 5 then 1 else 0 end", True, id="case-else"),
        pytest.param("case a when 'x' then 1 end", True, id="case-operand"),
        pytest.param("a is null", True, id="null-test"),
        pytest.param("concat(a, 'x')", True, id="concat"),
        pytest.param("a * 2 + 1", False, id="arithmetic"),
        pytest.param("lower(trim(a))", False, id="strict-functions"),
        pytest.param("a", False, id="plain-column"),
    ],
)
def test_absorbs_null(sql: str, absorbs: bool) -> None:
    expression = sqlglot.parse_one(sql, read="duckdb")
    column = next(expression.find_all(exp.Column))
    assert absorbs_null(expression, column) is absorbs


@pytest.mark.parametrize(
    ("total", "dominant", "null_dominant", "null_rows", "expected"),
    [
        pytest.param(1000, 700, 700, 1000, True, id="input-null-everywhere"),
        pytest.param(1000, 700, 500, 520, True, id="null-rows-are-the-excess"),
        pytest.param(1000, 700, 100, 100, False, id="too-few-to-explain-the-excess"),
        pytest.param(1000, 700, 350, 500, False, id="null-as-likely-as-set"),
        pytest.param(1000, 700, 0, 300, False, id="never-null-among-dominant"),
        pytest.param(0, 0, 0, 0, False, id="empty"),
    ],
)
def test_explains(total: int, dominant: int, null_dominant: int, null_rows: int, expected: bool) -> None:
    assert explains(total, dominant, null_dominant, null_rows, max_share=0.55) is expected


def test_docstring_examples_run() -> None:
    assert doctest.testmod(collapse).failed == 0


def test_join_on_an_expression_of_the_driving_side() -> None:
    scope = locate(MODEL, "duckdb", "tier")
    assert scope is not None
    (join,) = scope.joins
    ((driving, joined),) = join.pairs
    assert (key_label(driving, "duckdb"), key_label(joined)) == ("LOWER(scores.code)", "code")
    assert relevant_joins(scope) == [join]
    # a key on the joined side computed from the joined table itself is no pair (no column to miss)
    other = locate("select t.x from a left join t on a.k = lower(t.k) + t.j", "duckdb", "x")
    assert other is not None and other.joins[0].pairs == ()


@pytest.fixture
def wh(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        # 100 payments; codes arrive upper-case, the lookup holds lower-case codes for 'us' only
        con.execute(
            "create table payments as select range as id, case when range % 4 = 0 then 'US' else 'FR' end as code, "
            "case when range % 10 = 0 then 500 else 50 end as amount from range(100)"
        )
        con.execute("create table tiers as select 'us' as code, 'low' as tier")
    with connect(from_url(f"duckdb:///{path}")) as conn:
        yield conn


def test_null_counts_find_the_input_behind_the_fallback(wh) -> None:  # type: ignore[no-untyped-def]
    scope = locate(MODEL, "duckdb", "score")
    assert scope is not None
    inputs = [c.sql() for c in scope.inputs()]
    assert inputs == ["tiers.tier", "scores.amount"]
    found = null_counts(wh, scope, 0.5, [0, 1], "score")
    # FR rows (75) find no tier: score falls back to 0.5, or 0.6 for the large amounts
    assert (found.total, found.dominant) == (100, 70)
    tier, amount = found.inputs
    assert (tier.null_rows, tier.null_dominant) == (75, 70)
    assert (amount.null_rows, amount.null_dominant) == (0, 0)
    assert explains(found.total, found.dominant, tier.null_dominant, tier.null_rows, 0.55)
    assert not explains(found.total, found.dominant, amount.null_dominant, amount.null_rows, 0.55)
    assert "LOWER" in found.sql and found.sql.count("payments") == 1


def test_instrumented_not_null_counts_a_miss_on_an_expression_key(wh) -> None:  # type: ignore[no-untyped-def]
    scope = locate(MODEL, "duckdb", "tier")
    assert scope is not None
    classified = classify(wh, scope, NotNull("tier"), [True], "tier")
    assert classified is not None
    (join,) = scope.joins
    assert classified.failing == 75
    assert classified.join_miss[join.index] == 75 and classified.join_miss_keys[join.index] == 1
    assert classified.join_miss_samples[join.index] == ("fr",)
    assert classified.input_bad.get(0, 0) == 0  # counted once, at the join
