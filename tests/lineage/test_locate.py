"""Where an expression is written: the line in the raw model file, even when the same text repeats."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from headwater.lineage.locate import Locator

RAW = """with lines as (
    select order_id, count(*) as n
    from {{ ref('items') }}
    group by order_id
),
payments as (
    select order_id, sum(amount) as paid
    from {{ ref('payments') }}
    group by order_id
)
select * from lines join payments using (order_id)
"""
COMPILED = RAW.replace("{{ ref('items') }}", '"db"."main"."items"').replace(
    "{{ ref('payments') }}", '"db"."main"."payments"'
)


def test_repeated_lines_map_to_the_matching_occurrence_in_the_raw_file() -> None:
    tree = sqlglot.parse_one(COMPILED, dialect="duckdb")
    groups = list(tree.find_all(exp.Group))
    locator = Locator(COMPILED, RAW, "duckdb")
    found = sorted(locator.locate(group)[1:] for group in groups)
    assert found == [(4, False), (9, False)]


def test_a_macro_expanded_in_place_is_found_at_its_call() -> None:
    """`ref()` (or any macro) that Jinja replaces line for line: the compiled line pairs with the call's."""
    tree = sqlglot.parse_one(COMPILED, dialect="duckdb")
    table = next(t for t in tree.find_all(exp.Table) if t.name == "items")
    text, line, compiled = Locator(COMPILED, RAW, "duckdb").locate(table)
    assert (line, compiled) == (3, False)
    assert "items" in text


def test_a_line_a_macro_wrote_over_several_lines_says_compiled() -> None:
    raw = "select\n    order_id,\n    {{ money_columns() }}\nfrom t\n"
    compiled = "select\n    order_id,\n    amount / 100 as amount,\n    fee / 100 as fee\nfrom t\n"
    tree = sqlglot.parse_one(compiled, dialect="duckdb")
    fee = next(c for c in tree.find_all(exp.Column) if c.name == "fee")
    _, line, is_compiled = Locator(compiled, raw, "duckdb").locate(fee)
    assert (line, is_compiled) == (4, True)
