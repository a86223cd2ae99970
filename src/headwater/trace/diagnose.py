"""Local diagnosis at a node where the walk stops: each function turns evidence into a RootCause.

Row-level mechanisms from the instrumented SQL (join miss, cast failure, expression) live here; table-level
ones (fan-out, filter, schema change, drift) in `headwater.trace.local`.
"""

from __future__ import annotations

import re

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef, Edge, EdgeKind
from headwater.trace.checks import Between, Check, Freshness, InSet, NotNull, Schema, columns_of, describe
from headwater.trace.context import Context
from headwater.trace.instrument import ROWS, Classified, classify, relevant_joins, with_rows
from headwater.trace.local import locally, schema_origin, source_type_change
from headwater.trace.measures import Outcome, failing_predicate
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.scope import JoinInfo, Scope, key_label
from headwater.warehouse import ProbeError

__all__ = ["locally", "schema_origin"]


def placeholder() -> exp.Column:
    return exp.column("hw_x")


def bind(column: exp.Column, edges: list[Edge], n_inputs: int) -> Edge | None:
    """The lineage edge an input column of the defining SELECT stands for (matched by name)."""
    named = [e for e in edges if e.source is not None and e.source.column == column.name.lower()]
    if named:
        return min(named, key=lambda e: list(EdgeKind).index(e.kind))
    if n_inputs == 1 and len(edges) == 1:
        return edges[0]
    return None


def classify_safely(
    ctx: Context, node: Node, scope: Scope, check: Check, translatable: list[bool]
) -> Classified | None:
    label = ctx.label(node)
    keys = _sample_keys(ctx, node, scope)
    try:
        return classify(ctx.warehouse, scope, check, translatable, label, keys)
    except ProbeError:
        if not any(translatable):
            return None
    try:  # the literal predicate did not fit the input's type (a retyped column): compare values instead
        return classify(ctx.warehouse, scope, check, [False] * len(translatable), label, keys)
    except ProbeError:
        return None


def _sample_keys(ctx: Context, node: Node, scope: Scope) -> dict[str, exp.Expr]:
    key = ctx.key_column(node)
    if key is None or key == scope.column:
        return {}
    from headwater.trace.scope import locate

    key_scope = locate(node.compiled_code or "", ctx.dialect, key)
    if key_scope is None or (key_scope.select is not scope.select and key_scope.select.sql() != scope.select.sql()):
        return {}
    return {key: key_scope.output}


def _key_values(classified: Classified) -> tuple[str, ...]:
    out: list[str] = []
    for row in classified.samples:
        keys = [f"{k.removeprefix('hw_key_')}={v}" for k, v in row.items() if k.startswith("hw_key_")]
        out.append(", ".join(keys) if keys else f"value={row.get('hw_out')!r}")
    return tuple(out)


def _located(ctx: Context, node: Node, column: str, text: str, kind: EdgeKind | None = None) -> tuple[str, int | None]:
    edges = [e for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, column)) if e.location is not None and e.location.line]
    for edge in edges:
        if (kind is None or edge.kind == kind) and (kind is not None or text.lower()[:20] in edge.expression.lower()):
            return edge.location.file, edge.location.line  # type: ignore[union-attr]
    file, line = ctx.where(node, text)
    if line is None:  # the value edge of the column says where its expression is written
        value = next((e for e in edges if not e.kind.is_row_edge), None)
        if value is not None and value.location is not None:
            return value.location.file, value.location.line
    return file, line


def join_misses(
    ctx: Context, node: Node, scope: Scope, check: Check, classified: Classified, outcome: Outcome, scale: float
) -> list[RootCause]:
    causes: list[RootCause] = []
    for join in relevant_joins(scope):
        rows = classified.join_miss.get(join.index, 0)
        if not rows:
            continue
        causes.append(join_miss(ctx, node, scope, join, check, rows, classified, outcome, scale * rows))
    return causes


def join_miss(
    ctx: Context,
    node: Node,
    scope: Scope,
    join: JoinInfo,
    check: Check,
    rows: int,
    classified: Classified,
    outcome: Outcome,
    share: float,
) -> RootCause:
    driving, joined = join.pairs[0]
    key = key_label(driving, ctx.dialect)
    samples = [f"{key}={value}" for value in classified.join_miss_samples.get(join.index, ())]
    sql = classified.sql
    condition = join.on.sql(dialect=ctx.dialect) if join.on is not None else ""
    file, line = ctx.where_expression(node, join.on, condition)
    keys = classified.join_miss_keys.get(join.index, 0)
    where = f"{file}:{line}" if line else file
    summary = (
        f"the {join.side.upper()} JOIN to `{join.alias}` at {where} finds no match for {keys:,} "
        f"`{key}` values ({rows:,} rows), so `{node.name}.{scope.column}` is {_bad_word(check)} for them"
    )
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=joined.name.lower(),
        mechanism=Mechanism.JOIN_MISS,
        expression=condition,
        file=file,
        line=line,
        evidence=Evidence(outcome.failing, rows, classified.failing, tuple(samples), sql, f"{keys:,} unmatched `{key}` values, {rows:,} rows (e.g. {', '.join(samples)})"),
        share=share,
        summary=summary,
        join_side=join.side,
    )


def _bad_word(check: Check) -> str:
    return "NULL" if isinstance(check, NotNull) else f"failing {describe(check)}"


def derived_input_check(
    ctx: Context, scope: Scope, check: Check, classified: Classified, i: int, parent_column: str
) -> tuple[Check | None, int]:
    """Through an expression the check cannot be translated. The inputs of failing rows are bad when they
    are values the passing rows never have (categorical) or lie outside the passing rows' range (numeric);
    one grouped scan counts them. Returns the check to carry upstream (`not in {bad values}` /
    `between [passing min, passing max]`) and the failing rows it explains."""
    if not classified.passing or i not in classified.passing_range:
        return None, 0  # every row fails: the transformation, not some inputs
    low, high = classified.passing_range[i]
    sample = next((r.get(f"hw_in_{i}") for r in classified.samples if r.get(f"hw_in_{i}") is not None), None)
    numeric = (isinstance(sample, int | float) and not isinstance(sample, bool)) or hasattr(sample, "as_tuple")
    predicate = failing_predicate(check, exp.column("hw_out", quoted=True))
    assert predicate is not None
    value = exp.column(f"hw_in_{i}", quoted=True)
    failing = exp.paren(predicate.copy())
    projections = {"hw_out": scope.output, f"hw_in_{i}": scope.inputs()[i]}
    if numeric and low is not None:
        outside = exp.and_(failing, exp.or_(exp.LT(this=value.copy(), expression=exp.convert(low)),
                                            exp.GT(this=value.copy(), expression=exp.convert(high))))
        outer = exp.select(exp.func("sum", exp.case().when(outside, exp.Literal.number(1)).else_(exp.Literal.number(0)))).from_(ROWS)
        result = ctx.warehouse.query(with_rows(scope, projections, outer), purpose="inputs outside the passing range", relation=scope.column)
        bad = int(result.rows[0][0] or 0)
        return (Between(parent_column, low, high), bad) if bad * 2 >= classified.failing else (None, 0)
    one = exp.Literal.number(1)
    zero = exp.Literal.number(0)
    groups = (
        exp.select(value.copy(),
                   exp.alias_(exp.func("sum", exp.case().when(failing.copy(), one).else_(zero)), "hw_f", quoted=True),
                   exp.alias_(exp.func("sum", exp.case().when(failing.copy(), zero).else_(one)), "hw_p", quoted=True))
        .from_(ROWS).where(exp.not_(exp.Is(this=value.copy(), expression=exp.Null()))).group_by(value.copy())
    )
    outer = (
        exp.select(value.copy(), exp.column("hw_f", quoted=True),
                   exp.alias_(exp.Window(this=exp.func("sum", exp.column("hw_f", quoted=True))), "hw_total", quoted=True))
        .from_(groups.subquery("hw_groups"))
        .where(exp.and_(exp.column("hw_p", quoted=True).eq(zero), exp.GT(this=exp.column("hw_f", quoted=True), expression=zero)))
        .order_by(exp.Ordered(this=exp.column("hw_f", quoted=True), desc=True)).limit(50)
    )
    rows = ctx.warehouse.query(with_rows(scope, projections, outer), purpose="input values never passing", relation=scope.column).rows
    bad = int(rows[0][2]) if rows else 0
    if bad * 2 < classified.failing:
        return None, 0
    return InSet(parent_column, tuple(r[0] for r in rows), negate=True), bad


def transformation(
    ctx: Context, node: Node, scope: Scope, edge: Edge | None, check: Check, rows: int, outcome: Outcome, share: float
) -> RootCause:
    text = edge.expression if edge is not None and edge.expression else scope.output.sql(dialect=ctx.dialect)
    file, line = (edge.location.file, edge.location.line) if edge is not None and edge.location is not None and edge.location.line else _located(ctx, node, scope.column, text)
    where = f"{file}:{line}" if line else file
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=scope.column,
        mechanism=Mechanism.EXPRESSION,
        expression=text,
        file=file,
        line=line,
        evidence=Evidence(outcome.failing, rows, outcome.total, (), outcome.sql, f"{rows:,} rows fail although their inputs pass"),
        share=share,
        summary=f"`{text}` at {where} produces {_bad_word(check)} values for {rows:,} rows whose inputs pass",
    )


def nulled(
    ctx: Context,
    node: Node,
    scope: Scope,
    bound: list[Edge | None],
    check: Check,
    classified: Classified,
    outcome: Outcome,
    share: float,
) -> RootCause:
    """The output is NULL although every input is set: a cast that fails, or an expression that nulls."""
    is_cast = any(isinstance(n, exp.Cast | exp.TryCast) for n in scope.output.walk()) or any(
        e is not None and e.kind == EdgeKind.CAST for e in bound
    )
    edge = next((e for e in bound if e is not None), None)
    text = edge.expression if edge is not None and edge.expression else scope.output.sql(dialect=ctx.dialect)
    file, line = _located(ctx, node, scope.column, text)
    rows = classified.nulled
    samples = tuple(str(r.get("hw_in_0")) for r in classified.samples if r.get("hw_in_0") is not None)
    evidence = Evidence(outcome.failing, rows, classified.failing + classified.passing, samples, classified.sql,
                        f"{rows:,} rows have every input set but a NULL result, e.g. inputs {', '.join(samples[:3])}")
    if is_cast and edge is not None and edge.source is not None:
        changed = source_type_change(ctx, edge.source, evidence, share)
        if changed is not None:
            return changed
    where = f"{file}:{line}" if line else file
    mechanism = Mechanism.CAST_FAILURE if is_cast else Mechanism.EXPRESSION
    what = "turns" if is_cast else "maps"
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=scope.column,
        mechanism=mechanism,
        expression=text,
        file=file,
        line=line,
        evidence=evidence,
        share=share,
        summary=f"`{text}` at {where} {what} {rows:,} non-NULL inputs into NULL (e.g. {', '.join(samples[:3]) or 'see the probe'})",
    )


def at_leaf(ctx: Context, node: Node, check: Check, outcome: Outcome, share: float) -> RootCause:
    """A source, seed or snapshot that already fails: the data arrives bad."""
    mechanism = Mechanism.SOURCE_DATA
    kind = CauseKind.SOURCE
    if isinstance(check, Freshness) or _newest_too_old(check, outcome):
        mechanism = Mechanism.STALE
    elif isinstance(check, Schema):
        mechanism, kind = Mechanism.SCHEMA_CHANGE, CauseKind.SCHEMA
    elif check.name == "drift":
        mechanism = Mechanism.DRIFT
    column = ",".join(columns_of(check))
    samples, sql = _leaf_samples(ctx, node, check)
    name = f"{node.display_name}.{column}" if column else node.display_name
    if mechanism == Mechanism.STALE:
        summary = f"`{name}` is stale at the source {ctx.label(node)}: {outcome.observed}"
    elif isinstance(check, InSet) and check.negate and check.values:
        # the values that fail downstream, found through an expression: say they arrive, not "not_in_set"
        shown = ", ".join(repr(v) for v in check.values[:5]) + (" …" if len(check.values) > 5 else "")
        summary = f"`{name}` already arrives with {shown} at the source {ctx.label(node)} ({outcome.observed})"
    elif outcome.failing:
        summary = f"`{name}` already fails {describe(check)} at the source {ctx.label(node)} ({outcome.observed})"
    else:
        summary = f"`{name}` already fails {describe(check)} at the source {ctx.label(node)}: {outcome.observed}"
    return RootCause(
        kind=kind,
        node=node.unique_id,
        relation=ctx.label(node),
        column=column,
        mechanism=mechanism,
        file=node.original_file_path,
        line=ctx.yaml_line(node, check.column or ""),
        evidence=Evidence(None, outcome.failing, outcome.total, samples, sql or outcome.sql, outcome.observed),
        share=share,
        summary=summary,
    )


def _newest_too_old(check: Check, outcome: Outcome) -> bool:
    """`max(timestamp) >= bound` failing at a source is staleness, whatever the expectation is called."""
    if not isinstance(check, Between) or check.stat != "max" or check.min_value is None:
        return False
    return bool(re.match(r"\d{4}-\d{2}-\d{2}", str(check.min_value))) and "max =" in outcome.observed


def _leaf_samples(ctx: Context, node: Node, check: Check) -> tuple[tuple[str, ...], str]:
    key = ctx.key_column(node)
    source = ctx.source(node)
    predicate = failing_predicate(check, exp.column(check.column, quoted=True)) if check.column else None
    if key is None or source is None or predicate is None:
        return (), ""
    query = exp.select(exp.column(key, quoted=True)).from_(source).where(predicate).limit(5)
    try:
        result = ctx.warehouse.query(query, purpose=f"failing rows of {ctx.label(node)}", relation=ctx.label(node))
    except ProbeError:
        return (), ""
    return tuple(f"{key}={r[0]}" for r in result.rows), result.probe.sql


def unknown(ctx: Context, node: Node, check: Check, outcome: Outcome, reason: str, share: float) -> RootCause:
    return RootCause(
        kind=CauseKind.UNKNOWN,
        node=node.unique_id,
        relation=ctx.label(node),
        column=",".join(columns_of(check)),
        mechanism=Mechanism.UNKNOWN,
        file=node.original_file_path,
        evidence=Evidence(outcome.failing, None, outcome.total, (), outcome.sql, reason),
        share=share,
        summary=f"cannot follow `{node.name}` further up: {reason}",
    )
