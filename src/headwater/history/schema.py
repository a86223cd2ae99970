"""The history store's tables, as an ordered list of migrations (plain SQL both DuckDB and PostgreSQL run).

`MIGRATIONS[i]` takes a store from schema version `i` to `i + 1`; `schema_version` holds one row per
version applied. Never edit a released step: append a new one (a store written by an older headwater is
migrated forward when it is opened). Values of many types (min, max, top values) are text; lists are JSON.
"""

from __future__ import annotations

VERSION_TABLE = (
    "create table if not exists schema_version (version integer primary key, applied_at text not null)"
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: snapshots of the project (nodes, schemas, profiles, run results)
    (
        """create table snapshots (
            snapshot_id text primary key, taken_at text not null, project_dir text, git_commit text,
            manifest_checksum text, budget_seconds double precision, seconds double precision)""",
        """create table nodes (
            snapshot_id text not null, unique_id text not null, resource_type text, name text,
            checksum text, compiled_sql text, relation text)""",
        """create table relation_columns (
            snapshot_id text not null, unique_id text not null, ordinal integer not null,
            column_name text not null, data_type text, source text)""",
        """create table relations (
            snapshot_id text not null, unique_id text not null, row_count bigint,
            seconds double precision, queries integer, skipped_reason text)""",
        """create table profiles (
            snapshot_id text not null, unique_id text not null, column_name text not null, data_type text,
            null_count bigint, distinct_count bigint, min_value text, max_value text,
            mean double precision, histogram text, top_values text)""",
        """create table run_results (
            snapshot_id text not null, unique_id text not null, status text, execution_time double precision,
            rows_affected bigint, message text, completed_at text)""",
    ),
    # v2: check outcomes of GX checkpoint runs, source freshness, the selector and dbt project of a snapshot
    (
        "alter table snapshots add column selector text",
        "alter table snapshots add column project_name text",
        """create table check_outcomes (
            run_at text not null, checkpoint text, suite text not null, expectation_type text not null,
            expectation_id text, relation text, unique_id text, column_name text, success boolean not null,
            observed text, snapshot_id text)""",
        """create table freshness (
            snapshot_id text not null, unique_id text not null, status text, max_loaded_at text,
            snapshotted_at text, age_seconds double precision)""",
        "create index check_outcomes_run_at on check_outcomes (run_at)",
        "create index nodes_snapshot on nodes (snapshot_id)",
    ),
)

LATEST_VERSION = len(MIGRATIONS)

# Insert statements (`?` placeholders; the PostgreSQL store turns them into `%s`), in write order.
INSERTS: dict[str, str] = {
    "snapshots": "insert into snapshots (snapshot_id, taken_at, project_dir, git_commit, manifest_checksum,"
    " budget_seconds, seconds, selector, project_name) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "nodes": "insert into nodes (snapshot_id, unique_id, resource_type, name, checksum, compiled_sql, relation)"
    " values (?, ?, ?, ?, ?, ?, ?)",
    "relation_columns": "insert into relation_columns (snapshot_id, unique_id, ordinal, column_name, data_type,"
    " source) values (?, ?, ?, ?, ?, ?)",
    "relations": "insert into relations (snapshot_id, unique_id, row_count, seconds, queries, skipped_reason)"
    " values (?, ?, ?, ?, ?, ?)",
    "profiles": "insert into profiles (snapshot_id, unique_id, column_name, data_type, null_count,"
    " distinct_count, min_value, max_value, mean, histogram, top_values)"
    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "run_results": "insert into run_results (snapshot_id, unique_id, status, execution_time, rows_affected,"
    " message, completed_at) values (?, ?, ?, ?, ?, ?, ?)",
    "freshness": "insert into freshness (snapshot_id, unique_id, status, max_loaded_at, snapshotted_at,"
    " age_seconds) values (?, ?, ?, ?, ?, ?)",
    "check_outcomes": "insert into check_outcomes (run_at, checkpoint, suite, expectation_type, expectation_id,"
    " relation, unique_id, column_name, success, observed, snapshot_id)"
    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
}
