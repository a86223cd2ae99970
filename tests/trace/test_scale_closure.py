"""A trace analyses the lineage of the failing node's upstream closure only: on a small generated project of
independent chains (real DuckDB tables, no dbt build), tracing a failure in one chain analyses that chain's
models and no other. This is what keeps `headwater trace` on a 1,000-model project near its start-up cost
(bench/trace/scale_1000.py measures it); timing itself is never asserted here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

import headwater.lineage
from headwater.lineage import LineageGraph
from headwater.trace import trace

PROJECT = "chains"
CHAINS = 4
FAULTED = 2  # the chain whose middle model nulls a quarter of the emails
LAYERS = ("stg", "int", "mart")


def _uid(layer: str, chain: int) -> str:
    return f"model.{PROJECT}.{layer}_c{chain}"


SOURCE = f"source.{PROJECT}.raw.customers"


def _sql(layer: str, chain: int) -> str:
    if layer == "stg":
        return 'select id, lower(email) as email from "warehouse"."raw"."customers"'
    parent = f'"warehouse"."main"."{LAYERS[LAYERS.index(layer) - 1]}_c{chain}"'
    if layer == "int" and chain == FAULTED:
        return f"select id, case when id % 4 = 0 then null else email end as email from {parent}"
    return f"select id, email from {parent}"


def _project(root: Path) -> Path:
    """manifest.json + catalog.json of CHAINS chains stg -> int -> mart over one shared source, and the
    DuckDB file holding every relation, built from the same SQL."""
    database = root / "warehouse.duckdb"
    nodes: dict[str, Any] = {}
    catalog: dict[str, Any] = {}
    columns = {
        "id": {"name": "id", "type": "INTEGER", "index": 1},
        "email": {"name": "email", "type": "VARCHAR", "index": 2},
    }
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.customers as select i as id, 'U' || i || '@X.COM' as email from range(40) t(i)")
        for chain in range(CHAINS):
            for i, layer in enumerate(LAYERS):
                uid, name, sql = _uid(layer, chain), f"{layer}_c{chain}", _sql(layer, chain)
                con.execute(f'create table main."{name}" as {sql}')
                nodes[uid] = {
                    "unique_id": uid, "resource_type": "model", "name": name, "package_name": PROJECT,
                    "original_file_path": f"models/{name}.sql", "path": f"{name}.sql",
                    "database": "warehouse", "schema": "main", "alias": name,
                    "relation_name": f'"warehouse"."main"."{name}"', "language": "sql",
                    "raw_code": sql, "compiled_code": sql, "checksum": {"name": "sha256", "checksum": name},
                    "depends_on": {"nodes": [SOURCE if i == 0 else _uid(LAYERS[i - 1], chain)]},
                    "config": {"materialized": "table"}, "columns": {},
                }  # fmt: skip
                catalog[uid] = {"metadata": {"type": "BASE TABLE"}, "columns": columns}
    sources = {
        SOURCE: {
            "unique_id": SOURCE, "resource_type": "source", "name": "customers", "source_name": "raw",
            "package_name": PROJECT, "original_file_path": "models/sources.yml", "database": "warehouse",
            "schema": "raw", "identifier": "customers", "relation_name": '"warehouse"."raw"."customers"',
            "columns": {}, "depends_on": {"nodes": []},
        }
    }  # fmt: skip
    target = root / "target"
    target.mkdir()
    metadata = {
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "dbt_version": "1.9.0",
        "adapter_type": "duckdb",
        "project_name": PROJECT,
    }
    manifest = {"metadata": metadata, "nodes": nodes, "sources": sources, "exposures": {}}
    (target / "manifest.json").write_bytes(orjson.dumps(manifest))
    (target / "catalog.json").write_bytes(
        orjson.dumps({"metadata": {}, "nodes": catalog, "sources": {SOURCE: {"metadata": {}, "columns": columns}}})
    )
    return database


def test_a_trace_analyses_only_the_failing_nodes_upstream_closure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _project(tmp_path)
    built: list[LineageGraph] = []
    real = headwater.lineage.build_lineage

    def spy(*args: Any, **kwargs: Any) -> LineageGraph:
        graph = real(*args, **kwargs)
        built.append(graph)
        return graph

    monkeypatch.setattr(headwater.lineage, "build_lineage", spy)
    result = trace(
        node=f"mart_c{FAULTED}",
        column="email",
        check="not_null",
        project_dir=tmp_path,
        warehouse=f"duckdb:///{database}",
        use_history=False,
    )
    (failure,) = result.failures
    assert failure.verdict.value == "traced"
    assert failure.top is not None and failure.top.node == _uid("int", FAULTED)
    (graph,) = built
    chain = {_uid(layer, FAULTED) for layer in LAYERS}
    assert set(graph.raw) == chain  # the other chains' models were not analysed
    assert graph.cache_misses == len(chain)
    # and the walk never probed another chain's relation
    assert {step.node for step in failure.path} <= chain | {SOURCE}


def test_the_history_is_read_on_one_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A trace reads the snapshots, their tables and the outcomes inside `reading()`: one open of the store
    (an open was most of a trace's history cost), the same data as connection by connection, and the file
    closed again at the end (a snapshot can write to it)."""
    from headwater.history.store import HistoryStore, open_store
    from tests.history.factories import make_outcome, make_snapshot

    store = open_store(str(tmp_path / "h.duckdb"))
    store.write_snapshot(make_snapshot("s1"))
    store.write_outcomes([make_outcome("2026-12-01T10:05:00.000000+00:00", False, snapshot_id="s1")])
    alone = (store.load(), store.outcomes())
    fresh = open_store(str(tmp_path / "h.duckdb"), create=False)  # as a trace opens it: schema version read too
    opened: list[object] = []
    real = HistoryStore._connect

    def counting(self: HistoryStore) -> object:
        opened.append(self)
        return real(self)

    monkeypatch.setattr(HistoryStore, "_connect", counting)
    with fresh.reading():
        together = (fresh.load(), fresh.outcomes())
    assert len(opened) == 1
    assert together == alone
    assert len(together[0]) == 1 and len(together[1]) == 1
    store.write_snapshot(make_snapshot("s2", taken_at="2026-12-02T10:00:00.000000+00:00"))  # not locked
    assert [s.snapshot_id for s in store.load()] == ["s1", "s2"]
