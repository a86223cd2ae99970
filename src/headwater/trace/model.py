"""Trace results: frozen dataclasses, serialised by `headwater.report` (JSON shape in docs/trace.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from headwater.errors import EXIT_FAILED, EXIT_OK
from headwater.warehouse import Probe


class Verdict(StrEnum):
    TRACED = "traced"  # at least one root cause with evidence
    UNKNOWN = "unknown"  # could not be traced; `reason` says why
    NOT_REPRODUCED = "not_reproduced"  # the check passes in the warehouse now
    UNTRACEABLE = "untraceable"  # headwater cannot re-run this kind of expectation


class CauseKind(StrEnum):
    SOURCE = "source"
    TRANSFORMATION = "transformation"
    SCHEMA = "schema"
    UNKNOWN = "unknown"


class Mechanism(StrEnum):
    SOURCE_DATA = "source_data"
    JOIN_MISS = "join_miss"
    FAN_OUT = "fan_out"
    CAST_FAILURE = "cast_failure"
    FILTER = "filter"
    EXPRESSION = "expression"
    SCHEMA_CHANGE = "schema_change"
    DRIFT = "drift"
    STALE = "stale"
    MODEL_CHANGE = "model_change"  # the ML model that scores a prediction changed (another registered version)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Evidence:
    """What a person needs to verify a root cause in one query."""

    failing_downstream: int | None = None  # failing rows of the original check
    failing_here: int | None = None  # rows (keys, values, columns) at fault at the cause
    total_here: int | None = None
    sample_keys: tuple[str, ...] = ()
    sql: str = ""  # the exact probe that shows it
    detail: str = ""  # one line: what the probe found


@dataclass(frozen=True)
class RootCause:
    kind: CauseKind
    node: str
    relation: str
    column: str
    mechanism: Mechanism
    expression: str = ""
    file: str = ""
    line: int | None = None
    evidence: Evidence = field(default_factory=Evidence)
    share: float = 1.0  # share of the failure this cause explains, for ranking
    summary: str = ""  # the one sentence
    join_side: str = ""
    decided_by: str = ""  # which comparison with the last good state decided it ("" : today's data alone)


@dataclass(frozen=True)
class PathStep:
    """One ancestor visited, with the check re-run there."""

    node: str
    relation: str
    column: str
    check: str
    failed: bool | None
    failing: int | None = None
    total: int | None = None
    observed: str = ""
    sql: str = ""
    error: str = ""
    via: str = ""  # the edge kind that led here (passthrough, cast, instrumented, …)


@dataclass(frozen=True)
class ContributingRow:
    node: str
    relation: str
    key: str
    values: dict[str, Any]


@dataclass(frozen=True)
class RowProvenance:
    """A failing row and the upstream rows it was built from (followed by key columns)."""

    key: str
    row: dict[str, Any]
    upstream: tuple[ContributingRow, ...] = ()


@dataclass(frozen=True)
class TimelineEvent:
    """One event on the failure's path, from the history: a snapshot, a check outcome, a code, schema, volume
    or profile change (`mark`: "last good" / "first bad" for the failing check's outcomes)."""

    at: str  # ISO time, UTC ("now" for what changed since the last snapshot)
    kind: str  # snapshot, check, code, schema, volume, profile
    summary: str
    node: str = ""
    column: str = ""
    mark: str = ""


@dataclass(frozen=True)
class Failure:
    expectation: str
    node: str
    relation: str
    column: str
    check: str
    verdict: Verdict
    root_causes: tuple[RootCause, ...] = ()
    path: tuple[PathStep, ...] = ()
    probes: tuple[Probe, ...] = ()
    reason: str = ""
    rows: tuple[RowProvenance, ...] = ()
    suite: str = ""
    timeline: tuple[TimelineEvent, ...] = ()  # the cause's node first, then oldest first

    @property
    def top(self) -> RootCause | None:
        return self.root_causes[0] if self.root_causes else None


@dataclass(frozen=True)
class Explanation:
    """One check re-run on one node (`Tracer.explain`): whether it fails there now, and why."""

    failed: bool | None  # None: the check could not run there (see `observed`)
    failing: int | None
    observed: str
    causes: tuple[RootCause, ...] = ()  # ranked, most of the failure first; UNKNOWN causes last
    path: tuple[PathStep, ...] = ()


@dataclass(frozen=True)
class Incident:
    """Failures that share one root cause, and how far the cause reaches."""

    cause: RootCause
    failures: tuple[str, ...]  # "relation.column check" of each failed expectation it explains
    downstream: tuple[str, ...] = ()  # models (and other nodes) downstream of the cause
    exposures: tuple[str, ...] = ()
    # the checks that read the cause or a node downstream of it: dbt tests of the project, and every GX
    # expectation of the traced result (passed ones too: they are next in line)
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceResult:
    failures: tuple[Failure, ...]
    warehouse: str = ""
    seconds: float = 0.0
    source: str = ""  # the validation result file, or "question"
    incidents: tuple[Incident, ...] = ()
    notes: tuple[str, ...] = ()  # what the trace could not use (an unreadable history store), for the reader

    @property
    def exit_code(self) -> int:
        """0 when every failure is traced to a root cause (or there was none), 1 otherwise."""
        ok = all(f.verdict in (Verdict.TRACED, Verdict.NOT_REPRODUCED) for f in self.failures)
        return EXIT_OK if ok else EXIT_FAILED

    @property
    def probe_count(self) -> int:
        return sum(len(f.probes) for f in self.failures)
