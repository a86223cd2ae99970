"""A contract's actual schema (and the trace's schema probe) names exactly one table: on PostgreSQL a quoted
mixed-case table and a lowercase one differing only in case are two tables, each read by its own name (the dbt
relation name as written, then as the server folds it unquoted); DuckDB ignores the case of ASCII letters even
in quoted names, so any such spelling reads the one table, and `"Ünï"` and `"ünï"` are two."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from headwater.contracts.actual import schema_from_warehouse
from headwater.dbt import Node
from headwater.example.postgres import PgServer
from headwater.history.snapshot import live_schemas
from headwater.warehouse import connect, from_url


def _snapshot_columns(warehouse: object, *relations: tuple[str, str]) -> list[list[str]]:
    """The columns `headwater snapshot` reads for each relation (one information_schema query for all)."""
    nodes = [
        Node(f"source.p.{s}.{t}", "source", t, schema=s, identifier=t, relation_name=f'"{s}"."{t}"')
        for s, t in relations
    ]
    found = live_schemas(warehouse, nodes)  # type: ignore[arg-type]
    return [[c.name for c in found[n.unique_id].columns] if n.unique_id in found else [] for n in nodes]


def _names(warehouse: object, schema: str, table: str) -> list[str] | None:
    actual = schema_from_warehouse(warehouse, None, schema, table)  # type: ignore[arg-type]
    return None if actual is None else [c.name for c in actual.columns]


@pytest.mark.postgres
def test_postgres_mixed_case_table_next_to_lowercase(pg_databases: Callable[[str], PgServer]) -> None:
    server = pg_databases("")
    admin = server.connect()
    try:
        with admin.cursor() as cur:
            cur.execute('create schema "Shop"; create schema shop')
            for schema in ('"Shop"', "shop"):
                cur.execute(f'create table {schema}."Orders" ("Mixed_only" int, "Ünï" text)')
                cur.execute(f"create table {schema}.orders (lower_only int, other int)")
    finally:
        admin.close()
    warehouse = connect(from_url(server.url()))
    try:
        assert _names(warehouse, "shop", "Orders") == ["Mixed_only", "Ünï"]
        assert _names(warehouse, "shop", "orders") == ["lower_only", "other"]
        assert _names(warehouse, "Shop", "Orders") == ["Mixed_only", "Ünï"]  # not shop's: the exact schema first
        assert _names(warehouse, "Shop", "orders") == ["lower_only", "other"]
        # an unquoted name in dbt (quoting off) is stored folded: ORDERS is orders, ORDERS_X is nothing
        assert _names(warehouse, "SHOP", "ORDERS") == ["lower_only", "other"]
        assert _names(warehouse, "shop", "ORDERS_X") is None
        assert _names(warehouse, "shop", "oRDERS") == ["lower_only", "other"]
        # the trace's schema probe (`Warehouse.columns`) names the same one table
        assert list(warehouse.columns(None, "shop", "Orders") or {}) == ["mixed_only", "ünï"]
        assert list(warehouse.columns(None, "shop", "orders") or {}) == ["lower_only", "other"]
        assert "Orders" in warehouse.columns_sql(None, "shop", "Orders")
        assert _snapshot_columns(warehouse, ("shop", "Orders"), ("shop", "orders"), ("Shop", "Orders")) == [
            ["Mixed_only", "Ünï"],
            ["lower_only", "other"],
            ["Mixed_only", "Ünï"],
        ]
    finally:
        warehouse.close()


def test_duckdb_mixed_case_table_any_spelling(tmp_path: Path) -> None:
    path = tmp_path / "case.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute('create schema "Shop"')
        con.execute('create table "Shop"."Orders" ("Mixed_only" int, b int)')
        con.execute('create table "Shop".orders_2 (lower_only int)')
        con.execute('create table "Shop"."Ünï" (upper_u int)')
        con.execute('create table "Shop"."ünï" (lower_u int)')
        with pytest.raises(duckdb.CatalogException):  # DuckDB: one table whatever the case
            con.execute("create table shop.orders (lower_only int)")
    warehouse = connect(from_url(f"duckdb:///{path}"))
    try:
        for schema, table in (("Shop", "Orders"), ("shop", "orders"), ("SHOP", "ORDERS")):
            assert _names(warehouse, schema, table) == ["Mixed_only", "b"], (schema, table)
        assert _names(warehouse, "shop", "Orders_2") == ["lower_only"]
        # DuckDB folds ASCII letters only: "Ünï" and "ünï" are two tables, and "ÜNÏ" is neither
        assert _names(warehouse, "SHOP", "Ünï") == ["upper_u"]
        assert _names(warehouse, "shop", "ünï") == ["lower_u"]
        assert _names(warehouse, "shop", "ÜNÏ") is None
        assert list(warehouse.columns(None, "shop", "ünï") or {}) == ["lower_u"]
        assert list(warehouse.columns(None, "SHOP", "ORDERS") or {}) == ["mixed_only", "b"]
        assert _snapshot_columns(warehouse, ("shop", "ORDERS"), ("Shop", "Ünï"), ("shop", "ÜNÏ")) == [
            ["Mixed_only", "b"],
            ["upper_u"],
            [],
        ]
        assert _names(warehouse, "shop", "missing") is None
    finally:
        warehouse.close()
