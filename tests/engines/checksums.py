"""Every table of a warehouse as (row count, order-independent hash): equal before and after a run proves
the run wrote nothing. Read with the engines' own drivers, outside headwater."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

Checksums = dict[str, tuple[int, int]]


def quoted(name: str) -> str:
    """A double-quoted identifier, embedded quotes doubled (tables may be named like an injection)."""
    return '"' + name.replace('"', '""') + '"'


def postgres_checksums(conn: Any) -> Checksums:
    """Tables of every non-system schema; the hash is the sum of each row's hashtext (order-independent)."""
    with conn.cursor() as cur:
        cur.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2"
        )
        tables = cur.fetchall()
        found: Checksums = {}
        for schema, table in tables:
            cur.execute(
                f"select count(*), coalesce(sum(hashtext(t::text)::bigint), 0) from {quoted(schema)}.{quoted(table)} t"
            )
            rows, digest = cur.fetchone()
            found[f"{schema}.{table}"] = (int(rows), int(digest))
    return found


def duckdb_checksums(path: Path) -> Checksums:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": tuple(  # type: ignore[misc]
                int(v) for v in con.execute(
                    f"select count(*), coalesce(sum(hash(t)), 0)::hugeint from {quoted(schema)}.{quoted(table)} t"
                ).fetchone() or (0, 0)
            )
            for schema, table in tables
        }
