"""Default-value collapse: a most-common-value share that fails because an input of the column's
expression is NULL for the rows holding the dominant value, and the expression falls back to a constant
for them (`coalesce(case tier when … end, 0.5)`, `case when x is null then 0 else … end`).

A share cannot be carried through an expression, but the rows behind it can be asked about. The model's
own compiled SQL is re-run, instrumented (`headwater.trace.instrument.with_rows`): one scan counts, for each
input that reaches the output through a NULL-absorbing construct, its NULLs overall and among the rows that
hold the dominant value. An input whose NULL rows are the excess over `max_share` turns the share into a
row-level question: why is that input NULL? That is a not_null check, traced like any other (typically up
to the LEFT JOIN that finds no match).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef
from headwater.trace.checks import McvShare, NotNull
from headwater.trace.context import Context
from headwater.trace.diagnose import bind
from headwater.trace.instrument import ROWS, with_rows
from headwater.trace.measures import Outcome
from headwater.trace.model import PathStep, RootCause
from headwater.trace.scope import Scope, locate, without_self_filters
from headwater.warehouse import ProbeError, Warehouse

Walk = Callable[..., list[RootCause]]

# Constructs that turn a NULL input into a value: a fallback (COALESCE / IFNULL / NVL, CASE … ELSE, IF),
# a NULL test, or concat() (which reads NULL as '').
_ABSORBING = (exp.Coalesce, exp.Case, exp.If, exp.Is, exp.Concat, exp.ConcatWs)


@dataclass(frozen=True)
class NullCounts:
    """One input of the expression: its NULL rows, overall and among the rows holding the dominant value."""

    index: int  # position in `Scope.inputs()`
    column: str  # the input as written (`risk_tier`, `orders.risk_tier`)
    null_rows: int
    null_dominant: int


@dataclass(frozen=True)
class Collapse:
    total: int
    dominant: int  # rows whose output is the most common value
    inputs: tuple[NullCounts, ...]
    sql: str = ""


def absorbs_null(output: exp.Expr, column: exp.Column) -> bool:
    """Whether a NULL in `column` can give the output a value: some construct between the column and the
    output's root replaces or tests NULL.

    >>> import sqlglot
    >>> e = sqlglot.parse_one("round(coalesce(case tier when 'high' then 0.6 end, 0.5) + amount, 2)")
    >>> {c.name: absorbs_null(e, c) for c in e.find_all(exp.Column)} == {"tier": True, "amount": False}
    True
    """
    for occurrence in output.find_all(exp.Column):
        if occurrence.sql() != column.sql():
            continue
        current: exp.Expr | None = occurrence
        while current is not None and current is not output:
            current = current.parent
            if isinstance(current, _ABSORBING):
                return True
    return False


def explains(total: int, dominant: int, null_dominant: int, null_rows: int, max_share: float) -> bool:
    """The dominant rows with a NULL input are the collapse: without them the value would stay below
    `max_share`, and a NULL input makes a row more likely to hold it than a set input does.

    >>> explains(total=100, dominant=70, null_dominant=70, null_rows=100, max_share=0.55)
    True
    >>> explains(total=100, dominant=70, null_dominant=10, null_rows=14, max_share=0.55)  # too few
    False
    >>> explains(total=100, dominant=70, null_dominant=35, null_rows=50, max_share=0.55)  # unrelated
    False
    """
    if not total or not null_dominant or not null_rows:
        return False
    if (dominant - null_dominant) / total >= max_share:
        return False
    set_rows = total - null_rows
    if set_rows <= 0:  # the input is NULL everywhere: nothing to compare with, and it is the whole excess
        return True
    return null_dominant / null_rows > (dominant - null_dominant) / set_rows


def _q(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.func("sum", exp.case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0)))


def null_counts(warehouse: Warehouse, scope: Scope, value: Any, candidates: list[int], label: str) -> Collapse:
    """One instrumented scan: rows, dominant rows (`output = value`) and, per candidate input, its NULLs
    overall and among the dominant rows."""
    inputs = scope.inputs()
    projections: dict[str, exp.Expr] = {"hw_out": scope.output}
    for i in candidates:
        projections[f"hw_in_{i}"] = inputs[i]
    dominant = exp.EQ(this=_q("hw_out"), expression=exp.convert(value))
    measures: list[exp.Expr] = [
        exp.alias_(exp.Count(this=exp.Star()), "hw_total", quoted=True),
        exp.alias_(_count_if(dominant.copy()), "hw_dominant", quoted=True),
    ]
    for i in candidates:
        null = exp.Is(this=_q(f"hw_in_{i}"), expression=exp.Null())
        measures.append(exp.alias_(_count_if(null.copy()), f"hw_null_{i}", quoted=True))
        measures.append(exp.alias_(_count_if(exp.and_(dominant.copy(), null.copy())), f"hw_nd_{i}", quoted=True))
    query = with_rows(scope, projections, exp.select(*measures).from_(ROWS))
    result = warehouse.query(query, purpose=f"NULL inputs of the most common value in {label}", relation=label)
    row = result.first()
    counts = tuple(
        NullCounts(i, inputs[i].sql(), int(row.get(f"hw_null_{i}") or 0), int(row.get(f"hw_nd_{i}") or 0)) for i in candidates
    )
    return Collapse(int(row.get("hw_total") or 0), int(row.get("hw_dominant") or 0), counts, result.probe.sql)


def trace_fallback(
    ctx: Context, node: Node, check: McvShare, outcome: Outcome, share: float, depth: int, walk: Walk
) -> list[RootCause]:
    """Root causes of a collapsed share through the NULL inputs of the column's expression; [] when no
    input explains it (the caller then diagnoses the expression itself)."""
    if outcome.value is None or not outcome.total or not node.compiled_code:
        return []
    scope = locate(node.compiled_code, ctx.dialect, check.column)
    if scope is None or scope.grouped:
        return []
    if node.materialized == "incremental" and node.identifier:
        scope = without_self_filters(scope, node.identifier)
    inputs = scope.inputs()
    candidates = [i for i, column in enumerate(inputs) if absorbs_null(scope.output, column)]
    if not candidates:
        return []
    try:
        found = null_counts(ctx.warehouse, scope, outcome.value, candidates, ctx.label(node))
    except ProbeError:
        return []
    culprits = [n for n in found.inputs if explains(found.total, found.dominant, n.null_dominant, n.null_rows, check.max_share)]
    value = _shown(outcome.value, ctx.dialect)
    for n in found.inputs:
        ctx.path.append(PathStep(
            node.unique_id, ctx.label(node), n.column, f"NULL where {check.column} = {value}",
            n in culprits, n.null_dominant, found.dominant,
            f"NULL in {n.null_dominant:,} of {found.dominant:,} rows holding {value} ({n.null_rows:,} of {found.total:,} overall)",
            found.sql, via="instrumented"))
    weight = sum(n.null_dominant for n in culprits)
    causes: list[RootCause] = []
    for n in culprits:
        why = (f"; `{node.name}.{check.column}` falls back to {value} where `{n.column}` is NULL "
               f"({n.null_dominant:,} of the {found.dominant:,} rows holding it)")
        found_causes = _why_null(ctx, node, check, scope, inputs[n.index], share * n.null_dominant / weight, depth, walk)
        causes += [replace(c, summary=c.summary + why) for c in found_causes]
    return causes


def _shown(value: Any, dialect: str) -> str:
    try:
        return exp.convert(value).sql(dialect=dialect)
    except (TypeError, ValueError):
        return repr(value)


def _why_null(
    ctx: Context, node: Node, check: McvShare, scope: Scope, column: exp.Column, share: float, depth: int, walk: Walk
) -> list[RootCause]:
    """Trace `column IS NULL` from here: on this model's output column of that name when it carries the same
    upstream column (so a join of this model that misses is found first), else on the parent column."""
    from headwater.trace.walk import check_at

    edges = [e for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, check.column)) if not e.kind.is_row_edge and e.source is not None]
    edge = bind(column, edges, len(scope.inputs()))
    if edge is None or edge.source is None:
        return []
    name = column.name.lower()
    here = [e for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, name)) if not e.kind.is_row_edge and e.source == edge.source]
    target, probe = (node, NotNull(name)) if here else (ctx.node(edge.source.node), NotNull(edge.source.column))
    found = check_at(ctx, target, probe, "NULL input of the most common value")
    if not found.failed:
        return []
    return walk(ctx, target, probe, found, share, depth + 1)
