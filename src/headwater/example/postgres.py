"""The example on PostgreSQL: the raw tables generated in DuckDB are copied into a PostgreSQL database (COPY),
then dbt builds the same project with `--target postgres`.

This is example tooling, like `headwater.example.build`: it writes (CREATE DATABASE, COPY, dbt). headwater
itself only reads the result. Faults are applied the way they are on DuckDB (`Fault.apply` edits the raw
DuckDB file or a model file), then only what changed is carried over: the raw tables whose checksum changed
are reloaded, and only the models downstream of a change are rebuilt.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

from headwater.errors import ConfigError
from headwater.example.build import BUILD_INFO, database_path
from headwater.example.dbt_runner import DbtResult, run_dbt, run_selected
from headwater.example.faults import Fault
from headwater.example.generate import DEFAULT_ROWS, generate

PG_URL_ENV = "HEADWATER_PG_URL"
TARGET = "postgres"
RAW_SCHEMA = "raw"
SOURCE = "shop"


@dataclass(frozen=True)
class PgServer:
    """Where the PostgreSQL example lives: `HEADWATER_PG_URL`, else the local trust-auth server."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "root"
    password: str = ""
    dbname: str = "postgres"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PgServer:
        environ = os.environ if environ is None else environ
        url = environ.get(PG_URL_ENV, "")
        if not url:
            return cls()
        parsed = urlparse(url)
        if parsed.scheme not in ("postgres", "postgresql"):
            raise ConfigError(f"{PG_URL_ENV}={url!r} is not a postgresql:// URL; use postgresql://user@host:port/db")
        return cls(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or "root"),
            password=unquote(parsed.password or ""),
            dbname=parsed.path.lstrip("/") or "postgres",
        )

    def database(self, dbname: str) -> PgServer:
        return replace(self, dbname=dbname)

    def url(self) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.dbname}"

    def profile_env(self) -> dict[str, str]:
        """The env_var() values of the example's `postgres` target (dbt_project_example/profiles.yml)."""
        return {
            "HEADWATER_PG_HOST": self.host,
            "HEADWATER_PG_PORT": str(self.port),
            "HEADWATER_PG_USER": self.user,
            "HEADWATER_PG_PASSWORD": self.password,
            "HEADWATER_PG_DBNAME": self.dbname,
            "DBT_TARGET": TARGET,
        }

    def connect(self, dbname: str | None = None) -> Any:
        """An autocommit psycopg2 connection (for loading and administration; never headwater's reads)."""
        import psycopg2

        conn = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.dbname,
            connect_timeout=5,
        )
        conn.autocommit = True
        return conn


def create_database(server: PgServer, name: str, template: str | None = None) -> PgServer:
    """CREATE DATABASE `name` (a copy of `template` when given: the cheap way to fork a built warehouse)."""
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            copy = f' TEMPLATE "{template}"' if template else ""
            cur.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        conn.close()
    return server.database(name)


def drop_database(server: PgServer, name: str) -> None:
    conn = server.connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


# DuckDB type -> PostgreSQL type of the raw tables (the sources' declared types read the same on both).
def _pg_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return upper.replace("DECIMAL", "numeric")
    return {
        "VARCHAR": "varchar",
        "INTEGER": "integer",
        "BIGINT": "bigint",
        "DOUBLE": "double precision",
        "BOOLEAN": "boolean",
        "TIMESTAMP": "timestamp",
        "DATE": "date",
    }.get(upper, upper.lower())


def raw_checksums(duckdb_file: Path) -> dict[str, tuple[int, int, str]]:
    """table -> (rows, order-independent hash, column list) of every raw table of the DuckDB file."""
    found: dict[str, tuple[int, int, str]] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [RAW_SCHEMA]
        ).fetchall()
        for (table,) in tables:
            columns = con.execute(
                "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) "
                "from information_schema.columns where table_schema = ? and table_name = ?",
                [RAW_SCHEMA, table],
            ).fetchone()
            rows, digest = con.execute(
                f'select count(*), coalesce(sum(hash(t)), 0) from "{RAW_SCHEMA}"."{table}" t'
            ).fetchone() or (0, 0)
            found[str(table)] = (int(rows), int(digest), str(columns[0] if columns else ""))
    return found


def load_raw(duckdb_file: Path, server: PgServer, tables: list[str] | None = None) -> list[str]:
    """Copy raw tables (all, or `tables`) from the DuckDB file into schema `raw` of the PostgreSQL database,
    replacing them (CASCADE drops the staging views on top; dbt recreates them). Returns the tables copied."""
    conn = server.connect()
    copied: list[str] = []
    try:
        with duckdb.connect(str(duckdb_file), read_only=True) as source, conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{RAW_SCHEMA}"')
            names = tables or [str(r[0]) for r in source.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [RAW_SCHEMA]
            ).fetchall()]
            for table in names:
                columns = source.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [RAW_SCHEMA, table],
                ).fetchall()
                ddl = ", ".join(f'"{name}" {_pg_type(str(kind))}' for name, kind in columns)
                cur.execute(f'DROP TABLE IF EXISTS "{RAW_SCHEMA}"."{table}" CASCADE')
                cur.execute(f'CREATE TABLE "{RAW_SCHEMA}"."{table}" ({ddl})')
                with tempfile.TemporaryDirectory() as folder:
                    # DuckDB's CSV writes NULL as an empty field and '' quoted, which is what COPY ... csv reads
                    dump = Path(folder) / f"{table}.csv"
                    source.execute(f"COPY \"{RAW_SCHEMA}\".\"{table}\" TO '{dump}' (FORMAT csv, HEADER false)")
                    with dump.open() as stream:
                        cur.copy_expert(f'COPY "{RAW_SCHEMA}"."{table}" FROM STDIN WITH (FORMAT csv)', stream)
                cur.execute(f'ANALYZE "{RAW_SCHEMA}"."{table}"')
                copied.append(table)
    finally:
        conn.close()
    return copied


def build_postgres(project_dir: Path, server: PgServer, rows: int = DEFAULT_ROWS) -> tuple[DbtResult, ...]:
    """Generate the raw data (DuckDB file in the project, as for the DuckDB build), load it into the
    (existing, empty) database of `server`, then `dbt build` and `dbt docs generate` with `--target postgres`."""
    project_dir = project_dir.resolve()
    generate(database_path(project_dir), rows)
    (project_dir / BUILD_INFO).write_text(f'{{"rows":{rows}}}')
    load_raw(database_path(project_dir), server)
    env = server.profile_env()
    build = run_dbt(project_dir, "build", "--target", TARGET, env=env)
    return build, _docs(project_dir, server, check=True)


def _docs(project_dir: Path, server: PgServer, check: bool) -> DbtResult:
    run_results = project_dir / "target" / "run_results.json"
    saved = run_results.read_bytes() if run_results.exists() else None
    docs = run_dbt(project_dir, "docs", "generate", "--target", TARGET, env=server.profile_env(), check=check)
    if saved is not None:
        run_results.write_bytes(saved)
    return docs


@dataclass(frozen=True)
class FaultSync:
    """What a fault changed, carried over to PostgreSQL."""

    tables: tuple[str, ...]
    models: tuple[str, ...]
    dbt: tuple[DbtResult, ...]


def apply_fault_postgres(fault: Fault, project_dir: Path, server: PgServer) -> FaultSync:
    """Apply `fault` to a built PostgreSQL copy of the example: the fault edits the raw DuckDB file or a model
    file as on DuckDB; changed raw tables are reloaded and only the models downstream of a change rebuilt."""
    project_dir = project_dir.resolve()
    raw_before = raw_checksums(database_path(project_dir))
    models_before = {p: p.read_text() for p in (project_dir / "models").rglob("*.sql")}
    fault.apply(project_dir)
    raw_after = raw_checksums(database_path(project_dir))
    tables = sorted(t for t in raw_after if raw_before.get(t) != raw_after[t])
    models = sorted(p.stem for p, text in models_before.items() if p.read_text() != text)
    if tables:
        load_raw(database_path(project_dir), server, tables)
    select = [f"source:{SOURCE}.{t}+" for t in tables] + [f"{m}+" for m in models]
    if not select:
        return FaultSync((), (), ())
    run = run_selected(
        project_dir, "--full-refresh", "--target", TARGET, "--select", *select,
        code_changed=bool(models), env=server.profile_env(), check=False,
    )
    # the catalog (column types) changes only with a model or a raw table's columns; data faults keep it
    reshaped = bool(models) or any(raw_before.get(t, (0, 0, ""))[2] != raw_after[t][2] for t in tables)
    if not reshaped:
        return FaultSync(tuple(tables), tuple(models), (run,))
    return FaultSync(tuple(tables), tuple(models), (run, _docs(project_dir, server, check=False)))
