"""The only place headwater sends SQL. Read-only by construction, every statement recorded as a Probe.

- DuckDB files are opened `read_only=True`; PostgreSQL sessions are `default_transaction_read_only`.
- Every statement passes `guard.ensure_select` (a single query on the sqlglot AST) and is rendered with
  all identifiers quoted.
- Every statement has a timeout (PostgreSQL `statement_timeout`; DuckDB `interrupt()` from a timer; Spark a
  job group cancelled by a timer, `headwater.warehouse.spark`).
"""

from __future__ import annotations

import logging
import string
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from headwater.errors import WarehouseError
from headwater.warehouse.config import WarehouseConfig
from headwater.warehouse.guard import ensure_select, render
from headwater.warehouse.transpile import relocate

_log = logging.getLogger("headwater.warehouse")


@dataclass(frozen=True)
class Probe:
    """One statement headwater sent: its exact SQL (re-runnable), result size and wall time."""

    sql: str
    rows: int
    seconds: float
    purpose: str = ""
    relation: str = ""
    error: str = ""


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def first(self) -> dict[str, Any]:
        return self.records()[0] if self.rows else {}


class ProbeError(WarehouseError):
    """A probe reached the warehouse but failed (missing column, bad cast, timeout). Carries the probe."""

    def __init__(self, message: str, probe: Probe) -> None:
        super().__init__(message)
        self.probe = probe


@dataclass
class Warehouse:
    """A read-only connection. Use `connect(config)`; close it (or use `with`)."""

    config: WarehouseConfig
    _conn: Any = None
    _catalogs: frozenset[str] = frozenset()
    probes: list[Probe] = field(default_factory=list)
    # relation -> (columns, the SQL that read them): a relation's schema does not change while a trace runs,
    # and the missing-column search asks for the same relation more than once
    _schemas: dict[tuple[str, str, str], tuple[dict[str, str] | None, str]] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.config.dialect

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None and self.config.kind == "spark":
            self._conn = None  # the session is shared with the process that made it; never stop it here
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- naming -------------------------------------------------------------------------------
    def table(self, database: str | None, schema: str | None, name: str, alias: str = "") -> exp.Table:
        """A table expression for a relation; the database part is kept only where it resolves here."""
        keep_db = bool(database) and str(database).lower() in self._catalogs and self.config.kind == "duckdb"
        table = exp.table_(
            exp.to_identifier(name, quoted=True),
            db=exp.to_identifier(schema, quoted=True) if schema else None,
            catalog=exp.to_identifier(database, quoted=True) if keep_db else None,
            alias=exp.to_identifier(alias, quoted=True) if alias else None,
        )
        return table

    # -- running ------------------------------------------------------------------------------
    def query(self, statement: str | exp.Expr, purpose: str = "", relation: str = "") -> ProbeResult:
        """Run one read-only query and record it. Raises ProbeError when the warehouse rejects it."""
        if isinstance(statement, exp.Expr):  # parsed in the manifest's dialect, rendered in the warehouse's
            statement = relocate(statement, self._catalogs)
        tree = ensure_select(statement, self.dialect)
        if isinstance(statement, exp.Expr):
            sql = render(tree, self.dialect)
            sql = render(tree, self.dialect, pretty=True) if len(sql) > 200 else sql
        else:
            sql = statement
        started = time.perf_counter()
        try:
            columns, rows = self._execute(sql)
        except WarehouseError:
            raise
        except Exception as err:
            seconds = time.perf_counter() - started
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            probe = Probe(sql, 0, seconds, purpose, relation, error=message)
            self.probes.append(probe)
            _announce(probe)
            raise ProbeError(f"probe on {relation or 'the warehouse'} failed: {message}", probe) from err
        probe = Probe(sql, len(rows), time.perf_counter() - started, purpose, relation)
        self.probes.append(probe)
        _announce(probe)
        return ProbeResult(probe, columns, rows)

    def _execute(self, sql: str) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
        if self.config.kind == "duckdb":
            timer = threading.Timer(self.config.timeout_seconds, self._conn.interrupt)
            timer.start()
            try:
                cursor = self._conn.execute(sql)
                rows = cursor.fetchall()
            finally:
                timer.cancel()
            columns = tuple(d[0] for d in cursor.description or ())
            return columns, tuple(tuple(r) for r in rows)
        if self.config.kind == "spark":
            from headwater.warehouse.spark import spark_execute

            return spark_execute(self._conn, sql, self.config.timeout_seconds)
        with self._conn.cursor() as cursor:
            try:
                cursor.execute(sql)
                rows = cursor.fetchall()
            except Exception:
                self._conn.rollback()
                raise
            columns = tuple(d[0] for d in cursor.description or ())
        return columns, tuple(tuple(r) for r in rows)

    def columns(self, database: str | None, schema: str | None, name: str) -> dict[str, str] | None:
        """Lower-cased column name -> upper-cased data type from information_schema; None if no such table.
        Read once per relation and connection (`columns_sql` gives the query, to show as evidence)."""
        key = (database or "", schema or "", name)  # exact: PostgreSQL's "Orders" is not its orders
        if key in self._schemas:
            return self._schemas[key][0]
        if self.config.kind == "spark":
            self._schemas[key] = self._spark_columns(schema, name)
            return self._schemas[key][0]
        folds = self.config.kind == "duckdb"
        where = name_condition("table_name", name, folds)
        if schema:
            where = where.and_(name_condition("table_schema", schema, folds))
        if database and self.config.kind == "duckdb" and database.lower() in self._catalogs:
            where = where.and_(name_condition("table_catalog", database, folds))
        query = (
            exp.select("column_name", "data_type", "table_schema", "table_name")
            .from_(exp.table_("columns", db="information_schema"))
            .where(where)
            .order_by("ordinal_position")
        )
        result = self.query(query, purpose="schema", relation=".".join(p for p in (schema, name) if p))
        rows = one_relation(result.rows, schema, name, folds)
        found = {str(c).lower(): str(t).upper() for c, t, *_ in rows} if rows else None
        self._schemas[key] = (found, result.probe.sql)
        return found

    def _spark_columns(self, schema: str | None, name: str) -> tuple[dict[str, str] | None, str]:
        fields, sql = self._spark_fields(schema, name)
        return ({n.lower(): t.upper() for n, t, _ in fields} if fields else None), sql

    def fields(self, schema: str | None, name: str) -> tuple[tuple[str, str, bool], ...] | None:
        """(name, type, nullable) of each column as Spark reports them (no information_schema there); None
        when there is no such table. For `headwater.contracts.actual` on a Spark warehouse."""
        return self._spark_fields(schema, name)[0] or None

    def _spark_fields(self, schema: str | None, name: str) -> tuple[tuple[tuple[str, str, bool], ...], str]:
        """Spark has no information_schema: the types of an empty SELECT of the table, read from its plan."""
        query = exp.select("*").from_(self.table(None, schema, name)).limit(0)
        tree = ensure_select(query, self.dialect)
        sql = render(tree, self.dialect)
        relation = ".".join(p for p in (schema, name) if p)
        started = time.perf_counter()
        try:
            plan = self._conn.sql(sql).schema.fields
        except Exception as err:
            if "TABLE_OR_VIEW_NOT_FOUND" in str(err):  # no such table: None, as information_schema says
                plan = []
            else:
                message = str(err).strip().splitlines()[0]
                probe = Probe(sql, 0, time.perf_counter() - started, "schema", relation, error=message)
                self.probes.append(probe)
                _announce(probe)
                raise ProbeError(f"probe on {relation} failed: {message}", probe) from err
        found = tuple((str(f.name), str(f.dataType.simpleString()), bool(f.nullable)) for f in plan)
        probe = Probe(sql, 0, time.perf_counter() - started, "schema", relation)
        self.probes.append(probe)
        _announce(probe)
        return found, sql

    def columns_sql(self, database: str | None, schema: str | None, name: str) -> str:
        """The information_schema query behind `columns(...)` (read now if it was not yet)."""
        self.columns(database, schema, name)
        return self._schemas[(database or "", schema or "", name)][1]


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _ascii(name: str) -> str:
    return name.translate(_ASCII_LOWER)


def name_condition(column: str, name: str, folds_quoted: bool) -> exp.Condition:
    """information_schema's `column` (table_name, table_schema, ...) names `name`, a dbt relation name. Where
    the engine ignores case even in quoted names (DuckDB, `folds_quoted`), any spelling, narrowed by
    `one_relation`; else (PostgreSQL) the name as dbt quoted it or as the server folds it unquoted: ASCII
    letters only (`downcase_identifier`), so `"Orders"` never reads `orders` and `Über` stays `Über`."""
    if folds_quoted:
        return exp.func("lower", exp.column(column)).eq(exp.Literal.string(name.lower()))
    return exp.column(column).isin(*(exp.Literal.string(s) for s in dict.fromkeys((name, _ascii(name)))))


def one_relation(
    rows: Sequence[tuple[Any, ...]], schema: str | None, name: str, folds_quoted: bool
) -> list[tuple[Any, ...]]:
    """The rows (ending in table_schema, table_name) of the one relation `name_condition` means, among those it
    matched or any others: the exact spelling before the folded one; on DuckDB the names equal once ASCII
    letters are folded (`"Ünï"` and `"ünï"` are two tables there, and the server's `lower()` matched both)."""
    if folds_quoted:
        same = [r for r in rows if _ascii(str(r[-1])) == _ascii(name)]
        return [r for r in same if not schema or _ascii(str(r[-2])) == _ascii(schema)]
    spelled, schemas = (name, _ascii(name)), (schema, _ascii(schema)) if schema else ()
    meant = [r for r in rows if str(r[-1]) in spelled and (not schema or str(r[-2]) in schemas)]
    if not meant:
        return []

    def rank(row: tuple[Any, ...]) -> tuple[int, int]:
        return (schemas.index(str(row[-2])) if schema else 0), spelled.index(str(row[-1]))

    best = min(rank(r) for r in meant)
    return [r for r in meant if rank(r) == best]


def _announce(probe: Probe) -> None:
    """Every statement sent is one `probe` record on the `headwater.warehouse` logger (JSON logs, metrics, spans)."""
    _log.debug(
        "probe on %s: %d rows in %.3f s",
        probe.relation or "the warehouse",
        probe.rows,
        probe.seconds,
        extra={"event": "probe", "relation": probe.relation, "purpose": probe.purpose, "rows": probe.rows,
               "seconds": round(probe.seconds, 6), "error": probe.error or None},
    )


def connect(config: WarehouseConfig) -> Warehouse:
    """Open a read-only connection; WarehouseError (exit 3) when the warehouse cannot be reached."""
    if config.kind == "duckdb":
        return _connect_duckdb(config)
    if config.kind == "postgres":
        return _connect_postgres(config)
    if config.kind == "spark":
        from headwater.warehouse.spark import spark_catalogs, spark_session

        session = spark_session(config.host)
        return Warehouse(config, session, spark_catalogs(session))
    raise WarehouseError(f"unsupported warehouse kind {config.kind!r}; use duckdb, postgres or spark")


def _connect_duckdb(config: WarehouseConfig) -> Warehouse:
    from pathlib import Path

    import duckdb

    if not Path(config.path).is_file():
        raise WarehouseError(f"DuckDB file {config.path} does not exist; build the project or fix --warehouse")
    try:
        conn = duckdb.connect(config.path, read_only=True)
    except Exception as err:
        first = str(err).splitlines()[0]
        raise WarehouseError(
            f"cannot open {config.path} read-only: {first} (is another process writing to it?)"
        ) from err
    databases = conn.execute("select database_name from duckdb_databases()").fetchall()
    catalogs = frozenset(str(r[0]).lower() for r in databases)
    return Warehouse(config, conn, catalogs)


def _connect_postgres(config: WarehouseConfig) -> Warehouse:
    import psycopg2

    timeout_ms = int(config.timeout_seconds * 1000)
    try:
        conn = psycopg2.connect(
            host=config.host,
            port=config.port,
            user=config.user or None,
            password=config.password or None,
            dbname=config.dbname or None,
            connect_timeout=10,
            options=f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on",
        )
    except Exception as err:
        first = str(err).strip().splitlines()[0]
        raise WarehouseError(f"cannot connect to {config.describe()}: {first}") from err
    conn.set_session(readonly=True, autocommit=True)
    return Warehouse(config, conn, frozenset({config.dbname.lower()}))
