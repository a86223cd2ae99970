"""What changed between two snapshots: pure functions (no I/O), each a tagged union of findings.

    schema_diff(before, after)  -> ColumnAdded | ColumnDropped | ColumnRetyped
    code_diff(before, after)    -> NodeAdded | NodeRemoved | CodeChanged
    volume_diff(before, after)  -> RowCountChanged
    profile_diff(before, after) -> ProfileShift

Only relations both snapshots describe are compared (a relation the budget skipped has no profile: no
volume finding, rather than a false one). The tracer can use each as a rule: evidence in, findings out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from headwater.history.model import ColumnProfile, Snapshot
from headwater.semantics.drift import psi_of_quantiles

PSI_MOVED = 0.25  # the usual "significant shift" of a population stability index


@dataclass(frozen=True)
class ColumnAdded:
    unique_id: str
    column: str
    data_type: str

    def describe(self) -> str:
        return f"column {self.column} added ({self.data_type})"


@dataclass(frozen=True)
class ColumnDropped:
    unique_id: str
    column: str
    data_type: str

    def describe(self) -> str:
        return f"column {self.column} dropped (was {self.data_type})"


@dataclass(frozen=True)
class ColumnRetyped:
    unique_id: str
    column: str
    before: str
    after: str

    def describe(self) -> str:
        return f"column {self.column} retyped {self.before} -> {self.after}"


SchemaChange = ColumnAdded | ColumnDropped | ColumnRetyped


@dataclass(frozen=True)
class NodeAdded:
    unique_id: str

    def describe(self) -> str:
        return "node added to the project"


@dataclass(frozen=True)
class NodeRemoved:
    unique_id: str

    def describe(self) -> str:
        return "node removed from the project"


@dataclass(frozen=True)
class CodeChanged:
    """The node's file checksum changed (`checksum`), or only its compiled SQL (a macro, a var)."""

    unique_id: str
    what: str  # "checksum" or "compiled_sql"
    before: str
    after: str

    def describe(self) -> str:
        if self.what == "checksum":
            return f"code changed (checksum {self.before[:8]} -> {self.after[:8]})"
        return "compiled SQL changed (same source file: a macro, var or ref changed)"


CodeChange = NodeAdded | NodeRemoved | CodeChanged


@dataclass(frozen=True)
class RowCountChanged:
    unique_id: str
    before: int
    after: int

    @property
    def ratio(self) -> float | None:
        return self.after / self.before if self.before else None

    def describe(self) -> str:
        ratio = f" ({self.ratio:.2f}x)" if self.ratio is not None else ""
        return f"rows {self.before:,} -> {self.after:,}{ratio}"


@dataclass(frozen=True)
class ProfileShift:
    """A column measure that moved beyond its tolerance: null_share, distinct_count, mean, psi (the shape of
    a numeric column's deciles), min, max, new_values (categories that appeared)."""

    unique_id: str
    column: str
    measure: str
    before: str
    after: str

    def describe(self) -> str:
        return f"{self.column}: {self.measure} {self.before} -> {self.after}"


Change = SchemaChange | CodeChange | RowCountChanged | ProfileShift


def schema_diff(before: Snapshot, after: Snapshot) -> tuple[SchemaChange, ...]:
    old, new = before.schema_map(), after.schema_map()
    found: list[SchemaChange] = []
    for uid in sorted(old.keys() & new.keys()):
        a, b = old[uid].by_name(), new[uid].by_name()
        for name in [c.name for c in old[uid].columns if c.name.lower() not in b]:
            found.append(ColumnDropped(uid, name, a[name.lower()].data_type))
        for col in new[uid].columns:
            prior = a.get(col.name.lower())
            if prior is None:
                found.append(ColumnAdded(uid, col.name, col.data_type))
            elif _type(prior.data_type) != _type(col.data_type):
                found.append(ColumnRetyped(uid, col.name, prior.data_type, col.data_type))
    return tuple(found)


def code_diff(before: Snapshot, after: Snapshot) -> tuple[CodeChange, ...]:
    old, new = before.node_map(), after.node_map()
    found: list[CodeChange] = [NodeRemoved(u) for u in sorted(old.keys() - new.keys())]
    found += [NodeAdded(u) for u in sorted(new.keys() - old.keys())]
    for uid in sorted(old.keys() & new.keys()):
        a, b = old[uid], new[uid]
        if a.checksum != b.checksum:
            found.append(CodeChanged(uid, "checksum", a.checksum, b.checksum))
        elif a.compiled_sql is not None and b.compiled_sql is not None and a.compiled_sql != b.compiled_sql:
            found.append(CodeChanged(uid, "compiled_sql", "", ""))
    return tuple(found)


def volume_diff(before: Snapshot, after: Snapshot, min_ratio: float = 0.0) -> tuple[RowCountChanged, ...]:
    """Row counts that changed by more than `min_ratio` (0.0: any change; 0.1: by more than 10%)."""
    old, new = before.profile_map(), after.profile_map()
    found = []
    for uid in sorted(old.keys() & new.keys()):
        a, b = old[uid].row_count, new[uid].row_count
        if a != b and (not a or abs(b - a) / a > min_ratio):
            found.append(RowCountChanged(uid, a, b))
    return tuple(found)


def profile_diff(
    before: Snapshot,
    after: Snapshot,
    null_share: float = 0.01,
    relative: float = 0.2,
) -> tuple[ProfileShift, ...]:
    """Column measures that moved: the NULL share by more than `null_share` (absolute), the distinct count
    or the mean by more than `relative` (a fraction of the old value), the shape of a numeric column (PSI
    of its deciles above `PSI_MOVED`), min/max of text and time columns,
    and categories that appeared in a column whose top values were complete before."""
    old, new = before.profile_map(), after.profile_map()
    found: list[ProfileShift] = []
    for uid in sorted(old.keys() & new.keys()):
        rows_a, rows_b = old[uid].row_count, new[uid].row_count
        for col in new[uid].columns:
            prior = old[uid].column(col.column)
            if prior is not None:
                found += _column_shifts(uid, prior, col, rows_a, rows_b, null_share, relative)
    return tuple(found)


def _column_shifts(
    uid: str, a: ColumnProfile, b: ColumnProfile, rows_a: int, rows_b: int, null_share: float, relative: float
) -> list[ProfileShift]:
    out = []
    share_a, share_b = a.null_count / max(rows_a, 1), b.null_count / max(rows_b, 1)
    if abs(share_b - share_a) > null_share:
        out.append(ProfileShift(uid, b.column, "null_share", f"{share_a:.2%}", f"{share_b:.2%}"))
    if a.distinct_count and b.distinct_count is not None and _moved(a.distinct_count, b.distinct_count, relative):
        out.append(ProfileShift(uid, b.column, "distinct_count", f"{a.distinct_count:,}", f"{b.distinct_count:,}"))
    if a.mean is not None and b.mean is not None and _moved(a.mean, b.mean, relative):
        out.append(ProfileShift(uid, b.column, "mean", f"{a.mean:.6g}", f"{b.mean:.6g}"))
    shape = psi_of_quantiles(a.histogram, b.histogram)
    if shape is not None and shape > PSI_MOVED:
        out.append(ProfileShift(uid, b.column, "psi", "deciles then", f"PSI {shape:.2f}"))
    if a.mean is None:  # text and times: bounds are values worth naming
        for measure, x, y in (("min", a.min_value, b.min_value), ("max", a.max_value, b.max_value)):
            if x is not None and y is not None and x != y:
                out.append(ProfileShift(uid, b.column, measure, x, y))
    if a.top_values and a.distinct_count is not None and a.distinct_count <= len(a.top_values):
        known = {t.value for t in a.top_values}
        appeared = [t.value for t in b.top_values if t.value not in known]
        if appeared:
            shown = ", ".join(repr(v) for v in appeared[:5])
            out.append(ProfileShift(uid, b.column, "new_values", f"{len(known)} values", shown))
    return out


def _moved(a: float, b: float, relative: float) -> bool:
    return abs(b - a) > relative * abs(a) if a else b != 0


def _type(data_type: str) -> str:
    return " ".join(data_type.upper().split())


def all_changes(snapshots: Sequence[Snapshot]) -> list[tuple[Snapshot, Snapshot, tuple[Change, ...]]]:
    """(previous, next, changes) for each pair of consecutive snapshots of the same dbt project (a shared
    store holds several), oldest first."""
    out = []
    by_project: dict[str, list[Snapshot]] = {}
    for snap in snapshots:
        by_project.setdefault(snap.meta.project_name, []).append(snap)
    pairs = [pair for same in by_project.values() for pair in itertools.pairwise(same)]
    for a, b in sorted(pairs, key=lambda ab: (ab[1].meta.taken_at, ab[1].snapshot_id)):
        changes: tuple[Change, ...] = (*schema_diff(a, b), *code_diff(a, b), *volume_diff(a, b), *profile_diff(a, b))
        out.append((a, b, changes))
    return out
