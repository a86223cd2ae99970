"""A DuckDB datasource for GX 1.24 that returns correct metrics.

Why this exists: GX's generic SQL execution engine runs each metric query inside
`with engine.connect() as connection:` and fetches the rows *after* that block closed the connection.
DuckDB rolls back on close and drops the pending result, so `context.data_sources.add_sql("duckdb:///…")`
silently yields empty metric rows (expectations fail with "list index out of range" or report `{}`).
The engine below keeps one connection for its lifetime, as GX already does for SQLite.

Second defect fixed here: duckdb-engine's SQLAlchemy inspector reflects columns through PostgreSQL
catalog tables that DuckDB 2.x no longer has (`pg_catalog.pg_collation`), and GX's fallback then queries
the table without its schema. `_DuckDBInspector` reads `information_schema.columns` instead.

The warehouse is always opened read-only: headwater never writes to the user's warehouse.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy.dialects import postgresql

_TYPE_ARGS = re.compile(r"^\s*([A-Za-z_ ]+?)\s*(?:\((.*)\))?\s*$")
# DuckDB spellings that duckdb-engine's (PostgreSQL-derived) ischema_names lacks.
_EXTRA_TYPE_NAMES: Mapping[str, Any] = {
    "decimal": sa.DECIMAL,
    "double": sa.DOUBLE_PRECISION,
    "blob": sa.LargeBinary,
    "struct": sa.types.NullType,
}


def duckdb_url(path: str | Path) -> str:
    """SQLAlchemy URL of a DuckDB file (absolute, so a context reloaded elsewhere still finds it)."""
    return f"duckdb:///{Path(path).resolve()}"


def sqlalchemy_type(dialect: sa.Dialect, data_type: str) -> Any:
    """Turn a DuckDB `information_schema` type string into a SQLAlchemy type instance."""
    match = _TYPE_ARGS.match(data_type)
    if not match:
        return sa.types.NullType()
    base, args = match.group(1).strip().lower(), match.group(2)
    type_cls = getattr(dialect, "ischema_names", {}).get(base) or _EXTRA_TYPE_NAMES.get(base)
    if type_cls is None:
        return sa.types.NullType()
    if args and base in ("decimal", "numeric"):
        precision, _, scale = args.partition(",")
        return type_cls(int(precision), int(scale or 0))
    try:
        return type_cls()
    except TypeError:
        return sa.types.NullType()


_TYPE_NAMESPACE = SimpleNamespace(**{**vars(sa.types), **vars(postgresql)})


class _DuckDBInspector:
    """The two inspector calls GX's column metadata needs, answered from information_schema."""

    def __init__(self, engine: DuckDBExecutionEngine) -> None:
        self._engine = engine
        self.dialect = engine.engine.dialect

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        return {"constrained_columns": [], "name": None}

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        query = sa.text(
            "select column_name, data_type, is_nullable, column_default from information_schema.columns"
            " where table_catalog = current_database() and table_schema = coalesce(:schema, current_schema())"
            " and table_name = :table order by ordinal_position"
        )
        rows = self._engine.execute_query(query.bindparams(schema=schema, table=str(table_name))).fetchall()
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else str(table_name))
        return [
            {
                "name": name,
                "type": sqlalchemy_type(self.dialect, str(data_type)),
                "nullable": is_nullable == "YES",
                "default": default,
            }
            for name, data_type, is_nullable, default in rows
        ]


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """SqlAlchemyExecutionEngine that keeps one read-only DuckDB connection open (see module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        connect_args = dict(kwargs.pop("connect_args", None) or {})
        connect_args["read_only"] = True
        kwargs["connect_args"] = connect_args
        # One connection, reused: StaticPool hands the same DBAPI connection to every checkout.
        kwargs.setdefault("poolclass", sa.pool.StaticPool)
        # DuckDB temp tables would need a writable database; GX does not need them for metrics.
        kwargs["create_temp_table"] = False
        super().__init__(*args, **kwargs)
        # GX looks type names up in `dialect_module` (expect_column_values_to_be_of_type) and warns when
        # it is missing. duckdb-engine speaks PostgreSQL's type names, plus the generic SQL ones.
        self.dialect_module = _TYPE_NAMESPACE  # type: ignore[assignment]  # duck-typed module

    @contextmanager
    def get_connection(self) -> Generator[sa.Connection, None, None]:
        # Never close between execute() and fetch: that is the GX-on-DuckDB bug this class fixes.
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        try:
            yield self._connection
        except Exception:
            # A failed statement aborts DuckDB's transaction; the kept connection must stay usable.
            self._connection.rollback()
            raise

    def get_inspector(self) -> Any:
        return _DuckDBInspector(self)

    def close(self) -> None:
        """Release the file so other processes (e.g. `dbt run`) can write it again."""
        if self._connection is not None and not self._connection.closed:
            self._connection.close()
        self._connection = None
        self.engine.dispose()


class DuckDBDatasource(SQLDatasource):
    """GX datasource for a DuckDB file, opened read-only.

    Registered with GX when `headwater.gx` is imported, which adds `context.data_sources.add_duckdb(...)`
    and lets a file context that stores `type: duckdb` reload in a fresh process:

        context.data_sources.add_duckdb("warehouse", connection_string=duckdb_url(path))
    """

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]

    _EXTRA_EXCLUDED_EXEC_ENG_ARGS: ClassVar[set[str]] = set()

    @property
    def execution_engine_type(self) -> builtins.type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine

    def _create_engine(self) -> sa.Engine:
        # Used by GX for test_connection and asset checks: read-only as well.
        kwargs: dict[str, Any] = dict(self.kwargs)
        connect_args = dict(kwargs.pop("connect_args", None) or {})
        connect_args["read_only"] = True
        return sa.create_engine(str(self.connection_string), connect_args=connect_args, **kwargs)

    def close(self) -> None:
        """Close the engine GX cached on this datasource, releasing the DuckDB file."""
        engine = self._execution_engine
        if isinstance(engine, DuckDBExecutionEngine):
            engine.close()
        self._execution_engine = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
