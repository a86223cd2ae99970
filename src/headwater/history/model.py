"""The vocabulary of headwater's memory: what one snapshot records, and one check outcome.

Everything is a frozen dataclass (pure data: no I/O here). Values the warehouse returns in many types
(min, max, top values) are kept as text, the way they would be shown; counts and means are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from headwater.dbt.results import SourceFreshness


@dataclass(frozen=True)
class NodeState:
    """A dbt node as the manifest described it at snapshot time."""

    unique_id: str
    resource_type: str
    name: str
    checksum: str = ""  # dbt's file checksum (sources: "")
    compiled_sql: str | None = None
    relation: str | None = None  # schema.identifier; None for ephemeral models


@dataclass(frozen=True)
class ColumnSchema:
    name: str
    data_type: str
    position: int  # 1-based, as in information_schema


@dataclass(frozen=True)
class RelationSchema:
    """The columns of a relation, in order; `source` is "catalog" or "information_schema"."""

    unique_id: str
    columns: tuple[ColumnSchema, ...]
    source: str = "catalog"

    def by_name(self) -> dict[str, ColumnSchema]:
        return {c.name.lower(): c for c in self.columns}


@dataclass(frozen=True)
class TopValue:
    value: str | None  # as text; None is the NULL group
    count: int
    share: float  # of all rows of the relation


@dataclass(frozen=True)
class ColumnProfile:
    """Aggregates of one column. `histogram`: quantile edges at 0, 0.1 … 1 (numbers only)."""

    column: str
    data_type: str
    null_count: int
    distinct_count: int | None = None  # approximate on DuckDB (approx_count_distinct)
    min_value: str | None = None
    max_value: str | None = None
    mean: float | None = None
    histogram: tuple[float, ...] = ()
    top_values: tuple[TopValue, ...] = ()


@dataclass(frozen=True)
class RelationProfile:
    unique_id: str
    row_count: int
    columns: tuple[ColumnProfile, ...]
    seconds: float = 0.0
    queries: int = 0

    def column(self, name: str) -> ColumnProfile | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.column.lower() == lowered), None)


@dataclass(frozen=True)
class Skipped:
    """A selected relation that was not profiled, and why (budget spent, query failed)."""

    unique_id: str
    reason: str


@dataclass(frozen=True)
class RunResultState:
    """One row of run_results.json."""

    unique_id: str
    status: str
    execution_time: float = 0.0
    rows_affected: int | None = None
    message: str | None = None
    completed_at: str | None = None


FreshnessState = SourceFreshness  # one row of sources.json (`dbt source freshness`), as headwater.dbt reads it


@dataclass(frozen=True)
class SnapshotMeta:
    """Who and when: the row of the `snapshots` table."""

    snapshot_id: str
    taken_at: str  # ISO 8601, UTC
    project_dir: str = ""
    git_commit: str | None = None
    manifest_checksum: str = ""  # sha256 of manifest.json's bytes
    selector: str | None = None
    budget_seconds: float = 0.0
    seconds: float = 0.0
    project_name: str = ""  # the dbt project's name: a shared store holds several


@dataclass(frozen=True)
class Snapshot:
    """One recorded state of a dbt project and its warehouse."""

    meta: SnapshotMeta
    nodes: tuple[NodeState, ...] = ()
    schemas: tuple[RelationSchema, ...] = ()
    profiles: tuple[RelationProfile, ...] = ()
    run_results: tuple[RunResultState, ...] = ()
    freshness: tuple[FreshnessState, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def snapshot_id(self) -> str:
        return self.meta.snapshot_id

    # Built once per snapshot (a trace asks them for every node on its path); read-only by convention.
    @cached_property
    def _nodes(self) -> dict[str, NodeState]:
        return {n.unique_id: n for n in self.nodes}

    @cached_property
    def _schemas(self) -> dict[str, RelationSchema]:
        return {s.unique_id: s for s in self.schemas}

    @cached_property
    def _profiles(self) -> dict[str, RelationProfile]:
        return {p.unique_id: p for p in self.profiles}

    def node_map(self) -> dict[str, NodeState]:
        return self._nodes

    def schema_map(self) -> dict[str, RelationSchema]:
        return self._schemas

    def profile_map(self) -> dict[str, RelationProfile]:
        return self._profiles


@dataclass(frozen=True)
class CheckOutcome:
    """One expectation's result in one checkpoint run."""

    run_at: str  # ISO 8601, UTC
    checkpoint: str
    suite: str
    expectation_type: str
    success: bool
    relation: str = ""  # schema.table the suite validated
    unique_id: str | None = None  # the dbt node of `relation`, when known
    column: str | None = None
    observed: str = ""
    snapshot_id: str | None = None  # the snapshot taken after this run, if any
    expectation_id: str | None = None  # GX's id of the expectation (tells two of a type apart)

    @property
    def check_key(self) -> tuple[str, str, str]:
        """What makes two outcomes the same check over time."""
        return (self.suite, self.expectation_type, self.expectation_id or self.column or "")
