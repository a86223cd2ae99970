"""A row check on an aggregate (`count(distinct session_id) >= 1`, `coalesce(sum(x), 0) >= 1`) is not carried
verbatim across the aggregate: the input rows of the failing groups are asked about instead. When most of
them have an input NULL, the question becomes `not_null` on the column that input reads, which the engine
follows (to the source, a join that misses…). Otherwise the next rules look at the aggregate itself."""

from __future__ import annotations

from sqlglot import exp

from headwater.trace.aggregates import null_inputs_of_failing_groups
from headwater.trace.checks import NotNull
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import bind, defining_scope, is_row_check
from headwater.trace.model import PathStep
from headwater.trace.scope import Scope

MOST = 0.5  # the NULL share among the failing groups' input rows that makes the input the question


def aggregate_inputs(ctx: Context, question: Question) -> Finding | None:
    node, check = question.node, question.check
    if not is_row_check(check) or ctx.is_leaf(node):
        return None
    scope = defining_scope(ctx, node, check.column)
    if scope is None or not _plain_group_by(scope):
        return None
    found = null_inputs_of_failing_groups(ctx.warehouse, scope, check, ctx.label(node))
    if found is None or not found.rows:
        return None
    inputs = scope.inputs()
    edges = [e for e in ctx.value_edges(node, check.column) if e.source is not None]
    steps: list[PathStep] = []
    ascend: list[Ascend] = []
    for i, nulls in found.nulls.items():
        steps.append(
            PathStep(
                node.unique_id,
                ctx.label(node),
                inputs[i].name.lower(),
                f"NULL in the input rows of groups failing {check.name}",
                nulls * 2 >= found.rows,
                nulls,
                found.rows,
                f"{nulls:,} of {found.rows:,} input rows of {found.groups:,} "
                f"failing groups have `{inputs[i].sql()}` NULL",
                found.sql,
                via="aggregate",
            )
        )
        edge = bind(inputs[i], edges, len(inputs))
        if nulls < MOST * found.rows or edge is None or edge.source is None:
            continue
        parent = ctx.node(edge.source.node)
        probe = NotNull(edge.source.column)
        there = ctx.check(parent, probe, "NULL input of the aggregate")
        if there.failed:
            ascend.append(
                Ascend(
                    parent,
                    probe,
                    there,
                    question.share * nulls / found.rows,
                    "aggregate",
                    suffix=f"; the {found.groups:,} failing groups of `{node.name}` aggregate only "
                    f"NULL `{inputs[i].sql()}`",
                )
            )
    return Finding(ascend=tuple(ascend), steps=tuple(steps), final=False) if steps else None


def _plain_group_by(scope: Scope) -> bool:
    """A GROUP BY aggregate (not a window) over the defining SELECT's rows."""
    return bool(scope.select.args.get("group")) and not any(isinstance(n, exp.Window) for n in scope.output.walk())
