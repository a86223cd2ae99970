"""Translate the check along passthrough/rename/cast edges (and, for freshness, scalar expressions) and
re-run it on each parent that gives the checked columns their values. A parent that fails too is where
the walk goes next; when every parent passes, the failure is made here and the local rules decide how.

A multi-column check whose columns come from different parents is not carried. A parent on which the
check could not run means this node is never blamed: the finding is unknown with that reason.
"""

from __future__ import annotations

from collections import defaultdict

from headwater.lineage import Edge, EdgeKind
from headwater.trace import causes as cause
from headwater.trace.checks import Check, Freshness, columns_of, rename
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import TRANSLATABLE


def translate(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome, share = question.node, question.check, question.outcome, question.share
    columns = columns_of(check)
    by_parent: dict[str, dict[str, Edge]] = defaultdict(dict)
    unknown: list[Edge] = []
    for column in columns:
        for edge in ctx.value_edges(node, column):
            if edge.kind == EdgeKind.UNKNOWN:
                unknown.append(edge)
            elif edge.source is not None and _translatable(check, edge):
                by_parent[edge.source.node][column] = edge
    ascend: list[Ascend] = []
    errors: list[str] = []
    checked = False
    for parent_id, mapped in by_parent.items():
        if set(mapped) != set(columns):
            continue
        parent = ctx.node(parent_id)
        derived = rename(check, {c: e.source.column for c, e in mapped.items() if e.source is not None})
        via = "/".join(sorted({e.kind.value for e in mapped.values()}))
        there = ctx.check(parent, derived, via)
        checked = True
        if there.failed:
            ascend.append(Ascend(parent, derived, there, share, via))
        elif there.failed is None:
            errors.append(f"the check could not run on {parent.name}: {there.error}")
    # never blame this node while an input could not be examined
    blocked = tuple(cause.unknown(ctx, node, check, outcome, errors[0], share) for _ in errors[:1])
    if ascend:
        return Finding(ascend=tuple(ascend), fallback=blocked, final=False)
    if blocked:
        return Finding(blocked)
    if not checked and unknown:
        return Finding((cause.unknown(ctx, node, check, outcome, unknown[0].reason, share),))
    return None


def _translatable(check: Check, edge: Edge) -> bool:
    if edge.kind in TRANSLATABLE:
        return True
    # The newest timestamp survives a scalar expression on it (a cast to date, a timezone shift) closely
    # enough to say where freshness was lost; values of other checks are not comparable through one.
    return isinstance(check, Freshness) and edge.kind == EdgeKind.EXPRESSION
