"""The history store: headwater's own database (never the user's warehouse), opened by URL or path.

- Embedded DuckDB by default, at `<project-dir>/.headwater/history.duckdb` (created on first use);
  `--history URL` or `$HEADWATER_HISTORY` name another: a DuckDB path / `duckdb:///path`, or
  `postgresql://user@host:port/db` for a store a team shares.
- Opening migrates the schema forward (`headwater.history.schema.MIGRATIONS`).
- Every write is one short transaction on a connection of its own. DuckDB lets one process write a file
  at a time: a writer that finds the file locked (or a transaction conflict) retries with a bounded
  exponential backoff, so two snapshots taken at once both land. PostgreSQL serialises the migration with
  an advisory lock; inserts need nothing more.

    >>> store_url(None, project_dir="proj", environ={})
    'duckdb:///proj/.headwater/history.duckdb'
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from headwater.errors import ConfigError, WarehouseError
from headwater.history import rows
from headwater.history.model import CheckOutcome, Snapshot, SnapshotMeta
from headwater.history.schema import INSERTS, LATEST_VERSION, MIGRATIONS, VERSION_TABLE

ENV_VAR = "HEADWATER_HISTORY"
DEFAULT_PATH = Path(".headwater") / "history.duckdb"
_CHUNK = 200  # rows per INSERT statement
DUCKDB_EMPTY_FILE = 12_288  # bytes of an empty DuckDB database: its main header and two database headers
_MIGRATION_LOCK = 7_301_844_117  # pg_advisory_xact_lock key of headwater's migrations
T = TypeVar("T")


def store_url(
    history: str | None, project_dir: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """`--history`, else `$HEADWATER_HISTORY`, else the project's `.headwater/history.duckdb`."""
    environ = os.environ if environ is None else environ
    chosen = history or environ.get(ENV_VAR)
    if chosen:
        return chosen if "://" in chosen else f"duckdb:///{chosen}"
    return f"duckdb:///{Path(project_dir or '.') / DEFAULT_PATH}"


@dataclass
class HistoryStore:
    """A history database. Use `open_store(url)`; each method opens (and closes) its own connection."""

    url: str
    kind: str  # "duckdb" or "postgres"
    path: Path | None = None  # DuckDB file
    lock_timeout: float = 60.0  # seconds a writer waits for the DuckDB file lock
    retries: int = 0  # transactions retried on a lock or conflict (for tests and benchmarks)
    _migrated: bool = False
    _reading: bool = field(default=False, repr=False, compare=False)  # inside `reading()`
    _held: Any = field(default=None, repr=False, compare=False)  # the connection `reading()` keeps open

    def describe(self) -> str:
        if self.kind == "duckdb":
            return str(self.path)
        return self.url.split("@")[-1] if "@" in self.url else self.url

    # -- connections --------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.kind == "duckdb":
            import duckdb

            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(self.path))
        import psycopg2

        try:
            return psycopg2.connect(self.url, connect_timeout=10)
        except psycopg2.OperationalError as err:
            first = str(err).strip().splitlines()[0]
            raise WarehouseError(f"cannot connect to the history store {self.describe()}: {first}") from err

    def _sql(self, statement: str) -> str:
        return statement if self.kind == "duckdb" else statement.replace("?", "%s")

    def _retryable(self, err: Exception) -> bool:
        if self.kind != "duckdb":
            code = getattr(err, "pgcode", None)
            return code in ("40001", "40P01")  # serialization failure, deadlock
        import duckdb

        text = str(err).lower()
        if isinstance(err, duckdb.IOException):
            return "lock" in text or ("not a valid duckdb database file" in text and self._being_created())
        return isinstance(err, duckdb.TransactionException) or "conflict" in text

    def _being_created(self) -> bool:
        """Whether the DuckDB file is one another process is creating right now: two writers that start at once
        both create it, and the second can open it before the first has written its headers. A file that is
        smaller than an empty database and was written just now; any other invalid file is refused at once."""
        try:
            stat = self.path.stat() if self.path is not None else None
        except OSError:
            return True  # gone again: the other process is starting over
        return stat is not None and stat.st_size < DUCKDB_EMPTY_FILE and time.time() - stat.st_mtime < 10.0

    def _with_retry(self, work: Callable[[Any], T]) -> T:
        """Run `work(cursor)` in one transaction; retry on lock or conflict until `lock_timeout`."""
        deadline = time.monotonic() + self.lock_timeout
        attempt = 0
        while True:
            try:
                with self._transaction() as cursor:
                    return work(cursor)
            except WarehouseError:
                raise
            except Exception as err:
                if not self._retryable(err) or time.monotonic() >= deadline:
                    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    raise WarehouseError(f"history store {self.describe()}: {first}") from err
                attempt += 1
                self.retries += 1
                pause = min(0.25, 0.01 * 2**attempt) * (0.5 + random.random())  # writes take milliseconds
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the transactions inside on one connection, opened by the first and closed on the way out.

        A trace reads the snapshot headers, six tables of them and the check outcomes: one DuckDB open
        instead of nine (an open costs tens of milliseconds; they were most of a trace's history cost on a
        1,000-model store). The file stays locked only for the block, so keep it to the reads."""
        if self._reading:
            yield
            return
        self._reading = True
        try:
            yield
        finally:
            self._reading = False
            held, self._held = self._held, None
            if held is not None:
                with suppress(Exception):
                    held.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        conn = self._held if self._held is not None else self._connect()
        if self._reading:
            self._held = conn
        done = False
        try:
            # A DuckDB cursor is a connection of its own: the transaction runs on `conn` itself.
            cursor = conn if self.kind == "duckdb" else conn.cursor()
            if self.kind == "duckdb":
                conn.execute("begin transaction")
            try:
                yield cursor
            except BaseException:
                with suppress(Exception):  # DuckDB may have aborted it already
                    conn.rollback()
                raise
            conn.commit()
            done = True
        finally:
            if not done and self._held is conn:  # a failed transaction's connection is not reused by a retry
                self._held = None
            if self._held is not conn:
                conn.close()

    # -- schema -------------------------------------------------------------------------------
    def version(self) -> int:
        """The schema version of the store (0: empty)."""

        def read(cursor: Any) -> int:
            cursor.execute(VERSION_TABLE)
            cursor.execute("select max(version) from schema_version")
            found = cursor.fetchone()
            return int(found[0]) if found and found[0] is not None else 0

        return self._with_retry(read)

    def migrate(self, to_version: int = LATEST_VERSION) -> int:
        """Apply the missing steps up to `to_version` (each its own transaction); returns the version."""
        current = self.version()
        while current < to_version:
            step = current

            def apply(cursor: Any, step: int = step) -> int:
                if self.kind == "postgres":
                    cursor.execute(f"select pg_advisory_xact_lock({_MIGRATION_LOCK})")
                cursor.execute("select max(version) from schema_version")
                found = cursor.fetchone()
                now = int(found[0]) if found and found[0] is not None else 0
                if now > step:  # another writer migrated meanwhile
                    return now
                for statement in MIGRATIONS[step]:
                    cursor.execute(statement)
                cursor.execute(
                    self._sql("insert into schema_version (version, applied_at) values (?, ?)"),
                    (step + 1, _now()),
                )
                return step + 1

            current = self._with_retry(apply)
        if to_version >= LATEST_VERSION:
            self._migrated = True
        return current

    def _ready(self) -> None:
        if not self._migrated:
            self.migrate()

    # -- writing ------------------------------------------------------------------------------
    def write_snapshot(self, snapshot: Snapshot) -> str:
        """Record a snapshot in one transaction; returns its id."""
        self._ready()
        tables = rows.snapshot_rows(snapshot)
        self._with_retry(lambda cursor: self._insert(cursor, tables))
        return snapshot.snapshot_id

    def write_outcomes(self, outcomes: Sequence[CheckOutcome]) -> int:
        """Record check outcomes (one checkpoint run) in one transaction; returns how many."""
        if not outcomes:
            return 0
        self._ready()
        tables = {"check_outcomes": [rows.outcome_row(o) for o in outcomes]}
        self._with_retry(lambda cursor: self._insert(cursor, tables))
        return len(outcomes)

    def _insert(self, cursor: Any, tables: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
        # Multi-row VALUES in chunks: DuckDB's executemany runs one statement per row (~1 ms each).
        for table, values in tables.items():
            head, _, one = INSERTS[table].partition(" values ")
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                statement = f"{head} values {', '.join([one] * len(chunk))}"
                cursor.execute(self._sql(statement), [v for row in chunk for v in row])

    # -- reading ------------------------------------------------------------------------------
    def snapshots(self, since: str | None = None) -> list[SnapshotMeta]:
        """Snapshot headers, oldest first (`since`: ISO time, inclusive)."""
        self._ready()
        where, params = ("where taken_at >= ?", (since,)) if since else ("", ())
        query = (
            "select snapshot_id, taken_at, project_dir, git_commit, manifest_checksum, selector,"
            f" budget_seconds, seconds, project_name from snapshots {where} order by taken_at, snapshot_id"
        )
        found = self._select(query, params)
        return [rows.meta_from_row(r) for r in found]

    def load(self, since: str | None = None, snapshot_ids: Sequence[str] | None = None) -> list[Snapshot]:
        """Whole snapshots, oldest first: all since `since`, or the ones named."""
        metas = self.snapshots(since)
        if snapshot_ids is not None:
            wanted = set(snapshot_ids)
            metas = [m for m in metas if m.snapshot_id in wanted]
        if not metas:
            return []
        ids = [m.snapshot_id for m in metas]
        marks = ", ".join("?" for _ in ids)

        def table(query: str) -> list[tuple[Any, ...]]:
            return self._select(query.format(marks=marks), tuple(ids))

        return rows.assemble(
            metas,
            nodes=table(
                "select snapshot_id, unique_id, resource_type, name, checksum, compiled_sql, relation"
                " from nodes where snapshot_id in ({marks})"
            ),
            columns=table(
                "select snapshot_id, unique_id, ordinal, column_name, data_type, source from relation_columns"
                " where snapshot_id in ({marks}) order by snapshot_id, unique_id, ordinal"
            ),
            relations=table(
                "select snapshot_id, unique_id, row_count, seconds, queries, skipped_reason from relations"
                " where snapshot_id in ({marks})"
            ),
            profiles=table(
                "select snapshot_id, unique_id, column_name, data_type, null_count, distinct_count, min_value,"
                " max_value, mean, histogram, top_values from profiles where snapshot_id in ({marks})"
            ),
            run_results=table(
                "select snapshot_id, unique_id, status, execution_time, rows_affected, message, completed_at"
                " from run_results where snapshot_id in ({marks})"
            ),
            freshness=table(
                "select snapshot_id, unique_id, status, max_loaded_at, snapshotted_at, age_seconds"
                " from freshness where snapshot_id in ({marks})"
            ),
        )

    def latest(self) -> Snapshot | None:
        metas = self.snapshots()
        return self.load(snapshot_ids=[metas[-1].snapshot_id])[0] if metas else None

    def outcomes(self, since: str | None = None) -> list[CheckOutcome]:
        """Check outcomes, oldest first."""
        self._ready()
        where, params = ("where run_at >= ?", (since,)) if since else ("", ())
        query = (
            "select run_at, checkpoint, suite, expectation_type, expectation_id, relation, unique_id,"
            f" column_name, success, observed, snapshot_id from check_outcomes {where}"
            " order by run_at, suite, expectation_type, column_name"
        )
        return [rows.outcome_from_row(r) for r in self._select(query, params)]

    def _select(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        def run(cursor: Any) -> list[tuple[Any, ...]]:
            cursor.execute(self._sql(query), params)
            return [tuple(r) for r in cursor.fetchall()]

        return self._with_retry(run)


def open_store(
    history: str | None = None,
    project_dir: str | Path | None = None,
    create: bool = True,
    lock_timeout: float = 60.0,
    environ: Mapping[str, str] | None = None,
) -> HistoryStore:
    """The store named by `history` / `$HEADWATER_HISTORY` / the project default (see `store_url`).

    With `create=False` a DuckDB store that does not exist yet is a ConfigError (nothing recorded).
    """
    url = store_url(history, project_dir, environ)
    scheme = url.split("://", 1)[0].lower()
    if scheme == "duckdb":
        raw = url.split("://", 1)[1]
        raw = raw[1:] if raw.startswith("/") else raw  # duckdb:///rel, duckdb:////abs
        path = Path(raw)
        if not create and not path.is_file():
            raise ConfigError(
                f"no history store at {path}; run `headwater snapshot` (or a checkpoint with headwater's"
                " trace action) first, or pass --history URL"
            )
        return HistoryStore(url, "duckdb", path, lock_timeout)
    if scheme in ("postgres", "postgresql"):
        return HistoryStore(url.replace("postgres://", "postgresql://", 1), "postgres", None, lock_timeout)
    raise ConfigError(
        f"--history {url!r} has an unsupported scheme {scheme!r}; use a DuckDB path, duckdb:///file"
        " or postgresql://user@host/db"
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
