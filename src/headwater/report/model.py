"""The forensic report: one model, built once from a `TraceResult` (`headwater.report.build`), that every
format draws from (text, JSON, Markdown, HTML) and that `--suggest` writes checks from.

Incidents come first: each with its root cause in one sentence, the evidence, the path with each probe's
result, the timeline, a Five Whys chain (one "why" per hop of the path), what was ruled out (grouped
fishbone-style by category), the blast radius, the fix at the cause and the check that would have caught it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from headwater.trace.model import TimelineEvent

REPORT_VERSION = 1  # bumps on a breaking change of the report's JSON shape (docs/report.md)


class Category(StrEnum):
    """The bones of the fishbone: where a cause of a data failure can sit."""

    DATA = "data"  # the values a source (or an input) delivers
    CODE = "code"  # the SQL, compared with the last good state
    SCHEMA = "schema"  # columns and types
    VOLUME = "volume/freshness"  # row counts, load times, distributions
    MODEL = "model"  # the transformation's mechanics re-run today: join, filter, cast, expression


class Verdict(StrEnum):
    CONVICTED = "convicted"  # this is (part of) the cause
    CARRIED = "carried"  # fails too, but only passes on the failure of its input
    CLEARED = "cleared"  # examined and found fine
    RULED_OUT = "ruled out"  # fails, but failed the same way in the last good state
    NOT_EXAMINED = "not examined"  # nothing to compare with; `how` says what would tell


@dataclass(frozen=True)
class Candidate:
    """One suspect examined on the way, and the probe or comparison that cleared or convicted it."""

    category: Category
    subject: str  # "stg_customers.email", "code of int_orders_enriched"
    verdict: Verdict
    how: str  # the probe's result or the comparison, one line
    sql: str = ""


@dataclass(frozen=True)
class Hop:
    """One step of the path with its probe's result (`is_cause`: the node where the failure starts)."""

    node: str
    label: str  # short name: model name or source.table
    column: str
    check: str
    result: str  # "fails", "passes", "could not run", "ruled out"
    failing: int | None
    total: int | None
    observed: str
    via: str
    sql: str
    is_cause: bool = False


@dataclass(frozen=True)
class Why:
    """One "why" of the Five Whys chain: one hop of the path, with its numbers."""

    number: int
    question: str
    answer: str
    node: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # a share 0..1, or a raw number when `Chart.unit` is not "%"


@dataclass(frozen=True)
class Chart:
    """Numeric evidence small enough for an inline chart: failing share per hop, a profile before/after."""

    title: str
    unit: str  # "%" (values are shares) or a unit name
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Fix:
    location: str  # file:line (or the relation, for a source)
    change: str  # what to change there, one sentence


@dataclass(frozen=True)
class Prevention:
    """The check that would have caught the fault at its cause, as code for three tools.
    Empty strings/None with `reason` when the check cannot be written for this cause."""

    node: str
    relation: str
    column: str
    check: str  # the check as the trace described it ("not_null", "between [0, 5000]")
    gx: dict[str, object] | None  # GX 1.x expectation configuration: {"type", "kwargs", "meta"}
    dbt_yaml: str  # a dbt properties file declaring the test on the cause's column
    odcs: dict[str, object] | None  # an ODCS v3 quality rule on the cause's property
    reason: str = ""


@dataclass(frozen=True)
class Evidence:
    failing_downstream: int | None
    failing_here: int | None
    total_here: int | None
    sample_keys: tuple[str, ...]
    sql: str
    detail: str
    decided_by: str


@dataclass(frozen=True)
class IncidentReport:
    number: int
    root_cause: str  # the one sentence
    mechanism: str
    kind: str
    node: str
    label: str
    column: str
    location: str
    failed_checks: tuple[str, ...]
    evidence: Evidence
    path: tuple[Hop, ...]
    timeline: tuple[TimelineEvent, ...]
    diff: tuple[str, ...]  # what changed at the cause since the last good state, one line each
    whys: tuple[Why, ...]
    ruled_out: tuple[Candidate, ...]
    downstream: tuple[str, ...]
    exposures: tuple[str, ...]
    fix: Fix
    prevention: Prevention
    charts: tuple[Chart, ...]
    readers: tuple[str, ...] = ()  # GX expectations and dbt tests that read the cause or what it feeds

    def by_category(self) -> tuple[tuple[Category, tuple[Candidate, ...]], ...]:
        """The fishbone: every category, with the candidates examined in it (possibly none)."""
        return tuple((c, tuple(x for x in self.ruled_out if x.category == c)) for c in Category)


@dataclass(frozen=True)
class Unexplained:
    """A failure no incident explains (unknown, untraceable, passes now), with the reason."""

    subject: str
    check: str
    verdict: str
    reason: str


@dataclass(frozen=True)
class Report:
    incidents: tuple[IncidentReport, ...]
    unexplained: tuple[Unexplained, ...]
    failures: int
    traced: int
    probes: int
    seconds: float
    source: str
    warehouse: str
    notes: tuple[str, ...] = ()
    report_version: int = REPORT_VERSION
