"""Default-value collapse: a most-common-value share that fails because an input of the column's
expression is NULL for the rows holding the dominant value, and the expression falls back to a constant
for them (`coalesce(case tier when … end, 0.5)`, `case when x is null then 0 else … end`).

One instrumented scan (`headwater.trace.collapse.null_counts`) counts each NULL-absorbing input's NULLs
among the dominant rows; an input whose NULL rows are the excess over `max_share` turns the share into a
row-level question, `not_null` on that input, which the engine follows (typically up to the LEFT JOIN that
finds no match). When no input explains it, the next rule blames the expression.
"""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef
from headwater.trace.checks import McvShare, NotNull
from headwater.trace.collapse import absorbs_null, explains, null_counts, shown
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import bind, defining_scope
from headwater.trace.model import PathStep
from headwater.trace.scope import Scope
from headwater.warehouse import ProbeError


def default_value(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, McvShare) or outcome.value is None or not outcome.total:
        return None
    scope = defining_scope(ctx, node, check.column)
    if scope is None or scope.grouped:
        return None
    inputs = scope.inputs()
    candidates = [i for i, column in enumerate(inputs) if absorbs_null(scope.output, column)]
    if not candidates:
        return None
    try:
        found = null_counts(ctx.warehouse, scope, outcome.value, candidates, ctx.label(node))
    except ProbeError:
        return None
    culprits = [
        n for n in found.inputs if explains(found.total, found.dominant, n.null_dominant, n.null_rows, check.max_share)
    ]
    value = shown(outcome.value, ctx.dialect)
    steps = tuple(
        PathStep(
            node.unique_id,
            ctx.label(node),
            n.column,
            f"NULL where {check.column} = {value}",
            n in culprits,
            n.null_dominant,
            found.dominant,
            f"NULL in {n.null_dominant:,} of {found.dominant:,} rows holding {value} "
            f"({n.null_rows:,} of {found.total:,} overall)",
            found.sql,
            via="instrumented",
        )
        for n in found.inputs
    )
    weight = sum(n.null_dominant for n in culprits)
    ascend: list[Ascend] = []
    for n in culprits:
        why = (
            f"; `{node.name}.{check.column}` falls back to {value} where `{n.column}` is NULL "
            f"({n.null_dominant:,} of the {found.dominant:,} rows holding it)"
        )
        step = _why_null(ctx, node, check, scope, inputs[n.index], question.share * n.null_dominant / weight, why)
        if step is not None:
            ascend.append(step)
    return Finding(ascend=tuple(ascend), steps=steps, final=False)


def _why_null(
    ctx: Context, node: Node, check: McvShare, scope: Scope, column: exp.Column, share: float, why: str
) -> Ascend | None:
    """Ask `column IS NULL` from here: on this model's output column of that name when it carries the same
    upstream column (so a join of this model that misses is found first), else on the parent column."""
    edges = [e for e in ctx.value_edges(node, check.column) if e.source is not None]
    edge = bind(column, edges, len(scope.inputs()))
    if edge is None or edge.source is None:
        return None
    name = column.name.lower()
    here = [
        e
        for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, name))
        if not e.kind.is_row_edge and e.source == edge.source
    ]
    target, probe = (node, NotNull(name)) if here else (ctx.node(edge.source.node), NotNull(edge.source.column))
    found = ctx.check(target, probe, "NULL input of the most common value")
    if not found.failed:
        return None
    return Ascend(target, probe, found, share, "NULL input of the most common value", suffix=why)
