"""Filter: which WHERE conjunct of the model drops the rows a check misses — the expected values (a
distinct-values check), the newer rows (freshness), or any rows (row count)? One instrumented scan counts,
per conjunct, the target rows it drops."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.trace import causes as cause
from headwater.trace.checks import DistinctContains, Freshness, RowCount
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.inputs import defining_scope
from headwater.trace.instrument import OUT, ROWS, filter_alias, ref, with_rows
from headwater.trace.measures import count_if
from headwater.trace.model import Evidence, Mechanism


def filter_(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, DistinctContains | Freshness | RowCount) or not check.column:
        return None
    scope = defining_scope(ctx, node, check.column)
    if scope is None or not scope.filters:
        return None
    target: exp.Expr
    what = f"rows of `{scope.column}`"
    if isinstance(check, DistinctContains):
        missing = _missing_values(ctx, node, check)
        if not missing:
            return None
        target = exp.In(this=ref(OUT), expressions=[exp.convert(v) for v in missing])
        what = f"rows whose `{scope.column}` is {', '.join(repr(v) for v in missing)} (the values missing downstream)"
    elif isinstance(check, Freshness):
        kept = (
            exp.select(exp.func("max", ref(OUT)))
            .from_(ROWS)
            .where(exp.and_(*[ref(filter_alias(i)) for i in range(len(scope.filters))]))
        )
        target = exp.GT(this=ref(OUT), expression=exp.Subquery(this=kept))
        what = f"rows with a newer `{scope.column}` than any row it keeps"
    else:
        target = exp.true()
    projections: dict[str, exp.Expr] = {OUT: scope.output}
    for i, conjunct in enumerate(scope.filters):
        projections[filter_alias(i)] = conjunct
    measures: list[exp.Expr] = [exp.alias_(count_if(target.copy()), "hw_target", quoted=True)]
    for i in range(len(scope.filters)):
        dropped = exp.and_(target.copy(), exp.not_(exp.func("coalesce", ref(filter_alias(i)), exp.false())))
        measures.append(exp.alias_(count_if(dropped), f"hw_drop_{i}", quoted=True))
    query = with_rows(scope, projections, exp.select(*measures).from_(ROWS), keep_where=False)
    result = ctx.warehouse.query(query, purpose=f"filters of {ctx.label(node)}", relation=ctx.label(node))
    row: dict[str, Any] = result.first()
    targets = int(row.get("hw_target") or 0)
    most, best = max(((int(row.get(f"hw_drop_{i}") or 0), i) for i in range(len(scope.filters))), default=(0, -1))
    if not targets or not most:
        return None
    conjunct = scope.filters[best]
    text = conjunct.sql(dialect=ctx.dialect)
    columns = sorted({c.name.lower() for c in conjunct.find_all(exp.Column)})
    dropped_text = "all" if most == targets else f"{most:,} of the"
    evidence = Evidence(
        outcome.failing, most, targets, (), result.probe.sql, f"the filter drops {most:,} of {targets:,} {what}"
    )
    return Finding(
        (
            cause.at(
                ctx,
                node,
                columns[0] if columns else scope.column,
                Mechanism.FILTER,
                text,
                evidence,
                question.share,
                f"the filter `{text}` at {{where}} drops {dropped_text} {targets:,} {what}",
            ),
        )
    )


def _missing_values(ctx: Context, node: Node, check: DistinctContains) -> list[Any]:
    source = ctx.source(node)
    if source is None:
        return []
    column = exp.column(check.column, quoted=True)
    query = (
        exp.select(column)
        .distinct()
        .from_(source)
        .where(exp.In(this=column.copy(), expressions=[exp.convert(v) for v in check.values]))
    )
    present = {r[0] for r in ctx.warehouse.query(query, purpose="present values", relation=ctx.label(node)).rows}
    return [v for v in check.values if v not in present]
