"""The last good state a trace compares against, and how a check fared in it.

A `GoodState` is a recorded snapshot (`headwater snapshot`, or a passing checkpoint with headwater's
action) read from the history store, or the deployed run's dbt artifacts (`--state DIR`, dbt's convention:
code and schema only, no data). Rules ask it three questions: what the node's code and columns were, and
whether a check failed there *the same way* then (from the column profile: NULL counts, ranges, value sets),
so an ancestor that has always failed is not blamed for a failure that is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.semantics.types import same_type
from headwater.trace.checks import Between, Check, InSet, McvShare, NotNull, RowCount, Schema, value_fails
from headwater.trace.measures import Outcome
from headwater.trace.model import TimelineEvent

if TYPE_CHECKING:
    from collections.abc import Sequence

    from headwater.dbt import Artifacts
    from headwater.history.model import (
        CheckOutcome,
        ColumnProfile,
        NodeState,
        RelationProfile,
        RelationSchema,
        Snapshot,
    )
    from headwater.history.store import HistoryStore
    from headwater.warehouse import Warehouse

SAME_SHARE = 0.02  # failing shares closer than this (absolute), or within a quarter, are "the same way"


@dataclass(frozen=True)
class GoodState:
    """What was true at the last good run: `snapshot` (profiles empty for a dbt state directory)."""

    snapshot: Snapshot
    origin: str  # how a sentence names it: "snapshot 2026-12-01T10:00 (commit 1a2b3c4)", "dbt state prod/"

    @property
    def has_data(self) -> bool:
        return bool(self.snapshot.profiles)

    def node(self, unique_id: str) -> NodeState | None:
        return self.snapshot.node_map().get(unique_id)

    def columns(self, unique_id: str) -> dict[str, str] | None:
        """name -> type of the relation then (None: not recorded)."""
        schema = self.snapshot.schema_map().get(unique_id)
        return {c.name.lower(): c.data_type for c in schema.columns} if schema is not None else None

    def profile(self, unique_id: str) -> RelationProfile | None:
        return self.snapshot.profile_map().get(unique_id)

    def code_changed(self, unique_id: str, compiled_sql: str | None) -> bool:
        then = self.node(unique_id)
        if then is None or then.compiled_sql is None or compiled_sql is None:
            return False
        return _normal(then.compiled_sql) != _normal(compiled_sql)


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().lower()


def from_snapshot(snapshot: Snapshot) -> GoodState:
    meta = snapshot.meta
    commit = f" (commit {meta.git_commit[:7]})" if meta.git_commit else ""
    return GoodState(snapshot, f"snapshot {meta.taken_at[:16]}{commit}")


def from_state_dir(path: Path) -> GoodState:
    """The deployed run's artifacts (`target/` of production): manifest (code) and catalog (schema)."""
    from headwater.dbt import load_artifacts

    artifacts = load_artifacts(target_path=path, include_run_results=False)
    return GoodState(snapshot_of(artifacts, f"state:{path}", ""), f"dbt state {path}")


def snapshot_of(artifacts: Artifacts, snapshot_id: str, taken_at: str) -> Snapshot:
    """The code and the catalog schema of a set of dbt artifacts, as a snapshot without profiles."""
    from headwater.history.model import Snapshot, SnapshotMeta
    from headwater.history.snapshot import catalog_schemas, node_states

    manifest = artifacts.manifest
    relations = [*manifest.sources.values(), *manifest.nodes.values()]
    schemas = tuple(catalog_schemas(artifacts, relations).values())
    meta = SnapshotMeta(
        snapshot_id, taken_at, str(artifacts.project_dir or ""), project_name=manifest.metadata.project_name
    )
    return Snapshot(meta, node_states(manifest), schemas)


def failing_share_then(check: Check, profile: RelationProfile) -> float | None:
    """The share of rows that failed `check` in the recorded profile (None: the profile cannot tell)."""
    bounds = failing_share_bounds(check, profile)
    return None if bounds is None else (bounds[0] + bounds[1]) / 2


def failing_share_bounds(check: Check, profile: RelationProfile) -> tuple[float, float] | None:
    """The least and the most share of rows that can have failed `check` then: exact from NULL counts and
    complete value lists, a decile wide from quantile edges (None: the profile cannot tell)."""
    rows = profile.row_count
    if isinstance(check, RowCount):
        low, high = check.min_value, check.max_value
        bad = 1.0 if (low is not None and rows < low) or (high is not None and rows > high) else 0.0
        return bad, bad
    column = profile.column(check.column) if check.column else None
    if column is None or rows <= 0:
        return None
    exact: float | None = None
    if isinstance(check, NotNull):
        exact = column.null_count / rows
    elif isinstance(check, Between | InSet) and _complete(column, rows):
        exact = sum(t.count for t in column.top_values if t.value is not None and value_fails(check, t.value)) / rows
    elif isinstance(check, Between) and check.stat == "value":
        return _outside(column, check)
    elif isinstance(check, McvShare) and column.top_values:
        top = max(column.top_values, key=lambda t: t.count)
        exact = 1.0 if top.share >= check.max_share else 0.0
    return (exact, exact) if exact is not None else None


def _complete(column: ColumnProfile, rows: int) -> bool:
    """The top values list every value of the column (their counts add up to all rows)."""
    return bool(column.top_values) and sum(t.count for t in column.top_values) >= rows


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _outside(column: ColumnProfile, check: Between) -> tuple[float, float] | None:
    """Bounds of the share of rows outside [min_value, max_value] from the quantile edges: none when the
    recorded min and max lie inside; else between (k - 1) and k buckets for k edges outside."""
    low = _number(str(check.min_value)) if check.min_value is not None else None
    high = _number(str(check.max_value)) if check.max_value is not None else None
    least, most = _number(column.min_value), _number(column.max_value)
    if (
        least is None
        or most is None
        or (check.min_value is not None and low is None)
        or (check.max_value is not None and high is None)
    ):
        return None
    if (low is None or least >= low) and (high is None or most <= high):
        return 0.0, 0.0
    edges = column.histogram
    if len(edges) < 2:
        return None
    buckets = len(edges) - 1
    outside = sum(1 for e in edges if (low is not None and e < low) or (high is not None and e > high))
    return max(outside - 1, 0) / buckets, min(outside, buckets) / buckets


def schema_held(check: Schema, schema: RelationSchema | None) -> bool:
    """The recorded schema had every column the check names, with the types it expects."""
    if schema is None:
        return False
    columns = {c.name.lower(): c.data_type for c in schema.columns}
    if any(c not in columns for c in check.columns):
        return False
    return all(c in columns and same_type(t, columns[c]) for c, t in check.types)


def failed_the_same_way(check: Check, now: Outcome, profile: RelationProfile | None) -> bool:
    """The check failed then on about as large a share of rows as it fails now (within the profile's
    resolution, and two points or a quarter of today's share)."""
    if profile is None or not now.failed:
        return False
    bounds = failing_share_bounds(check, profile)
    if bounds is None or bounds[1] <= 0:
        return False
    if isinstance(check, RowCount | McvShare):
        return True
    if not now.total or now.failing is None:
        return False
    share = now.failing / now.total
    slack = max(SAME_SHARE, 0.25 * share)
    return bounds[0] - slack <= share <= bounds[1] + slack


@dataclass(frozen=True)
class Memory:
    """What a trace remembers: the recorded snapshots (oldest first) and the ids of those taken when a
    checkpoint passed, or one dbt state directory (`--state`)."""

    snapshots: tuple[Snapshot, ...] = ()
    passed: frozenset[str] = frozenset()
    state: GoodState | None = None
    where: str = ""  # the store or directory, for the report
    outcomes: tuple[CheckOutcome, ...] = ()
    note: str = ""  # why the history could not be used, when it could not

    def good_for(self, check: Check, node: str, now: Outcome) -> GoodState | None:
        """The state to compare against for a check failing on `node` now: the newest snapshot in which it
        passed there (judged from the node's profile, or a passing checkpoint when the profile cannot tell),
        else the dbt state directory. None when nothing recorded is known to be good."""
        for snapshot in reversed(self.snapshots):
            if isinstance(check, Schema):
                if schema_held(check, snapshot.schema_map().get(node)):
                    return from_snapshot(snapshot)
                continue
            profile = snapshot.profile_map().get(node)
            then = failing_share_then(check, profile) if profile is not None else None
            if then is not None:
                share = now.failing / now.total if now.total and now.failing is not None else 1.0
                if then == 0 or then < 0.5 * share:
                    return from_snapshot(snapshot)
            elif snapshot.snapshot_id in self.passed:
                return from_snapshot(snapshot)
        return self.state


def load_memory(store: HistoryStore | None, state_dir: Path | None, project_name: str = "") -> Memory:
    """Read the store once per trace (this project's snapshots, with their profiles; a shared store holds
    several projects) and the --state directory."""
    state = from_state_dir(state_dir) if state_dir is not None else None
    if store is None:
        return Memory(state=state, where=str(state_dir or ""))
    snapshots = tuple(s for s in store.load() if not project_name or s.meta.project_name in ("", project_name))
    outcomes = tuple(store.outcomes())
    passed = frozenset(o.snapshot_id for o in outcomes if o.success and o.snapshot_id)
    return Memory(snapshots, passed, state, store.describe(), outcomes)


def timeline_of(
    memory: Memory, now: Snapshot, nodes: Sequence[str], column: str, cause_node: str
) -> tuple[TimelineEvent, ...]:
    """The events of the history on `nodes` (the failure's path), what changed since the last snapshot
    (code and schema: `now` is today's artifacts), and the failing node's check outcomes on `column`; the
    cause's node first, then oldest first."""
    from headwater.history.timeline import timeline

    if not memory.snapshots and not memory.outcomes:
        return ()
    on_path = set(nodes)
    wanted = [
        o
        for o in memory.outcomes
        if o.unique_id == (nodes[0] if nodes else None) and (o.column or "").lower() == column.lower()
    ]
    events = []
    for event in timeline([*memory.snapshots, now], wanted):
        if event.kind != "snapshot" and event.kind != "check" and event.unique_id not in on_path:
            continue
        at = "now" if event.snapshot_id == now.snapshot_id else event.at
        if event.kind == "snapshot" and at == "now":
            continue
        events.append(
            TimelineEvent(at, event.kind, event.summary, event.unique_id or "", event.column or "", event.mark or "")
        )
    return tuple(sorted(events, key=lambda e: e.node != cause_node))


def today(artifacts: Artifacts) -> Snapshot:
    """Today's code and schema (no profiles), to compare the last recorded snapshot with ("now" sorts last)."""
    return snapshot_of(artifacts, "now", "9999")


def last_commit(root: Path | None, file: str) -> str:
    """`hash author date: message` of the last commit that changed `file`, in a git repository ("" else)."""
    if root is None or not file or not (root / file).exists():
        return ""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%h %an %aI: %s", "--", file],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def profile_now(
    warehouse: Warehouse,
    unique_id: str,
    relation: tuple[str | None, str | None, str],
    columns: Sequence[str],
    label: str,
) -> RelationProfile | None:
    """Today's profile of some columns of a relation, in one scan with the history's own profile SQL (so it
    compares with a recorded one measure for measure); None when the probe cannot run."""
    from headwater.history.model import ColumnSchema, RelationProfile
    from headwater.history.profile import read_scalar, scalar_query
    from headwater.warehouse import ProbeError

    types = warehouse.columns(*relation) or {}
    schemas = [ColumnSchema(c, types.get(c, ""), i + 1) for i, c in enumerate(columns)]
    try:
        result = warehouse.query(
            scalar_query(warehouse.table(*relation), schemas, warehouse.dialect),
            purpose=f"profile of {label}",
            relation=label,
        )
    except ProbeError:
        return None
    rows, profiles = read_scalar(result.first(), schemas)
    return RelationProfile(unique_id, rows, tuple(profiles))


def profile_moves(good: GoodState, now: RelationProfile) -> str:
    """What moved in a relation's profile since the good state (NULL share, distinct count, mean, bounds of
    text and times, new values, rows): "" when nothing did or the good state has no profile of it."""
    from headwater.history.compare import profile_diff, volume_diff
    from headwater.history.model import Snapshot, SnapshotMeta

    then = good.profile(now.unique_id)
    if then is None:
        return ""
    kept = tuple(c for c in then.columns if now.column(c.column) is not None)
    before = Snapshot(SnapshotMeta("then", ""), profiles=(replace(then, columns=kept),))
    after = Snapshot(SnapshotMeta("now", ""), profiles=(now,))
    shifts = [m.describe() for m in profile_diff(before, after)]
    rows = [m.describe() for m in volume_diff(before, after, 0.01)]
    return "; ".join([*shifts, *rows])
