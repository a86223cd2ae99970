"""What only the fast pass does, and how it hands over to sqlglot's qualify."""

from __future__ import annotations

from pathlib import Path

from headwater.dbt import load_artifacts
from headwater.lineage import build_lineage
from headwater.lineage.schemas import sqlglot_dialect
from tests.conftest import CORPORA
from tests.lineage.golden import Case, render, run_case


def test_column_missing_from_a_known_table_is_unknown() -> None:
    case = Case("missing", "select id, title from w.raw.products", schema={"w.raw.products": ["id", "product_name"]})
    assert render(run_case(case)) == {
        "id <- raw.products.id passthrough",
        "title <- ? unknown(missing column)",
    }


def test_column_alias_list_is_left_to_qualify() -> None:
    case = Case(
        "alias list",
        "select t.a, t.b from (select id, amount from w.raw.orders) as t(a, b)",
        schema={"w.raw.orders": ["id", "amount"]},
    )
    assert render(run_case(case)) == {"a <- raw.orders.id rename", "b <- raw.orders.amount rename"}


def test_ambiguous_column_over_unknown_tables_says_so() -> None:
    case = Case("ambiguous", "select x from w.ext.a, w.ext.b")
    lines = render(run_case(case))
    assert len(lines) == 1 and next(iter(lines)).startswith("x <- ? unknown(")


def test_unknown_adapter_uses_generic_sql() -> None:
    assert sqlglot_dialect("duckdb") == "duckdb"
    assert sqlglot_dialect("some_new_adapter") == ""


def test_snapshot_gets_dbt_columns(tmp_path: Path) -> None:
    corpus = CORPORA / "colibri_duckdb"
    graph = build_lineage(load_artifacts(target_path=corpus), cache_dir=tmp_path)
    columns = graph.columns_of("snapshot.jaffle_shop.orders_snapshot")
    assert {"order_id", "dbt_valid_from", "dbt_valid_to"} <= set(columns)


def test_expression_text_and_line_come_from_the_model_file() -> None:
    from sqlglot import exp
    from sqlglot.schema import MappingSchema

    from headwater.lineage.analyze import analyze_model
    from headwater.lineage.locate import Locator

    raw = "select\n    id,\n    cast(amount as decimal(12, 2)) as amount\nfrom {{ ref('orders') }}\nwhere {{ flt() }}\n"
    compiled = "select\n    id,\n    cast(amount as decimal(12, 2)) as amount\nfrom w.raw.orders\nwhere status = 'ok'\n"
    columns = {"raw.orders": ("id", "amount", "status")}
    result = analyze_model(
        "model.p.m", compiled, "duckdb", MappingSchema(dialect="duckdb"),
        lambda t: f"{t.db}.{t.name}" if isinstance(t, exp.Table) else None, lambda _: None,
        Locator(compiled, raw, "duckdb"), table_columns=columns.get,
    )
    cast = next(e for e in result.edges if e.target == "amount")
    assert (cast.kind, cast.expression, cast.line, cast.compiled) == (
        "cast", "cast(amount as decimal(12, 2)) as amount", 3, False
    )
    flt = next(e for e in result.row_edges if e.kind == "filter")
    # the filter a macro wrote in place: its compiled text, at the line of the macro's call in the model file
    assert (flt.expression, flt.line, flt.compiled) == ("where status = 'ok'", 5, False)
