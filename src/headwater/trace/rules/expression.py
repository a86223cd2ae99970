"""The last rule: the check fails here, its upstream columns pass, and no other rule named a mechanism, so
the model's expression for the column makes it fail (named with the expression and its line)."""

from __future__ import annotations

from headwater.trace import causes as cause
from headwater.trace.checks import columns_of, describe
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.inputs import defining_scope
from headwater.trace.model import Evidence, Mechanism


def expression(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    columns = columns_of(check)
    scope = defining_scope(ctx, node, columns[0]) if columns else None
    text = scope.output.sql(dialect=ctx.dialect) if scope is not None else ""
    column = check.column or ",".join(columns)
    evidence = Evidence(outcome.failing, outcome.failing, outcome.total, (), outcome.sql, outcome.observed)
    summary = (
        f"`{node.name}` makes `{column}` fail {describe(check)} although its upstream columns pass "
        f"({outcome.observed}); see {{where}}"
    )
    return Finding((cause.at(ctx, node, column, Mechanism.EXPRESSION, text, evidence, question.share, summary),))
