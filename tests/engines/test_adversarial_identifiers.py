"""Adversarial identifiers: a schema, a table and columns named with quotes, semicolons, spaces, unicode, mixed
case and reserved words, and a column named like an injection payload. headwater's batched checks and schema
probe on them count what an independent query counts (PostgreSQL and DuckDB), and on PostgreSQL the server
executes nothing but the probes: its own statement log (`log_statement = all` for the database, read back
from the session) holds exactly the probes' SQL, and every table's checksum is unchanged.

Cost: a small table in an empty PostgreSQL database and in a DuckDB file (no dbt build)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from headwater.example.postgres import PgServer
from headwater.trace.checks import Between, Check, InSet, NotNull, Unique
from headwater.trace.measures import evaluate
from headwater.warehouse import Warehouse, connect, from_url
from tests.engines.checksums import duckdb_checksums, postgres_checksums, quoted

pytestmark = pytest.mark.slow

SCHEMA = 'Ünï "Schema"; select'
TABLE = 'Order Items"; DROP TABLE victim; --'
KEY = "id"
MIXED = "MixedCase Ünïcødé"
RESERVED = "select"
SEMI = 'semi;colon "quoted"'
INJECTION = "x\"); DROP TABLE victim; --"
QUOTE = "a' OR '1'='1"
ROWS = 50


def rows() -> list[tuple[object, ...]]:
    """id, MIXED 1..50, RESERVED 'a'/'b' with every 9th 'z', SEMI with duplicates, INJECTION null every 7th."""
    return [
        (i, i, "z" if i % 9 == 0 else "ab"[i % 2], f"k{i % 45}", None if i % 7 == 0 else f"v{i}", f"q{i}")
        for i in range(1, ROWS + 1)
    ]


COLUMNS = (KEY, MIXED, RESERVED, SEMI, INJECTION, QUOTE)
TYPES = ("integer", "integer", "varchar", "varchar", "varchar", "varchar")
CHECKS: tuple[Check, ...] = (NotNull(INJECTION), InSet(RESERVED, ("a", "b")), Between(MIXED, 1, 40),
                             Unique((SEMI,)), NotNull(QUOTE))
# the same questions, asked independently: (failing rows) per check
EXPECTED = (
    f"count(*) filter (where {quoted(INJECTION)} is null)",
    f"count(*) filter (where {quoted(RESERVED)} not in ('a', 'b'))",
    f"count(*) filter (where {quoted(MIXED)} not between 1 and 40)",
    f"count(*) - count(distinct {quoted(SEMI)})",
    f"count(*) filter (where {quoted(QUOTE)} is null)",
)


def create_sql() -> list[str]:
    table = f"{quoted(SCHEMA)}.{quoted(TABLE)}"
    columns = ", ".join(f"{quoted(c)} {t}" for c, t in zip(COLUMNS, TYPES, strict=True))
    return [f"create schema {quoted(SCHEMA)}", f"create table {table} ({columns})",
            "create table victim (n integer)", "insert into victim values (1), (2)"]


def insert_sql() -> str:
    return f"insert into {quoted(SCHEMA)}.{quoted(TABLE)} values ({', '.join(['%s'] * len(COLUMNS))})"


def probe(warehouse: Warehouse) -> list[tuple[bool | None, int | None]]:
    found = warehouse.columns(None, SCHEMA, TABLE)
    assert found is not None and list(found) == [c.lower() for c in COLUMNS], found
    outcomes = evaluate(warehouse, warehouse.table(None, SCHEMA, TABLE), CHECKS, TABLE)
    assert all(not o.error for o in outcomes), [o.error for o in outcomes]
    return [(o.failed, o.failing) for o in outcomes]


def independent(cursor: object, table: str) -> list[tuple[bool | None, int | None]]:
    cursor.execute(f"select {', '.join(EXPECTED)} from {table}")  # type: ignore[attr-defined]
    counts = cursor.fetchone()  # type: ignore[attr-defined]
    return [(int(n) > 0, int(n)) for n in counts]


@dataclass(frozen=True)
class PgDatabase:
    server: PgServer
    log: Path | None  # the server's log file, when this process can read it


@pytest.fixture(scope="module")
def pg_adversarial(pg_databases: Callable[[str], PgServer]) -> Iterator[PgDatabase]:
    server = pg_databases("")
    admin = server.connect()
    try:
        with admin.cursor() as cur:
            for statement in create_sql():
                cur.execute(statement)
            cur.executemany(insert_sql(), rows())
            cur.execute(f'alter database {quoted(server.dbname)} set log_statement = \'all\'')
            cur.execute("select current_setting('server_version_num')::int / 10000")
            major = cur.fetchone()[0]
    finally:
        admin.close()
    # Debian's pg_ctlcluster sends the server's stderr (the statement log) here; HEADWATER_PG_LOG names another
    log = Path(os.environ.get("HEADWATER_PG_LOG", f"/var/log/postgresql/postgresql-{major}-main.log"))
    yield PgDatabase(server, log if log.is_file() and os.access(log, os.R_OK) else None)


@pytest.mark.postgres
def test_adversarial_identifiers_on_postgres(pg_adversarial: PgDatabase) -> None:
    server = pg_adversarial.server
    admin = server.connect()
    try:
        before = postgres_checksums(admin)
        assert set(before) == {f"{SCHEMA}.{TABLE}", "public.victim"}
        log_start = pg_adversarial.log.stat().st_size if pg_adversarial.log else 0
        with connect(from_url(server.url())) as warehouse:
            setting = warehouse.query("select current_setting('log_statement') as s, pg_backend_pid() as pid")
            assert setting.first()["s"] == "all"  # the session logs every statement it runs
            pid = int(setting.first()["pid"])
            got = probe(warehouse)
            sent = [p.sql for p in warehouse.probes]
        with admin.cursor() as cur:
            assert got == independent(cur, f"{quoted(SCHEMA)}.{quoted(TABLE)}")
        assert postgres_checksums(admin) == before
    finally:
        admin.close()
    if pg_adversarial.log is None:
        pytest.skip("the server's statement log is not readable here (set HEADWATER_PG_LOG); checksums held")
    logged = logged_statements(pg_adversarial.log, log_start, server.dbname, pid)
    # what the driver sends to open a read-only session, then the probes, and nothing else
    session = [s for s in logged if re.match(r"(?i)^set (session characteristics|default_transaction)", s)]
    assert [s for s in logged if s not in session] == [" ".join(s.split()) for s in sent], logged


def logged_statements(log: Path, start: int, dbname: str, pid: int | None = None) -> list[str]:
    """The `statement:` entries of backend `pid` (None: every backend) on database `dbname` written to the
    server log after byte `start` (an entry runs on over the following lines that do not start with a
    timestamp); whitespace collapsed."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", errors="replace")
    entries: list[str] = []
    current: list[str] | None = None
    head = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* \S+ \[(\d+)\] ")
    for line in text.splitlines():
        started = head.match(line)
        if started:
            current = None
            marker = f"@{dbname} LOG:  statement: "
            if marker in line and (pid is None or int(started.group(1)) == pid):
                current = [line.split(marker, 1)[1]]
                entries.append("")
        elif current is not None:
            current.append(line)
        if current is not None:
            entries[-1] = " ".join(" ".join(current).split())
    return entries


def test_adversarial_identifiers_on_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "adversarial.duckdb"
    with duckdb.connect(str(path)) as con:
        for statement in create_sql():
            con.execute(statement)
        con.executemany(insert_sql().replace("%s", "?"), rows())
    before = duckdb_checksums(path)
    with connect(from_url(f"duckdb:///{path}")) as warehouse:
        got = probe(warehouse)
    with duckdb.connect(str(path), read_only=True) as con:
        assert got == independent(con.cursor(), f"{quoted(SCHEMA)}.{quoted(TABLE)}")
    assert duckdb_checksums(path) == before
