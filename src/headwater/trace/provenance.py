"""Row-level provenance: for a few failing rows, the upstream rows they were built from, found by
following the row's key column up the lineage (passthrough/rename/cast edges) and selecting by key."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef
from headwater.trace.checks import Check, Unique
from headwater.trace.context import Context
from headwater.trace.inputs import TRANSLATABLE
from headwater.trace.measures import failing_predicate
from headwater.trace.model import ContributingRow, RowProvenance
from headwater.warehouse import ProbeError


def key_ancestors(ctx: Context, ref: ColumnRef, limit: int = 12) -> list[ColumnRef]:
    """Columns upstream of a key column that carry the same values (breadth first)."""
    found: list[ColumnRef] = []
    queue = [ref]
    while queue and len(found) < limit:
        current = queue.pop(0)
        for edge in ctx.lineage.edges_into(current):
            if edge.kind in TRANSLATABLE and edge.source is not None and edge.source not in found:
                found.append(edge.source)
                queue.append(edge.source)
    return found


def provenance(ctx: Context, node: Node, check: Check, rows: int) -> tuple[RowProvenance, ...]:
    key = ctx.key_column(node)
    source = ctx.source(node)
    predicate = failing_predicate(check, exp.column(check.column, quoted=True)) if check.column else None
    if key is None or source is None or rows <= 0:
        return ()
    if predicate is None and isinstance(check, Unique):
        dupes = (
            exp.select(*[exp.column(c, quoted=True) for c in check.columns])
            .from_(source.copy())
            .group_by(*[exp.column(c, quoted=True) for c in check.columns])
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        predicate = exp.In(
            this=exp.column(check.columns[0], quoted=True),
            query=exp.Subquery(this=dupes.select(exp.column(check.columns[0], quoted=True), append=False)),
        )
    if predicate is None:
        return ()  # a table-level check has no failing rows to follow
    query = exp.select(exp.Star()).from_(source).where(predicate).limit(rows)
    try:
        failing = ctx.warehouse.query(
            query, purpose=f"sample failing rows of {ctx.label(node)}", relation=ctx.label(node)
        ).records()
    except ProbeError:
        return ()
    values = [r.get(key) for r in failing if r.get(key) is not None]
    upstream: dict[Any, list[ContributingRow]] = {v: [] for v in values}
    for ancestor in key_ancestors(ctx, ColumnRef(node.unique_id, key)):
        parent = ctx.node(ancestor.node)
        parent_source = ctx.source(parent)
        if parent_source is None or not values:
            continue
        column = exp.column(ancestor.column, quoted=True)
        select = (
            exp.select(exp.Star())
            .from_(parent_source)
            .where(exp.In(this=column, expressions=[exp.convert(v) for v in values]))
            .limit(rows * 5)
        )
        try:
            records = ctx.warehouse.query(
                select, purpose=f"provenance in {ctx.label(parent)}", relation=ctx.label(parent)
            ).records()
        except ProbeError:
            continue
        for record in records:
            value = record.get(ancestor.column)
            if value in upstream:
                upstream[value].append(
                    ContributingRow(parent.unique_id, ctx.label(parent), f"{ancestor.column}={value}", record)
                )
    return tuple(RowProvenance(f"{key}={r.get(key)}", r, tuple(upstream.get(r.get(key), ()))) for r in failing)
