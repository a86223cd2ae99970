"""The timeline of a project, or of one node or column: snapshots, check outcomes and what changed between
consecutive snapshots, sorted by time; for each check its *last good* and *first bad* run. Pure.

    events = timeline(store.load(since), store.outcomes(since), target=resolve_target("fct_orders.amount", ...))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from headwater.errors import ConfigError, suggest
from headwater.history.compare import (
    Change,
    CodeChanged,
    NodeAdded,
    NodeRemoved,
    ProfileShift,
    RowCountChanged,
    all_changes,
)
from headwater.history.model import CheckOutcome, Snapshot, SnapshotMeta

LAST_GOOD = "last good"
FIRST_BAD = "first bad"


@dataclass(frozen=True)
class Target:
    """What the timeline is about: a node (unique_id), optionally one of its columns."""

    unique_id: str
    column: str | None = None


@dataclass(frozen=True)
class Event:
    at: str  # ISO time (UTC)
    kind: str  # snapshot, check, schema, code, volume, profile
    summary: str
    unique_id: str | None = None
    column: str | None = None
    snapshot_id: str | None = None
    success: bool | None = None  # checks only
    mark: str | None = None  # LAST_GOOD / FIRST_BAD, checks only
    subject: SnapshotMeta | CheckOutcome | Change | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "subject"}
        if self.subject is not None:
            data["detail"] = {"type": type(self.subject).__name__, **asdict(self.subject)}
        return data


def resolve_target(text: str, snapshots: Sequence[Snapshot], outcomes: Sequence[CheckOutcome]) -> Target:
    """`NODE[.COLUMN]`: a unique_id, a node name or `source.table`, then optionally `.column`."""
    names: dict[str, str] = {}
    for snap in snapshots:
        for node in snap.nodes:
            names.setdefault(node.unique_id.lower(), node.unique_id)
            names.setdefault(node.name.lower(), node.unique_id)
            if node.resource_type == "source" and node.unique_id.count(".") >= 3:
                source_name = node.unique_id.split(".")[2]
                names.setdefault(f"{source_name}.{node.name}".lower(), node.unique_id)
    for outcome in outcomes:
        if outcome.unique_id:
            names.setdefault(outcome.unique_id.lower(), outcome.unique_id)
        if outcome.relation:
            names.setdefault(outcome.relation.lower(), outcome.unique_id or outcome.relation)
            names.setdefault(outcome.relation.split(".")[-1].lower(), outcome.unique_id or outcome.relation)
    lowered = text.lower()
    if lowered in names:
        return Target(names[lowered])
    head, _, column = text.rpartition(".")
    if head and head.lower() in names:
        return Target(names[head.lower()], column)
    raise ConfigError(f"no node {text!r} in the history.{suggest(text, names)} Use NODE or NODE.COLUMN.")


def timeline(
    snapshots: Sequence[Snapshot], outcomes: Sequence[CheckOutcome], target: Target | None = None
) -> list[Event]:
    """All events, oldest first (checks marked; changes dated at the snapshot that saw them)."""
    events = [_snapshot_event(s.meta, len(s.nodes), len(s.profiles), len(s.skipped)) for s in snapshots]
    for _, after, changes in all_changes(list(snapshots)):
        events += [_change_event(after.meta, c) for c in changes if _about(c, target)]
    wanted = [o for o in outcomes if _check_about(o, target)]
    events += _check_events(wanted)
    order = {"snapshot": 0, "code": 1, "schema": 2, "volume": 3, "profile": 4, "check": 5}
    return sorted(events, key=lambda e: (e.at, order.get(e.kind, 9), e.unique_id or "", e.summary))


def _snapshot_event(meta: SnapshotMeta, nodes: int, profiled: int, skipped: int) -> Event:
    commit = f"git {meta.git_commit[:10]}" if meta.git_commit else "no git"
    more = f", {skipped} skipped" if skipped else ""
    summary = f"snapshot {meta.snapshot_id} ({commit}; {nodes} nodes, {profiled} relations profiled{more})"
    return Event(meta.taken_at, "snapshot", summary, snapshot_id=meta.snapshot_id, subject=meta)


def _kind(change: Change) -> str:
    if isinstance(change, NodeAdded | NodeRemoved | CodeChanged):
        return "code"
    if isinstance(change, RowCountChanged):
        return "volume"
    if isinstance(change, ProfileShift):
        return "profile"
    return "schema"


def _change_event(meta: SnapshotMeta, change: Change) -> Event:
    column = getattr(change, "column", None)
    return Event(
        meta.taken_at, _kind(change), change.describe(), change.unique_id, column, meta.snapshot_id, subject=change
    )


def _about(change: Change, target: Target | None) -> bool:
    if target is None:
        return True
    if change.unique_id != target.unique_id:
        return False
    column = getattr(change, "column", None)
    return target.column is None or column is None or column.lower() == target.column.lower()


def _check_about(outcome: CheckOutcome, target: Target | None) -> bool:
    if target is None:
        return True
    if target.unique_id not in (outcome.unique_id, outcome.relation):
        return False
    return target.column is None or (outcome.column or "").lower() == target.column.lower()


def marks(outcomes: Sequence[CheckOutcome]) -> dict[int, str]:
    """Index (in `outcomes`, sorted by time) -> LAST_GOOD / FIRST_BAD, per check, for its latest failing
    streak: the first failure of that streak, and the success just before it (if any)."""
    by_check: dict[tuple[str, str, str], list[int]] = {}
    for i, outcome in enumerate(outcomes):
        by_check.setdefault(outcome.check_key, []).append(i)
    found: dict[int, str] = {}
    for indexes in by_check.values():
        failures = [i for i in indexes if not outcomes[i].success]
        if not failures:
            continue
        last_failure = failures[-1]
        before = [i for i in indexes if i < last_failure and outcomes[i].success]
        last_good = before[-1] if before else None
        first_bad = next(i for i in indexes if not outcomes[i].success and (last_good is None or i > last_good))
        found[first_bad] = FIRST_BAD
        if last_good is not None:
            found[last_good] = LAST_GOOD
    return found


def _check_events(outcomes: Sequence[CheckOutcome]) -> list[Event]:
    ordered = sorted(outcomes, key=lambda o: o.run_at)
    marked = marks(ordered)
    events = []
    for i, o in enumerate(ordered):
        where = o.unique_id or o.relation
        column = f" {o.column}" if o.column else ""
        state = "passed" if o.success else "FAILED"
        said = f": {o.observed}" if o.observed else ""
        summary = f"{state} {o.suite}/{o.expectation_type}{column}{said}"
        events.append(Event(o.run_at, "check", summary, where, o.column, o.snapshot_id, o.success, marked.get(i), o))
    return events
