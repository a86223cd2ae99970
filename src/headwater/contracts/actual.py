"""The actual schema of a table: from the live warehouse (information_schema, read-only) or catalog.json.

Both return an `ActualTable` (or None when the table does not exist), so the checks never know which
one they got. The warehouse side goes through `headwater.warehouse`, the only module that sends SQL.
`build_failure` says when a table is stale: its model's last dbt run (run_results.json) did not build it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from headwater.contracts.model import ActualColumn, ActualTable, BuildFailed
from headwater.warehouse.connection import name_condition, one_relation

if TYPE_CHECKING:
    from headwater.dbt import Artifacts, Catalog, Node
    from headwater.warehouse import Warehouse

# PostgreSQL's information_schema keeps the parameters apart from the type name.
_PG_LENGTH_TYPES = frozenset({"character varying", "character", "bit", "bit varying"})
_PG_NUMERIC_TYPES = frozenset({"numeric", "decimal"})


def schema_from_catalog(catalog: Catalog, unique_id: str, relation: str) -> ActualTable | None:
    """Columns of `unique_id` as `dbt docs generate` saw them (nullability unknown)."""
    table = catalog.tables.get(unique_id)
    if table is None:
        return None
    columns = tuple(ActualColumn(c.name, c.data_type, None) for c in table.columns)
    return ActualTable(relation, columns, "catalog")


def schema_from_warehouse(
    warehouse: Warehouse, database: str | None, schema: str | None, identifier: str
) -> ActualTable | None:
    """Columns, types and nullability from information_schema.columns (one read-only query)."""
    if warehouse.config.kind == "spark":  # no information_schema: the columns of the table's plan, where
        fields = warehouse.fields(schema, identifier)  # a file source says nullable whatever: only False is known
        columns = tuple(ActualColumn(n, t, False if not nullable else None) for n, t, nullable in fields or ())
        named = ".".join(p for p in (schema, identifier) if p)
        return ActualTable(named, columns, "warehouse", "spark") if fields else None
    # the one table the name means: on PostgreSQL a quoted "Orders" is not orders (`name_condition`)
    folds = warehouse.config.kind == "duckdb"
    where = name_condition("table_name", identifier, folds)
    if schema:
        where = where.and_(name_condition("table_schema", schema, folds))
    if database and warehouse.dialect == "duckdb":
        # DuckDB lists every attached database in one information_schema; PostgreSQL only its own.
        where = where.and_(name_condition("table_catalog", database, folds))
    query = (
        exp.select(
            "column_name",
            "data_type",
            "is_nullable",
            "character_maximum_length",
            "numeric_precision",
            "numeric_scale",
            "table_schema",
            "table_name",
        )
        .from_(exp.table_("columns", db="information_schema"))
        .where(where)
        .order_by("ordinal_position")
    )
    relation = ".".join(p for p in (schema, identifier) if p)
    result = warehouse.query(query, purpose="contract schema", relation=relation)
    rows = one_relation(result.rows, schema, identifier, folds)
    if not rows:
        return None
    columns = tuple(
        ActualColumn(str(name), _full_type(str(dtype), length, precision, scale), str(nullable).upper() == "YES")
        for name, dtype, nullable, length, precision, scale, *_ in rows
    )
    return ActualTable(relation, columns, "warehouse", warehouse.dialect)


def _full_type(dtype: str, length: object, precision: object, scale: object) -> str:
    lowered = dtype.lower()
    if lowered in _PG_LENGTH_TYPES and isinstance(length, int):
        return f"{dtype}({length})"
    if lowered in _PG_NUMERIC_TYPES and isinstance(precision, int):
        return f"{dtype}({precision},{scale if isinstance(scale, int) else 0})"
    return dtype


class NotReadable(Exception):
    """The actual schema cannot be read from the chosen source (e.g. no catalog entry)."""


def read_actual(
    unique_id: str | None,
    database: str | None,
    schema: str | None,
    identifier: str,
    artifacts: Artifacts | None,
    warehouse: Warehouse | None,
) -> ActualTable | None:
    """From the warehouse when connected, else from catalog.json. NotReadable when neither can say."""
    if warehouse is not None:
        return schema_from_warehouse(warehouse, database, schema, identifier)
    catalog = artifacts.catalog if artifacts else None
    if catalog is None:
        raise NotReadable("there is no catalog.json (run `dbt docs generate`)")
    if unique_id is None:
        raise NotReadable("it is not a dbt node, so catalog.json has no entry for it")
    relation = ".".join(p for p in (schema, identifier) if p)
    return schema_from_catalog(catalog, unique_id, relation)


def read_node(node: Node, artifacts: Artifacts | None, warehouse: Warehouse | None) -> ActualTable | None:
    if node.identifier is None or node.materialized == "ephemeral":
        raise NotReadable(f"{node.unique_id} has no table")
    return read_actual(node.unique_id, node.database, node.schema, node.identifier, artifacts, warehouse)


# run_results.json statuses of a model that did not (re)build its table.
_NOT_BUILT = frozenset({"error", "skipped", "runtime error"})


def build_failure(node_id: str | None, artifacts: Artifacts | None) -> BuildFailed | None:
    """The model's last dbt run (run_results.json) errored or was skipped: its table is stale."""
    runs = artifacts.run_results if artifacts else None
    if node_id is None or runs is None:
        return None
    result = runs.results.get(node_id)
    if result is None or result.status.lower() not in _NOT_BUILT:
        return None
    return BuildFailed(node_id, result.status.lower(), result.message or "")
