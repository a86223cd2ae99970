"""A distribution (drift, most-common-value share) is not carried through a lookup join: the joined side's
values count once per key there, not once per driving row, so upstream shares are of other rows.

One exception, general: NULL as the most common value of an outer-joined column is a row-level question
(which rows have no value, and why), which the instrumented rule answers: ascend with not_null here.
"""

from __future__ import annotations

from headwater.dbt import Node
from headwater.trace import causes as cause
from headwater.trace.checks import Drift, McvShare, NotNull, columns_of
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.scope import locate


def lookup_distribution(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, Drift | McvShare):
        return None
    reason = _reshapes_rows(ctx, node, columns_of(check))
    if not reason:
        return None
    if isinstance(check, McvShare) and outcome.total:
        nulls = NotNull(check.column)
        found = ctx.check(node, nulls, "NULL share")
        if found.failing and found.failing >= (outcome.failing or 0):  # NULL is the most common value
            return Finding(ascend=(Ascend(node, nulls, found, question.share, "NULL share"),))
    return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))


def _reshapes_rows(ctx: Context, node: Node, columns: tuple[str, ...]) -> str:
    """Why a distribution check cannot be carried upstream of this model ("" when it can): the column's
    values come from a joined (lookup) side. Values of the driving table keep their proportions (a GROUP BY
    key roughly too)."""
    scope = locate(node.compiled_code or "", ctx.dialect, columns[0]) if columns else None
    if scope is None:
        column = columns[0] if columns else ""
        return f"the SELECT that defines `{node.name}.{column}` could not be located in its compiled SQL"
    lookups = sorted({c.table for c in scope.inputs() if c.table and c.table.lower() != scope.driving.lower()})
    if not scope.joins or not lookups:
        return ""
    tables = ", ".join(f"`{t}`" for t in lookups)
    return (
        f"`{node.name}.{scope.column}` takes its values from the joined lookup {tables}, where each value counts once "
        f"per key, not once per `{scope.driving}` row: the distribution cannot be compared upstream of the join "
        f"(give {tables} and the `{scope.driving}` keys a baseline of their own to tell which moved)"
    )
