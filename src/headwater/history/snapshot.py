"""Record one run of a dbt project: manifest, code, schemas, run results, freshness and column profiles.

`take_snapshot(options)` reads the artifacts (target/) and profiles the selected relations in the
warehouse (read-only, through `headwater.warehouse`, within `budget_seconds`); `record_snapshot` also
writes it to the history store. Relations the budget did not reach are listed in `Snapshot.skipped`.

Schemas: the columns the warehouse has now (information_schema, one query for every profiled schema)
for the relations found there, catalog.json for the others (and for all with `profile=False`): a catalog
is only as recent as the last `dbt docs generate`, and a stale one would hide a column change.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlglot import exp

from headwater.dbt import Artifacts, Manifest, Node, RunResults, load_artifacts
from headwater.errors import ConfigError
from headwater.history.model import (
    ColumnSchema,
    FreshnessState,
    NodeState,
    RelationProfile,
    RelationSchema,
    RunResultState,
    Skipped,
    Snapshot,
    SnapshotMeta,
)
from headwater.history.profile import (
    categorical,
    read_scalar,
    read_top_values,
    scalar_query,
    top_values_query,
)
from headwater.warehouse import ProbeError, Warehouse, WarehouseConfig, connect, from_profile, from_url
from headwater.warehouse.connection import name_condition, one_relation

DEFAULT_BUDGET_SECONDS = 60.0
PROFILED_TYPES = frozenset({"source", "seed", "model", "snapshot"})


@dataclass(frozen=True)
class SnapshotOptions:
    project_dir: Path = field(default_factory=Path)
    profiles_dir: Path | None = None
    target: str | None = None
    target_path: Path | None = None
    selector: str | None = None
    warehouse_url: str | None = None  # instead of the dbt profile
    history: str | None = None  # store URL (default: see headwater.history.store.store_url)
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    profile: bool = True  # False: artifacts only, no warehouse query


@dataclass(frozen=True)
class SnapshotReport:
    snapshot: Snapshot
    store: str
    queries: int
    seconds: float

    def line(self) -> str:
        """The one line `headwater snapshot` prints."""
        snap = self.snapshot
        skipped = f", {len(snap.skipped)} skipped" if snap.skipped else ""
        return (
            f"snapshot {snap.snapshot_id}: {len(snap.nodes)} nodes, {len(snap.profiles)} relations profiled"
            f"{skipped}, {self.seconds:.2f} s -> {self.store}"
        )


def record_snapshot(options: SnapshotOptions) -> SnapshotReport:
    """Take a snapshot and write it to the history store (one transaction)."""
    from headwater.history.store import open_store

    store = open_store(options.history, options.project_dir)
    started = time.perf_counter()
    store.migrate()  # an unreachable store fails now, before the warehouse is scanned
    snapshot, queries = take_snapshot(options)
    store.write_snapshot(snapshot)
    seconds = time.perf_counter() - started  # the `snapshot` event feeds JSON logs, metrics and spans (headwater.feeds)
    logging.getLogger(__name__).info("snapshot in %.3f s", seconds, extra={"event": "snapshot", "seconds": seconds})
    return SnapshotReport(snapshot, store.describe(), queries, seconds)


def take_snapshot(options: SnapshotOptions) -> tuple[Snapshot, int]:
    """(the snapshot, warehouse queries it sent). Writes nothing."""
    started = time.perf_counter()
    taken = dt.datetime.now(dt.UTC)
    artifacts = load_artifacts(
        project_dir=options.project_dir, target_path=options.target_path, require_compiled=False, include_tests=False
    )
    manifest = artifacts.manifest
    assert artifacts.manifest_path is not None
    checksum = hashlib.sha256(artifacts.manifest_path.read_bytes()).hexdigest()
    relations = list(_relational(manifest))
    selected = select_relations(manifest, relations, options.selector)
    schemas = catalog_schemas(artifacts, relations)
    profiles: list[RelationProfile] = []
    skipped: list[Skipped] = []
    queries = 0
    if options.profile and selected:
        with connect(_warehouse_config(options)) as warehouse:
            profiles, skipped, live = profile_relations(warehouse, selected, schemas, options.budget_seconds, started)
            schemas.update(live)
            queries = len(warehouse.probes)
    meta = SnapshotMeta(
        snapshot_id=f"{taken:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}",
        taken_at=taken.isoformat(timespec="microseconds"),
        project_dir=str(options.project_dir.resolve()),
        git_commit=git_commit(options.project_dir),
        manifest_checksum=checksum,
        selector=options.selector,
        budget_seconds=options.budget_seconds,
        seconds=round(time.perf_counter() - started, 4),
        project_name=manifest.metadata.project_name,
    )
    snapshot = Snapshot(
        meta=meta,
        nodes=node_states(manifest),
        schemas=tuple(schemas[k] for k in sorted(schemas)),
        profiles=tuple(sorted(profiles, key=lambda p: p.unique_id)),
        run_results=run_result_states(artifacts.run_results),
        freshness=freshness_states(artifacts),
        skipped=tuple(skipped),
    )
    return snapshot, queries


# -- artifacts -> state (pure) ----------------------------------------------------------------
def _relational(manifest: Manifest) -> Iterable[Node]:
    for node in (*manifest.sources.values(), *manifest.nodes.values()):
        if node.resource_type in PROFILED_TYPES and not node.is_ephemeral and node.identifier and node.relation_name:
            yield node


def relation_of(node: Node) -> str | None:
    if node.is_ephemeral or not node.identifier or not node.relation_name:
        return None
    return ".".join(p for p in (node.schema, node.identifier) if p)


def node_states(manifest: Manifest) -> tuple[NodeState, ...]:
    nodes = [*manifest.sources.values(), *manifest.nodes.values()]
    states = (
        NodeState(n.unique_id, n.resource_type, n.name, n.checksum, n.compiled_code, relation_of(n)) for n in nodes
    )
    return tuple(sorted(states, key=lambda n: n.unique_id))


def select_relations(manifest: Manifest, relations: Sequence[Node], selector: str | None) -> list[Node]:
    """The relations to profile, parents before children: all of them, or those `selector` picks."""
    chosen = list(relations)
    if selector:
        from headwater.dbt import TableGraph  # networkx: only when there is a selector to resolve

        picked = TableGraph(manifest).select(selector)
        chosen = [n for n in relations if n.unique_id in picked]
        if not chosen:
            raise ConfigError(f"--select {selector!r} picks no source, seed or model with a relation to profile")
    depth = _depths(manifest)
    return sorted(chosen, key=lambda n: (depth.get(n.unique_id, 0), n.unique_id))


def _depths(manifest: Manifest) -> dict[str, int]:
    """Longest path from a source to each node (sources and seeds: 0), without building a graph."""
    known = manifest.nodes.keys() | manifest.sources.keys()
    parents = {uid: [p for p in node.depends_on if p in known] for uid, node in manifest.nodes.items()}
    depth: dict[str, int] = {}
    for start in parents:
        stack = [start]
        while stack:
            uid = stack[-1]
            todo = [p for p in parents.get(uid, ()) if p not in depth and p not in stack]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            depth[uid] = 1 + max((depth.get(p, 0) for p in parents.get(uid, ())), default=-1)
    return depth


def catalog_schemas(artifacts: Artifacts, relations: Sequence[Node]) -> dict[str, RelationSchema]:
    """Columns of every relation the catalog lists (catalog.json), by unique_id."""
    out: dict[str, RelationSchema] = {}
    if artifacts.catalog is None:
        return out
    for node in relations:
        types = artifacts.catalog.column_types(node.unique_id)
        if types:
            columns = tuple(ColumnSchema(name, dtype, i + 1) for i, (name, dtype) in enumerate(types))
            out[node.unique_id] = RelationSchema(node.unique_id, columns, "catalog")
    return out


def run_result_states(run_results: RunResults | None) -> tuple[RunResultState, ...]:
    """run_results.json rows (read once, with the artifacts): status, timing, rows affected."""
    if run_results is None:
        return ()
    return tuple(
        RunResultState(r.unique_id, r.status, r.execution_time, r.rows_affected, r.message, r.completed_at)
        for _, r in sorted(run_results.results.items())
    )


def freshness_states(artifacts: Artifacts) -> tuple[FreshnessState, ...]:
    if artifacts.sources is None:
        return ()
    return tuple(s for _, s in sorted(artifacts.sources.results.items()))  # dbt's own SourceFreshness rows


# -- the edges: files, git, warehouse ---------------------------------------------------------
def git_commit(directory: Path) -> str | None:
    """HEAD of the git repository holding `directory`, or None (not a repository, no git)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _warehouse_config(options: SnapshotOptions) -> WarehouseConfig:
    timeout = max(1.0, options.budget_seconds)  # no single statement may outlast the budget
    if options.warehouse_url:
        return from_url(options.warehouse_url, timeout_seconds=timeout)
    return from_profile(options.project_dir, options.profiles_dir, options.target, timeout_seconds=timeout)


def profile_relations(
    warehouse: Warehouse,
    relations: Sequence[Node],
    schemas: Mapping[str, RelationSchema],
    budget_seconds: float,
    started: float,
) -> tuple[list[RelationProfile], list[Skipped], dict[str, RelationSchema]]:
    """Profile each relation in turn until the budget is spent. Returns (profiles, skipped, schemas read
    from information_schema). The live schemas come first, in one query: catalog.json is only as recent
    as the last `dbt docs generate`, and a profile must see the columns there are now."""
    profiles: list[RelationProfile] = []
    skipped: list[Skipped] = []
    live: dict[str, RelationSchema] | None = None
    spark = warehouse.config.kind == "spark"
    if not spark:  # Spark has no information_schema: each table's plan, below
        try:
            live = live_schemas(warehouse, relations)
        except ProbeError:
            live = None  # no information_schema: the catalog, then one lookup per relation
    found: dict[str, RelationSchema] = dict(live or {})
    for node in relations:
        spent = time.perf_counter() - started
        if spent >= budget_seconds:
            skipped.append(Skipped(node.unique_id, f"budget: {spent:.1f} s of {budget_seconds:g} s spent"))
            continue
        # No statement may outlast what is left of the budget (DuckDB's timer reads the config per query).
        warehouse.config = replace(warehouse.config, timeout_seconds=max(0.5, budget_seconds - spent))
        # On Spark the table's own schema (no job), not catalog.json: the manifest may come from another
        # adapter (dbt-duckdb), whose catalog spells the types in its dialect, not the warehouse's.
        schema = found.get(node.unique_id) or (schemas.get(node.unique_id) if not spark else None)
        try:
            if schema is None:
                if live is not None:
                    raise ProbeError(f"{relation_of(node)} is not in the warehouse", warehouse.probes[-1])
                schema = found[node.unique_id] = _live_schema(warehouse, node)
            profiles.append(profile_relation(warehouse, node, schema))
        except ProbeError as err:
            spent = time.perf_counter() - started
            over = spent >= budget_seconds
            reason = f"budget: interrupted at {spent:.1f} s of {budget_seconds:g} s" if over else f"query failed: {err}"
            skipped.append(Skipped(node.unique_id, reason))
    return profiles, skipped, found


def live_schemas(warehouse: Warehouse, relations: Sequence[Node]) -> dict[str, RelationSchema]:
    """Columns of `relations` from information_schema.columns, one query for all of them. Each relation is the
    one table its name means (`headwater.warehouse.connection.name_condition`): on PostgreSQL a quoted
    `"Orders"` is not `orders`, on DuckDB names differ only beyond ASCII case."""
    folds = warehouse.config.kind == "duckdb"
    wanted = sorted({n.schema or "" for n in relations})
    in_schemas = functools.reduce(exp.or_, (name_condition("table_schema", w, folds) for w in wanted))
    query = (
        exp.select("table_catalog", "table_schema", "table_name", "column_name", "data_type", "ordinal_position")
        .from_(exp.table_("columns", db="information_schema"))
        .where(in_schemas)
        .order_by("table_catalog", "table_schema", "table_name", "ordinal_position")
    )
    rows = warehouse.query(query, purpose="schema", relation="information_schema.columns").rows
    by_relation: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for catalog, schema, table, column, dtype, _ in rows:
        by_relation.setdefault((str(schema), str(table)), []).append((str(catalog), str(column), str(dtype)))
    named = [(s, t) for s, t in by_relation]
    out = {}
    for node in relations:
        # (schema, table) pairs as rows for `one_relation`, which keeps the best-spelled one
        matched = one_relation(named, node.schema, node.identifier or node.name, folds)
        if not matched:
            continue
        pair = (str(matched[0][0]), str(matched[0][1]))
        catalogs: dict[str, list[tuple[str, str]]] = {}
        for catalog, column, dtype in by_relation[pair]:
            catalogs.setdefault(catalog.lower(), []).append((column, dtype))
        columns = catalogs.get((node.database or "").lower()) or next(iter(catalogs.values()))
        ordered = tuple(ColumnSchema(c, t, i + 1) for i, (c, t) in enumerate(columns))
        out[node.unique_id] = RelationSchema(node.unique_id, ordered, "information_schema")
    return out


def _live_schema(warehouse: Warehouse, node: Node) -> RelationSchema:
    found = warehouse.columns(node.database, node.schema, node.identifier or node.name)
    if found is None:
        raise ProbeError(
            f"relation {relation_of(node)} of {node.unique_id} is not in the warehouse",
            warehouse.probes[-1],
        )
    columns = tuple(ColumnSchema(name, dtype, i + 1) for i, (name, dtype) in enumerate(found.items()))
    return RelationSchema(node.unique_id, columns, "information_schema")


def profile_relation(warehouse: Warehouse, node: Node, schema: RelationSchema) -> RelationProfile:
    """One scan for the scalar aggregates, one more for the top values of categorical columns (if any)."""
    before, started = len(warehouse.probes), time.perf_counter()
    table = warehouse.table(node.database, node.schema, node.identifier or node.name)
    relation = relation_of(node) or node.unique_id
    columns = list(schema.columns)
    record = warehouse.query(scalar_query(table, columns, warehouse.dialect), "profile", relation).first()
    row_count, profiles = read_scalar(record, columns)
    wanted = categorical(profiles, warehouse.dialect)
    if wanted and row_count:
        result = warehouse.query(top_values_query(table, wanted), "top values", relation)
        tops = read_top_values(result.records(), wanted, row_count)
        profiles = [replace(p, top_values=tops[p.column]) if p.column in tops else p for p in profiles]
    seconds = round(time.perf_counter() - started, 4)
    return RelationProfile(node.unique_id, row_count, tuple(profiles), seconds, len(warehouse.probes) - before)
