"""Snapshots and check outcomes to table rows and back (pure: the store does the I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson

from headwater.history.model import (
    CheckOutcome,
    ColumnProfile,
    ColumnSchema,
    FreshnessState,
    NodeState,
    RelationProfile,
    RelationSchema,
    RunResultState,
    Skipped,
    Snapshot,
    SnapshotMeta,
    TopValue,
)

Row = tuple[Any, ...]


def snapshot_rows(snap: Snapshot) -> dict[str, list[Row]]:
    """Rows per table, in insert order (the `snapshots` row first)."""
    sid, m = snap.snapshot_id, snap.meta
    return {
        "snapshots": [
            (
                sid, m.taken_at, m.project_dir, m.git_commit, m.manifest_checksum, m.budget_seconds,
                m.seconds, m.selector, m.project_name,
            )
        ],
        "nodes": [
            (sid, n.unique_id, n.resource_type, n.name, n.checksum, n.compiled_sql, n.relation) for n in snap.nodes
        ],
        "relation_columns": [
            (sid, s.unique_id, c.position, c.name, c.data_type, s.source) for s in snap.schemas for c in s.columns
        ],
        "relations": [(sid, p.unique_id, p.row_count, p.seconds, p.queries, None) for p in snap.profiles]
        + [(sid, k.unique_id, None, None, None, k.reason) for k in snap.skipped],
        "profiles": [
            (
                sid, p.unique_id, c.column, c.data_type, c.null_count, c.distinct_count, c.min_value,
                c.max_value, c.mean, _json(list(c.histogram)) if c.histogram else None,
                _json([[t.value, t.count, t.share] for t in c.top_values]) if c.top_values else None,
            )
            for p in snap.profiles
            for c in p.columns
        ],
        "run_results": [
            (sid, r.unique_id, r.status, r.execution_time, r.rows_affected, r.message, r.completed_at)
            for r in snap.run_results
        ],
        "freshness": [
            (sid, f.unique_id, f.status, f.max_loaded_at, f.snapshotted_at, f.age_seconds) for f in snap.freshness
        ],
    }  # fmt: skip


def outcome_row(o: CheckOutcome) -> Row:
    return (
        o.run_at, o.checkpoint, o.suite, o.expectation_type, o.expectation_id, o.relation, o.unique_id,
        o.column, o.success, o.observed, o.snapshot_id,
    )  # fmt: skip


def outcome_from_row(r: Row) -> CheckOutcome:
    return CheckOutcome(
        run_at=str(r[0]),
        checkpoint=r[1] or "",
        suite=r[2],
        expectation_type=r[3],
        expectation_id=r[4],
        relation=r[5] or "",
        unique_id=r[6],
        column=r[7],
        success=bool(r[8]),
        observed=r[9] or "",
        snapshot_id=r[10],
    )


def meta_from_row(r: Row) -> SnapshotMeta:
    return SnapshotMeta(
        snapshot_id=r[0],
        taken_at=str(r[1]),
        project_dir=r[2] or "",
        git_commit=r[3],
        manifest_checksum=r[4] or "",
        selector=r[5],
        budget_seconds=float(r[6] or 0.0),
        seconds=float(r[7] or 0.0),
        project_name=r[8] or "",
    )


def assemble(
    metas: Sequence[SnapshotMeta],
    nodes: Sequence[Row],
    columns: Sequence[Row],
    relations: Sequence[Row],
    profiles: Sequence[Row],
    run_results: Sequence[Row],
    freshness: Sequence[Row],
) -> list[Snapshot]:
    """Rebuild snapshots from the rows of each table (rows of any order; columns sorted by ordinal)."""
    by: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in nodes:
        by[r[0]]["nodes"].append(NodeState(r[1], r[2] or "", r[3] or "", r[4] or "", r[5], r[6]))
    schema_cols: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in columns:
        schema_cols[(r[0], r[1])].append(r)
    for (sid, uid), cols in schema_cols.items():
        cols.sort(key=lambda c: int(c[2]))
        schema = tuple(ColumnSchema(c[3], c[4] or "", int(c[2])) for c in cols)
        by[sid]["schemas"].append(RelationSchema(uid, schema, cols[0][5] or "catalog"))
    column_profiles: dict[tuple[str, str], list[ColumnProfile]] = defaultdict(list)
    for r in profiles:
        column_profiles[(r[0], r[1])].append(_profile(r))
    for r in relations:
        sid, uid = r[0], r[1]
        if r[5] is not None:
            by[sid]["skipped"].append(Skipped(uid, r[5]))
        else:
            measured = tuple(column_profiles.get((sid, uid), ()))
            by[sid]["profiles"].append(RelationProfile(uid, int(r[2] or 0), measured, float(r[3] or 0), int(r[4] or 0)))
    for r in run_results:
        by[r[0]]["run_results"].append(RunResultState(r[1], r[2] or "", float(r[3] or 0.0), _int(r[4]), r[5], r[6]))
    for r in freshness:
        by[r[0]]["freshness"].append(FreshnessState(r[1], r[2] or "", r[3], r[4], r[5]))
    out = []
    for meta in metas:
        parts = by.get(meta.snapshot_id, {})
        out.append(
            Snapshot(
                meta=meta,
                nodes=tuple(sorted(parts.get("nodes", ()), key=lambda n: n.unique_id)),
                schemas=tuple(sorted(parts.get("schemas", ()), key=lambda s: s.unique_id)),
                profiles=tuple(sorted(parts.get("profiles", ()), key=lambda p: p.unique_id)),
                run_results=tuple(sorted(parts.get("run_results", ()), key=lambda x: x.unique_id)),
                freshness=tuple(sorted(parts.get("freshness", ()), key=lambda x: x.unique_id)),
                skipped=tuple(sorted(parts.get("skipped", ()), key=lambda x: x.unique_id)),
            )
        )
    return out


def _profile(r: Row) -> ColumnProfile:
    histogram = tuple(float(v) for v in orjson.loads(r[9])) if r[9] else ()
    top = tuple(TopValue(v, int(c), float(s)) for v, c, s in orjson.loads(r[10])) if r[10] else ()
    return ColumnProfile(
        column=r[2],
        data_type=r[3] or "",
        null_count=int(r[4] or 0),
        distinct_count=_int(r[5]),
        min_value=r[6],
        max_value=r[7],
        mean=float(r[8]) if r[8] is not None else None,
        histogram=histogram,
        top_values=top,
    )


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
