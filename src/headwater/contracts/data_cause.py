"""Upstream cause of a failed data rule, delegated to `headwater.trace`.

A contract's not-null, unique or accepted-values rule is the same question `headwater trace` answers for a
failed GX expectation, so the gate asks it rather than walking lineage a second way: the tracer translates
the check along passthrough/rename/cast edges, re-runs it upstream in one query per relation, and where the
parents pass it looks inside the model for a join miss, a fan-out, a filter or a failing cast. The gate's
open warehouse connection and lineage are reused (one `Tracer` per gate run), so this costs a few read-only
queries per failed rule (about a second on the example) and imports no `great_expectations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot.errors import SqlglotError

from headwater.contracts.model import (
    ContractChange,
    NullableWhereRequired,
    QualityFailed,
    UniquenessLost,
    UpstreamCause,
)
from headwater.errors import HeadwaterError

if TYPE_CHECKING:
    from headwater.dbt import UniqueId
    from headwater.trace import Tracer
    from headwater.trace.checks import Check


def trace_check(change: ContractChange) -> Check | None:
    """The `headwater.trace` check that restates a failed data rule, or None when it has none."""
    from headwater.trace import checks as ck

    if isinstance(change, NullableWhereRequired) and change.null_count:
        return ck.NotNull(change.column.lower())
    if isinstance(change, UniquenessLost):
        return ck.Unique((change.column.lower(),))
    if not isinstance(change, QualityFailed):
        return None
    rule = change.rule
    columns = [rule.column] if rule.column else list(rule.arguments.get("properties") or ())
    if not columns or (rule.unit == "percent" and rule.threshold):
        return None  # a tolerated share is not a per-row question the tracer can restate
    column = str(columns[0]).lower()
    if rule.metric in ("nullValues", "missingValues") and rule.operator == "mustBe" and len(columns) == 1:
        return ck.NotNull(column)
    if rule.metric == "duplicateValues":
        return ck.Unique(tuple(str(c).lower() for c in columns))
    valid = rule.arguments.get("validValues")
    if rule.metric == "invalidValues" and valid and len(columns) == 1:
        return ck.InSet(column, tuple(valid))
    return None


def data_cause(tracer: Tracer, node: UniqueId, change: ContractChange) -> UpstreamCause | None:
    """The tracer's top root cause of `change` on `node`, or None when it cannot say."""
    check = trace_check(change)
    if check is None:
        return None
    from headwater.trace.model import CauseKind

    try:
        explanation = tracer.explain(node, check)
    except (HeadwaterError, SqlglotError):
        return None  # the break itself is still reported; only its explanation is missing
    known = [c for c in explanation.causes if c.kind != CauseKind.UNKNOWN]  # ranked: most of the failure first
    if not known:
        return None
    top = known[0]
    return UpstreamCause(
        top.node,
        top.column,
        change,
        mechanism=str(top.mechanism),
        summary=top.summary,
        file=top.file,
        line=top.line,
    )
