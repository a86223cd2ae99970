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


def test_a_line_only_in_compiled_sql_says_so() -> None:
    tree = sqlglot.parse_one(COMPILED, dialect="duckdb")
    table = next(t for t in tree.find_all(exp.Table) if t.name == "items")
    text, line, compiled = Locator(COMPILED, RAW, "duckdb").locate(table)
    assert (line, compiled) == (3, True)
    assert "items" in text
