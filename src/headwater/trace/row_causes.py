"""Root causes read off the instrumented classification of failing rows (`headwater.trace.instrument`):
an outer join that finds no match, and an expression that turns set inputs into NULL."""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import Edge, EdgeKind
from headwater.lineage.names import column_case, identifier_name
from headwater.trace import causes as cause
from headwater.trace.checks import Check
from headwater.trace.context import Context
from headwater.trace.instrument import Classified, Upstream, missed_keys_upstream
from headwater.trace.measures import Outcome
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.scope import JoinInfo, Scope, cte_body, key_label, locate
from headwater.warehouse import ProbeError


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
    condition = join.on.sql(dialect=ctx.dialect) if join.on is not None else ""
    file, line = ctx.where_expression(node, join.on, condition)
    keys = classified.join_miss_keys.get(join.index, 0)
    where = f"{file}:{line}" if line else file
    summary = (
        f"the {join.side.upper()} JOIN to `{join.alias}` at {where} finds no match for {keys:,} "
        f"`{key}` values ({rows:,} rows), so `{node.name}.{scope.column}` is {cause.bad_word(check)} for them"
    )
    detail = f"{keys:,} unmatched `{key}` values, {rows:,} rows (e.g. {', '.join(samples)})"
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=identifier_name(joined, column_case(ctx.dialect)),
        mechanism=Mechanism.JOIN_MISS,
        expression=condition,
        file=file,
        line=line,
        evidence=Evidence(outcome.failing, rows, classified.failing, tuple(samples), classified.sql, detail),
        share=share,
        summary=summary,
        join_side=join.side,
    )


def nulled(
    ctx: Context,
    node: Node,
    scope: Scope,
    bound: list[Edge | None],
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
    file, line = cause.located(ctx, node, scope.column, text)
    rows = classified.nulled
    samples = tuple(str(v) for v in classified.input_samples.get(0, ()) if v is not None)
    evidence = Evidence(
        outcome.failing,
        rows,
        classified.failing + classified.passing,
        samples,
        classified.sql,
        f"{rows:,} rows have every input set but a NULL result, e.g. inputs {', '.join(samples[:3])}",
    )
    if is_cast and edge is not None and edge.source is not None:
        changed = cause.source_type_change(ctx, edge.source, evidence, share)
        if changed is not None:
            return changed
    where = f"{file}:{line}" if line else file
    untyped = cause.untyped_source(ctx, edge.source) if is_cast and edge is not None and edge.source else ""
    if untyped:  # a retyped source and a cast that was always wrong look the same today: say so, name neither
        reason = (
            f"`{text}` at {where} turns {rows:,} non-NULL values of {untyped} into NULL; nothing says what its "
            f"type was, so a source column that changed type and a cast that was always too narrow look the "
            f"same: declare its data_type, or run `headwater snapshot` after a good run"
        )
        return cause.unknown(ctx, node, outcome.check, outcome, reason, share)
    what = "turns" if is_cast else "maps"
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=scope.column,
        mechanism=Mechanism.CAST_FAILURE if is_cast else Mechanism.EXPRESSION,
        expression=text,
        file=file,
        line=line,
        evidence=evidence,
        share=share,
        summary=f"`{text}` at {where} {what} {rows:,} non-NULL inputs into NULL "
        f"(e.g. {', '.join(samples[:3]) or 'see the probe'})",
    )


def _upstream_of(ctx: Context, node: Node, scope: Scope, join: JoinInfo) -> tuple[Node, Upstream] | None:
    """The SELECT that feeds the join's joined side and filters it: a CTE of this model with a WHERE, else
    the defining SELECT of the model that CTE (or the join) reads, when that has a WHERE."""
    key = join.pairs[0][1].name.lower()
    source: exp.Expr = join.source
    for _ in range(10):
        if not isinstance(source, exp.Table):
            return None
        cte = cte_body(scope.with_, source)
        if cte is None:
            parent = ctx.artifacts.manifest.node_by_relation(source.catalog or None, source.db or None, source.name)
            upstream = locate(parent.compiled_code or "", ctx.dialect, key) if parent is not None else None
            if parent is None or upstream is None or upstream.grouped or not upstream.filters:
                return None
            return parent, Upstream(upstream.select, upstream.with_, upstream.output, upstream.filters)
        if not isinstance(cte, exp.Select):
            return None
        projected = next((p for p in cte.expressions if p.alias_or_name.lower() == key), None)
        if projected is None and any(isinstance(p, exp.Star) for p in cte.expressions):
            projected = exp.column(key)
        if projected is None or cte.args.get("group") or cte.args.get("joins"):
            return None
        where = cte.args.get("where")
        value = projected.unalias() if isinstance(projected, exp.Alias) else projected
        if where is not None:
            conjuncts = tuple(where.this.flatten()) if isinstance(where.this, exp.And) else (where.this,)
            return node, Upstream(cte, scope.with_, value, conjuncts)
        from_ = cte.args.get("from_")
        source = from_.this if from_ is not None else exp.Null()
        key = value.name.lower() if isinstance(value, exp.Column) else key
    return None


def filtered_before_join(
    ctx: Context, node: Node, scope: Scope, join: JoinInfo, outcome: Outcome, share: float
) -> RootCause | None:
    """A join miss explained one level deeper: most missed keys exist upstream of the joined side and one
    WHERE conjunct on the way (in a CTE, or in the model the join reads) drops them. None otherwise."""
    found = _upstream_of(ctx, node, scope, join) if join.pairs else None
    if found is None:
        return None
    where_node, upstream = found
    try:
        counted = missed_keys_upstream(ctx.warehouse, scope, join, upstream, ctx.label(node))
    except ProbeError:
        return None
    best = max(range(len(counted.dropped)), key=lambda i: counted.dropped[i], default=None)
    if best is None or not counted.missed or counted.present * 2 < counted.missed:
        return None
    dropped = counted.dropped[best]
    if dropped * 2 < counted.missed:
        return None
    conjunct = upstream.conjuncts[best]
    text = conjunct.sql(dialect=ctx.dialect)
    file, line = ctx.where_expression(where_node, conjunct, text)
    where = f"{file}:{line}" if line else file
    key = key_label(join.pairs[0][0], ctx.dialect)
    columns = sorted({c.name.lower() for c in conjunct.find_all(exp.Column)})
    detail = (
        f"{counted.missed:,} `{key}` values find no match; {counted.present:,} of them exist before the "
        f"WHERE, and `{text}` drops {dropped:,}"
    )
    summary = (
        f"the filter `{text}` at {where} drops {dropped:,} of the {counted.missed:,} `{key}` values the "
        f"{join.side.upper()} JOIN to `{join.alias}` in `{node.name}` then misses, so "
        f"`{node.name}.{scope.column}` has no value for their rows"
    )
    return RootCause(
        CauseKind.TRANSFORMATION,
        where_node.unique_id,
        ctx.label(where_node),
        columns[0] if columns else key,
        Mechanism.FILTER,
        text,
        file,
        line,
        Evidence(outcome.failing, dropped, counted.missed, (), counted.sql, detail),
        share,
        summary,
    )
