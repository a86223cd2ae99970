"""`headwater snapshot` on a built copy of the example: the numbers it records are the warehouse's own
(each checked against a query run here), it keeps to its budget, and the timeline sees what changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pytest

from headwater.example.build import database_path
from headwater.history.compare import (
    CodeChanged,
    ColumnAdded,
    RowCountChanged,
    code_diff,
    schema_diff,
    volume_diff,
)
from headwater.history.snapshot import SnapshotOptions, record_snapshot, take_snapshot
from headwater.history.store import open_store
from headwater.history.timeline import resolve_target, timeline

pytestmark = pytest.mark.slow

PAYMENTS = "source.headwater_example.shop.payments"
CUSTOMERS = "source.headwater_example.shop.customers"
FRAUD = "model.headwater_example.mart_fraud_features"


def scalar(project: Path, sql: str) -> object:
    with duckdb.connect(str(database_path(project)), read_only=True) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_snapshot_records_the_warehouse_numbers(built_example: Path) -> None:
    report = record_snapshot(SnapshotOptions(project_dir=built_example))
    snap = report.snapshot
    assert not snap.skipped
    kinds = {n.resource_type for n in snap.nodes}
    assert kinds == {"source", "seed", "model"}
    profiled = snap.profile_map()
    # every source, seed and model with a relation; the ephemeral model has none
    assert "model.headwater_example.int_successful_payments" not in profiled
    ephemeral = snap.node_map()["model.headwater_example.int_successful_payments"]
    assert ephemeral.relation is None and ephemeral.compiled_sql
    assert len(profiled) == sum(1 for n in snap.nodes if n.relation)
    # row counts and null counts are what the warehouse says
    for uid, relation in ((PAYMENTS, "raw.payments"), (FRAUD, "marts.mart_fraud_features")):
        assert profiled[uid].row_count == scalar(built_example, f"select count(*) from {relation}")
    fct = profiled["model.headwater_example.fct_orders"]
    region = fct.column("customer_region")
    assert region is not None
    assert region.null_count == scalar(built_example, "select count(*) - count(customer_region) from marts.fct_orders")
    # a known column's type, as the warehouse has it now, in column order
    payments = snap.schema_map()[PAYMENTS]
    assert payments.source == "information_schema"
    assert payments.by_name()["amount"].data_type == "DECIMAL(12,2)"
    assert [c.position for c in payments.columns] == list(range(1, len(payments.columns) + 1))
    # numbers: min / max / mean exact, 11 quantile edges from min to max
    amount = profiled[PAYMENTS].column("amount")
    assert amount is not None and amount.min_value is not None and amount.max_value is not None
    low, high, mean = (
        scalar(built_example, f"select {f}(amount) from raw.payments") for f in ("min", "max", "avg")
    )
    assert (float(amount.min_value), float(amount.max_value)) == (float(low), float(high))  # type: ignore[arg-type]
    assert amount.mean == pytest.approx(float(mean), rel=1e-9)  # type: ignore[arg-type]
    assert len(amount.histogram) == 11 and amount.histogram[0] == float(low)  # type: ignore[arg-type]
    assert list(amount.histogram) == sorted(amount.histogram)
    # categories: the top values and their shares are those of a GROUP BY
    method = profiled[PAYMENTS].column("payment_method")
    assert method is not None
    with duckdb.connect(str(database_path(built_example)), read_only=True) as conn:
        expected = conn.execute(
            "select payment_method, count(*) from raw.payments group by 1 order by 2 desc, 1 limit 10"
        ).fetchall()
    assert [(t.value, t.count) for t in method.top_values] == expected
    assert sum(t.share for t in method.top_values) == pytest.approx(1.0, abs=1e-4)
    assert profiled[PAYMENTS].queries == 2  # one scan for the scalars, one for the top values
    # the run's results and the manifest
    results = {r.unique_id: r for r in snap.run_results}
    assert results[FRAUD].status == "success" and results[FRAUD].execution_time > 0
    raw = (built_example / "target" / "manifest.json").read_bytes()
    import hashlib

    assert snap.meta.manifest_checksum == hashlib.sha256(raw).hexdigest()
    assert snap.meta.git_commit is None  # a temporary folder is no git repository
    assert snap.meta.project_name == "headwater_example"
    # what was written is what is read back
    stored = open_store(project_dir=built_example).load()
    assert stored == [snap]
    assert (built_example / ".headwater" / "history.duckdb").is_file()


def test_budget_and_selector_and_missing_catalog(built_example: Path) -> None:
    spent = take_snapshot(SnapshotOptions(project_dir=built_example, budget_seconds=0))[0]
    assert not spent.profiles
    assert len(spent.skipped) == sum(1 for n in spent.nodes if n.relation)
    assert all(s.reason.startswith("budget:") for s in spent.skipped)
    # the catalog lacks a relation: no matter, the schema is read from information_schema
    catalog_path = built_example / "target" / "catalog.json"
    catalog = orjson.loads(catalog_path.read_bytes())
    del catalog["sources"][CUSTOMERS]
    catalog_path.write_bytes(orjson.dumps(catalog))
    snap, queries = take_snapshot(SnapshotOptions(project_dir=built_example, selector="source:shop.customers"))
    assert [p.unique_id for p in snap.profiles] == [CUSTOMERS]
    schemas = snap.schema_map()
    assert schemas[CUSTOMERS].source == "information_schema"
    assert schemas[CUSTOMERS].by_name()["customer_id"].data_type == "INTEGER"
    assert schemas[FRAUD].source == "catalog"  # not profiled: as the catalog says
    assert queries == 3  # information_schema, the scalar scan, the top values
    # without the warehouse: the catalog only, and the relation it lacks has no schema
    offline, none = take_snapshot(SnapshotOptions(project_dir=built_example, profile=False))
    assert none == 0 and not offline.profiles and CUSTOMERS not in offline.schema_map()


def headwater(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from headwater.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)


def test_cli_prints_one_line(built_example: Path) -> None:
    done = headwater("snapshot", "--project-dir", str(built_example))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("snapshot ") and " 24 nodes, 23 relations profiled, " in lines[0]
    bad = headwater("snapshot", "--project-dir", str(built_example), "--select", "nope_not_a_model")
    assert bad.returncode == 2 and bad.stderr.startswith("Error: selector 'nope_not_a_model' matches nothing")


def test_timeline_sees_schema_code_and_volume_changes(built_example: Path) -> None:
    first = record_snapshot(SnapshotOptions(project_dir=built_example, selector="source:shop")).snapshot
    # Change the private copy: a column added, rows deleted at the source, a model's code edited.
    with duckdb.connect(str(database_path(built_example))) as conn:
        conn.execute("alter table raw.customers add column loyalty_tier varchar")
        conn.execute("delete from raw.payments where payment_id % 10 = 0")
    manifest_path = built_example / "target" / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    manifest["nodes"]["model.headwater_example.stg_payments"]["checksum"]["checksum"] = "0" * 64
    manifest_path.write_bytes(orjson.dumps(manifest))
    second = record_snapshot(SnapshotOptions(project_dir=built_example, selector="source:shop")).snapshot

    # the catalog was not regenerated, but the schema is the warehouse's: the added column shows
    assert schema_diff(first, second) == (ColumnAdded(CUSTOMERS, "loyalty_tier", "VARCHAR"),)
    assert [type(c) for c in code_diff(first, second)] == [CodeChanged]
    before = first.profile_map()[PAYMENTS].row_count
    after = scalar(built_example, "select count(*) from raw.payments")
    volume = volume_diff(first, second)
    assert volume == (RowCountChanged(PAYMENTS, before, after),)  # type: ignore[arg-type]
    assert volume[0].ratio == pytest.approx(0.9, abs=0.01)
    tier = second.profile_map()[CUSTOMERS].column("loyalty_tier")
    assert tier is not None and tier.null_count == second.profile_map()[CUSTOMERS].row_count

    store = open_store(project_dir=built_example)
    snapshots, outcomes = store.load(), store.outcomes()
    events = timeline(snapshots, outcomes)
    kinds = [e.kind for e in events]
    assert kinds.count("snapshot") == 2 and {"code", "volume", "schema"} <= set(kinds)
    assert [e.at for e in events] == sorted(e.at for e in events)
    target = resolve_target("shop.customers.loyalty_tier", snapshots, outcomes)
    assert (target.unique_id, target.column) == (CUSTOMERS, "loyalty_tier")
    about = [e for e in timeline(snapshots, outcomes, target) if e.kind != "snapshot"]
    assert [(e.kind, e.summary) for e in about] == [("schema", "column loyalty_tier added (VARCHAR)")]
    done = headwater("timeline", "payments", "--project-dir", str(built_example), "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = orjson.loads(done.stdout)
    assert {"snapshot", "volume"} <= {e["kind"] for e in listed}
    assert next(e for e in listed if e["kind"] == "volume")["detail"]["type"] == "RowCountChanged"
