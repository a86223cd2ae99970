"""A row check through one input carried unchanged (passthrough, rename, cast, and no outer join feeding
it) is asked of the parent directly: translating says as much as instrumenting would, for one query less.

Through a NULL-propagating expression (`lower(x)`, `x * 100`) over the parent's rows one to one, as many
NULLs in as out in as many rows are the same rows: a not_null check is carried up the same way. The parent
must explain all of the failure (as many failing rows), else the instrumented rule looks closer.
"""

from __future__ import annotations

from headwater.trace.checks import NotNull, rename
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import bound_inputs, row_scope
from headwater.trace.instrument import relevant_joins
from headwater.trace.scope import null_propagating, one_to_one


def translate_row(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    scope = row_scope(ctx, node, check)
    if scope is None:
        return None
    bound, translatable = bound_inputs(ctx, node, scope, check)
    edge = bound[0] if len(bound) == 1 else None
    if edge is None or edge.source is None:
        return None
    simple = translatable[0] and not relevant_joins(scope)
    strict = isinstance(check, NotNull) and one_to_one(scope) and null_propagating(scope.output)
    if not (simple or strict):
        return None
    derived = rename(check, {check.column: edge.source.column})
    parent = ctx.node(edge.source.node)
    there = ctx.check(parent, derived, edge.kind.value)
    here, up = outcome.failing or 0, there.failing or 0
    covers = up >= here if simple else (up == here and there.total == outcome.total)
    if not (there.failed and covers):
        return None
    return Finding(ascend=(Ascend(parent, derived, there, question.share, edge.kind.value),))
