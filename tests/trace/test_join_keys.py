"""A join key changed by an expression upstream of the join, in a CTE of the same model: found by following
the key through the model's CTEs, and confirmed by one probe (the missed keys are what the expression makes
of inputs the joined side has). The parent-model case runs end to end on the example's fault
`country_code_lowered_upstream` (tests/trace/test_accuracy.py)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import duckdb
from sqlglot import exp

from headwater.dbt import Node
from headwater.trace.context import Context
from headwater.trace.instrument import keys_from_inputs, missed_keys_matching
from headwater.trace.join_keys import _computed_upstream, _relation_of
from headwater.trace.scope import locate
from headwater.warehouse import connect, from_url

MODEL = """
with customers as (
    select customer_id, {key} as country_code from main.customers
)
select orders.order_id, countries.region
from main.orders as orders
left join customers on orders.customer_id = customers.customer_id
left join main.countries as countries on customers.country_code = countries.country_code
"""


def _probe(tmp_path: Path, key: str) -> tuple[str, int, int]:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table customers as select range as customer_id, ['US', 'DE', 'fr'][range % 3 + 1] "
            "as country_code from range(30)"
        )
        con.execute(
            "create or replace table orders as select range as order_id, range % 30 as customer_id from range(90)"
        )
        con.execute(
            "create or replace table countries as select * from (values ('US', 'na'), ('DE', 'eu'), ('FR', 'eu')) "
            "as t(country_code, region)"
        )
    scope = locate(MODEL.format(key=key), "duckdb", "region")
    assert scope is not None
    join = scope.joins[1]
    driving, joined = join.pairs[0]
    assert isinstance(driving, exp.Column)
    # A CTE of the traced model: the walk never needs the manifest (no Context is asked)
    node = cast(Node, object())
    found = _computed_upstream(cast(Context, None), node, scope, _relation_of(scope, join, driving), driving.name)
    assert found is not None
    here, origin, bare, name = found
    assert here is node and name == "country_code" and bare.name == "country_code"
    wanted = exp.select(exp.column(joined.this.copy())).from_(join.source.copy())
    with connect(from_url(f"duckdb:///{path}")) as wh:
        missed, matching, _ = missed_keys_matching(
            wh, scope, join, driving.copy(), keys_from_inputs(origin, bare, wanted), "m"
        )
    return origin.key.sql(), missed, matching


def test_a_key_lowered_in_a_cte_is_the_cause(tmp_path: Path) -> None:
    # lower('US') and lower('DE') miss; 'fr' misses under either case: 2 of the 3 missed keys came from
    # inputs the seed has
    assert _probe(tmp_path, "lower(country_code)") == ("LOWER(country_code)", 3, 2)


def test_a_key_upper_cased_upstream_that_still_misses_is_not(tmp_path: Path) -> None:
    # upper() maps 'fr' to a key that matches: nothing misses, the expression is no suspect
    assert _probe(tmp_path, "upper(country_code)")[1:] == (0, 0)
    # trim() keeps 'fr' as it is: the one missed key comes from an input the seed lacks too
    assert _probe(tmp_path, "trim(country_code)")[1:] == (1, 0)
