"""A row check on an aggregate is not carried verbatim across it: the input rows of the failing groups are
asked about. On the example: session ids NULL at the source make `count(distinct session_id)` 0 for some
customers' days; the cause is the source column, not the aggregate."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot

from headwater.example.build import database_path, rebuild_models
from headwater.trace import trace
from headwater.trace.aggregates import group_keys

pytestmark = pytest.mark.slow


def test_null_inputs_of_failing_groups_are_followed_to_the_source(built_example: Path) -> None:
    with duckdb.connect(str(database_path(built_example))) as con:
        con.execute("UPDATE raw.events SET session_id = NULL WHERE customer_id % 11 = 0")
    rebuild_models(built_example, score=False)
    (failure,) = trace(
        node="fct_events_daily",
        column="session_count",
        check="between",
        args={"min_value": "1"},
        project_dir=built_example,
        use_history=False,
    ).failures
    top = failure.top
    assert top is not None
    assert (top.node, top.column, top.mechanism.value) == (
        "source.headwater_example.shop.events",
        "session_id",
        "source_data",
    )
    assert "aggregate only NULL `session_id`" in top.summary
    counted = [s for s in failure.path if s.via == "aggregate"]
    assert counted and counted[0].failed and counted[0].failing == counted[0].total  # every input row NULL


@pytest.mark.parametrize(
    ("sql", "keys"),
    [
        pytest.param("select a, b, count(*) from t group by 1, 2", ["a", "b"], id="positions"),
        pytest.param("select cast(ts as date) as d, count(*) from t group by d", ["CAST(ts AS DATE)"], id="alias"),
        pytest.param("select a, count(*) from t group by a", ["a"], id="column"),
        pytest.param("select count(*) from t", None, id="no-group-by"),
    ],
)
def test_group_keys(sql: str, keys: list[str] | None) -> None:
    found = group_keys(sqlglot.parse_one(sql))  # type: ignore[arg-type]
    assert (None if found is None else [k.sql() for k in found]) == keys
