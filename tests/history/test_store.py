"""The history store: round trip, forward migration from an older schema, concurrent writers (threads and
processes) that lose nothing, and the same on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.errors import ConfigError, WarehouseError
from headwater.history.schema import LATEST_VERSION
from headwater.history.store import HistoryStore, open_store, store_url
from tests.history.factories import make_outcome, make_snapshot

REPO = Path(__file__).resolve().parents[2]


def test_default_location_and_urls(tmp_path: Path) -> None:
    assert store_url(None, tmp_path, environ={}) == f"duckdb:///{tmp_path}/.headwater/history.duckdb"
    assert store_url(None, tmp_path, environ={"HEADWATER_HISTORY": "postgresql://u@h/db"}) == "postgresql://u@h/db"
    assert store_url("/x/h.duckdb", tmp_path, environ={}) == "duckdb:////x/h.duckdb"
    store = open_store(None, tmp_path, environ={})
    assert store.path == tmp_path / ".headwater" / "history.duckdb"
    with pytest.raises(ConfigError, match="no history store at"):
        open_store(None, tmp_path, create=False, environ={})
    with pytest.raises(ConfigError, match="unsupported scheme 'mysql'"):
        open_store("mysql://u@h/db", tmp_path)


def test_round_trip(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.duckdb"))
    snap = make_snapshot("s1")
    store.write_snapshot(snap)
    store.write_outcomes([make_outcome("2026-12-01T10:01:00+00:00", True, snapshot_id="s1")])
    assert store.load() == [snap]
    assert store.latest() == snap
    assert [o.success for o in store.outcomes()] == [True]
    assert store.version() == LATEST_VERSION


def test_migrates_forward_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = HistoryStore(f"duckdb:///{path}", "duckdb", path)
    assert old.migrate(to_version=1) == 1
    # what a v1 headwater wrote: no selector column, no check_outcomes table yet
    import duckdb

    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "insert into snapshots values ('old1', '2026-11-01T00:00:00+00:00', '/p', null, 'm', 60, 1.0)"
        )
        conn.execute("insert into relations values ('old1', 'model.shop.orders', 42, 0.1, 2, null)")
        assert "check_outcomes" not in {r[0] for r in conn.execute("show tables").fetchall()}
    store = open_store(str(path))
    (loaded,) = store.load()
    assert loaded.meta.snapshot_id == "old1" and loaded.meta.selector is None and loaded.meta.project_name == ""
    assert loaded.profile_map()["model.shop.orders"].row_count == 42
    assert store.version() == LATEST_VERSION
    store.write_outcomes([make_outcome("2026-12-01T10:00:00+00:00", False)])
    with duckdb.connect(str(path)) as conn:
        versions = [r[0] for r in conn.execute("select version from schema_version order by 1").fetchall()]
    assert versions == list(range(1, LATEST_VERSION + 1))


def _write_many(store: HistoryStore, prefix: str, count: int) -> None:
    for i in range(count):
        store.write_snapshot(make_snapshot(f"{prefix}-{i:03d}", taken_at=f"2026-12-01T10:{i:02d}:00+00:00"))
        store.write_outcomes([make_outcome(f"2026-12-01T10:{i:02d}:30+00:00", True, snapshot_id=f"{prefix}-{i:03d}")])


def test_two_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    url = str(tmp_path / "h.duckdb")
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            _write_many(open_store(url), prefix, 15)  # each thread opens (and migrates) the new store
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store = open_store(url)
    assert len(store.snapshots()) == 30 and len(store.outcomes()) == 30
    assert all(len(s.profiles[0].columns) == 3 for s in store.load())


WRITER = """
import sys
sys.path.insert(0, sys.argv[3])
from headwater.history.store import open_store
from tests.history.test_store import _write_many
store = open_store(sys.argv[1])
_write_many(store, sys.argv[2], 12)
print(store.retries)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """DuckDB lets one process hold the file: each writer retries on the lock with a bounded backoff."""
    url = str(tmp_path / "h.duckdb")
    script = textwrap.dedent(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, p, str(REPO)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for p in ("p", "q")
    ]
    retries = 0
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        retries += int(out.split()[-1])
    print(f"lock retries: {retries}")
    store = open_store(url)
    ids = [m.snapshot_id for m in store.snapshots()]
    assert sorted(ids) == sorted([f"p-{i:03d}" for i in range(12)] + [f"q-{i:03d}" for i in range(12)])
    assert len(store.outcomes()) == 24


def test_a_file_another_writer_is_still_creating_is_waited_for(tmp_path: Path) -> None:
    """Two writers that start at once both create the file: the second can find it before DuckDB has written
    its headers ("not a valid DuckDB database file") and must wait for it, as for the lock."""
    import duckdb

    path = tmp_path / "h.duckdb"
    path.write_bytes(b"\0" * 100)  # what the second writer finds: a file in creation

    def finish_creating() -> None:
        time.sleep(0.3)
        path.unlink()
        duckdb.connect(str(path)).close()

    creator = threading.Thread(target=finish_creating)
    creator.start()
    store = open_store(str(path))
    store.write_snapshot(make_snapshot("s1"))
    creator.join()
    assert store.retries > 0
    assert [m.snapshot_id for m in store.snapshots()] == ["s1"]


def test_a_file_that_is_no_duckdb_database_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    path.write_bytes(b"\0" * 100)
    os.utime(path, (time.time() - 60, time.time() - 60))  # written a minute ago: nobody is creating it
    store = open_store(str(path))
    started = time.monotonic()
    with pytest.raises(WarehouseError, match="not a valid DuckDB database file"):
        store.write_snapshot(make_snapshot("s1"))
    assert time.monotonic() - started < 5 and store.retries == 0


# -- PostgreSQL --------------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    from tests.warehouse.pg_admin import admin_connection

    try:
        conn, user = admin_connection()
    except pytest.skip.Exception:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL answers on 127.0.0.1:5432")
        raise
    name = f"hw_history_{uuid.uuid4().hex[:10]}"
    with conn.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        yield f"postgresql://{user}@127.0.0.1:5432/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f'drop database "{name}" with (force)')
        conn.close()


@pytest.mark.postgres
def test_postgres_store(pg_url: str) -> None:
    store = open_store(pg_url)
    assert store.kind == "postgres"
    snap = make_snapshot("pg1")
    store.write_snapshot(snap)
    assert store.load() == [snap]
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            _write_many(open_store(pg_url), prefix, 8)
        except BaseException as err:  # pragma: no cover
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.snapshots()) == 17 and len(store.outcomes()) == 16
    assert store.version() == LATEST_VERSION
    assert store.snapshots(since="2026-12-01T10:05:00+00:00")[0].snapshot_id in ("a-005", "b-005")


@pytest.mark.postgres
def test_postgres_profile_queries(pg_url: str) -> None:
    """The profile SQL in the postgres dialect (count(distinct), percentile_cont, GROUPING SETS) on real rows."""
    import psycopg2

    from headwater.dbt import Node
    from headwater.history.snapshot import _live_schema, live_schemas, profile_relation
    from headwater.warehouse import connect, from_url

    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("create schema shop")
        cur.execute("create table shop.pay (id int, amount numeric(10, 2), method text, ok boolean, at timestamp)")
        cur.execute(
            "insert into shop.pay select i, i * 1.5, case when i % 4 = 0 then 'card' when i % 4 = 1 then 'cash'"
            " else null end, i % 2 = 0, timestamp '2026-01-01' + i * interval '1 hour' from generate_series(1, 100) i"
        )
    node = Node("source.p.shop.pay", "source", "pay", database=pg_url.rsplit("/", 1)[1], schema="shop",
                identifier="pay", relation_name='"shop"."pay"')  # fmt: skip
    with connect(from_url(pg_url)) as wh:
        schema = _live_schema(wh, node)
        live = live_schemas(wh, [node])[node.unique_id]  # one query for all relations: the same columns
        assert [(c.name, c.data_type.upper()) for c in live.columns] == [(c.name, c.data_type) for c in schema.columns]
        profile = profile_relation(wh, node, schema)
    assert [c.data_type for c in schema.columns][:3] == ["INTEGER", "NUMERIC", "TEXT"]
    assert profile.row_count == 100 and profile.queries == 2
    amount, method, ok = (profile.column(c) for c in ("amount", "method", "ok"))
    assert amount is not None and method is not None and ok is not None
    assert (amount.min_value, amount.max_value) == ("1.50", "150.00") and amount.mean == pytest.approx(75.75)
    assert amount.histogram[0] == 1.5 and amount.histogram[5] == pytest.approx(75.75) and len(amount.histogram) == 11
    assert method.null_count == 50 and method.distinct_count == 2
    assert [(t.value, t.count) for t in method.top_values] == [(None, 50), ("card", 25), ("cash", 25)]
    assert {(t.value, t.share) for t in ok.top_values} == {("true", 0.5), ("false", 0.5)}


def test_timeline_cli_text(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "h.duckdb"))
    store.write_snapshot(make_snapshot("s1", "2026-12-01T10:00:00.000000+00:00"))
    store.write_snapshot(make_snapshot("s2", "2026-12-02T10:00:00.000000+00:00", rows=50, amount_type="DECIMAL(5,2)"))
    store.write_outcomes([make_outcome("2026-12-01T11:00:00.000000+00:00", True)])
    store.write_outcomes([make_outcome("2026-12-02T11:00:00.000000+00:00", False)])
    code = "from headwater.cli import main; main()"

    def headwater(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)

    done = headwater("timeline", "orders.amount", "--history", str(tmp_path / "h.duckdb"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["snapshot", "check", "snapshot", "schema", "volume", "check"]
    assert lines[1].endswith("[last good]") and lines[-1].endswith("[first bad]") and " ✗ " in lines[-1]
    assert "column amount retyped DECIMAL(12,2) -> DECIMAL(5,2)" in lines[3]
    since = headwater("timeline", "--since", "2026-12-02", "--history", str(tmp_path / "h.duckdb"))
    assert since.returncode == 0 and "s1" not in since.stdout and "s2" in since.stdout
    bad = headwater("timeline", "--since", "yesterday", "--history", str(tmp_path / "h.duckdb"))
    assert bad.returncode == 2 and "is not an ISO date/time" in bad.stderr
    missing = headwater("timeline", "--project-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no history store at" in missing.stderr
