"""A join miss explained one level deeper, by where its unmatched keys come from:

- the key is changed by an expression in the ON condition (`lower(c.code) = k.code`) and the bare values
  would match: the expression is the cause (`expression`, at the ON condition's line);
- the key is changed by an expression upstream of the join (a CTE projection of the model, or a model it
  reads: `lower(country_code) as country_code`), found by following the key's lineage through plain
  projections, and most missed keys are what it makes of input values the joined side has: that
  expression is the cause (`expression`, at its own node and line);
- the unmatched keys are absent at the source of the joined side too (orphans at the source): the question
  becomes "every key of the driving side's source exists in the joined side's source", asked at the source
  where the driving keys originate, and the walk goes on there (`source_data` when it fails).

A WHERE on the way that drops the joined rows is `row_causes.filtered_before_join`. Each explanation is
taken only when it covers at least half of the missed keys; otherwise the join miss stands.
"""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import EdgeKind
from headwater.trace import causes as cause
from headwater.trace.checks import Referential
from headwater.trace.context import Context
from headwater.trace.finding import Ascend
from headwater.trace.instrument import Upstream, keys_from_inputs, missed_keys_matching
from headwater.trace.measures import Outcome
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.scope import JoinInfo, Scope, cte_body, locate
from headwater.warehouse import ProbeError

_CARRIES_KEYS = (EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST)


def key_expression(
    ctx: Context, node: Node, scope: Scope, join: JoinInfo, outcome: Outcome, share: float
) -> RootCause | None:
    """The ON condition compares an expression of the driving key, and most missed keys match bare."""
    if len(join.pairs) != 1 or join.side == "right":
        return None
    driving, joined = join.pairs[0]
    if isinstance(driving, exp.Column):
        return None
    bare = {c.sql(): c for c in driving.find_all(exp.Column)}
    if len(bare) != 1:
        return None
    column = next(iter(bare.values()))
    keys = exp.select(exp.column(joined.this.copy())).from_(join.source.copy())
    try:
        missed, matching, sql = missed_keys_matching(ctx.warehouse, scope, join, column.copy(), keys, ctx.label(node))
    except ProbeError:
        return None
    if not missed or matching * 2 < missed:
        return None
    text = driving.sql(dialect=ctx.dialect)
    file, line = ctx.where_expression(node, driving, text)
    where = f"{file}:{line}" if line else file
    bare_text = column.sql(dialect=ctx.dialect)
    detail = f"{missed:,} `{text}` values find no match; {matching:,} of them match as `{bare_text}`"
    summary = (
        f"`{text}` in the {join.side.upper()} JOIN to `{join.alias}` at {where} changes the key: {matching:,} of "
        f"the {missed:,} unmatched values would match as `{bare_text}`, so `{node.name}.{scope.column}` has no "
        f"value for their rows"
    )
    evidence = Evidence(outcome.failing, matching, missed, (), sql, detail)
    return _key_cause(ctx, node, column.name.lower(), text, (file, line), evidence, share, summary)


def key_changed_upstream(
    ctx: Context, node: Node, scope: Scope, join: JoinInfo, outcome: Outcome, share: float
) -> RootCause | None:
    """The driving key reaches the ON condition bare, but upstream of the join an expression of one column
    computes it (in a CTE of this model or in a model it reads), and most missed keys are what that
    expression makes of input values the joined side has: the expression changed the key."""
    if len(join.pairs) != 1 or join.side != "left":
        return None
    driving, joined = join.pairs[0]
    if not isinstance(driving, exp.Column):
        return None
    found = _computed_upstream(ctx, node, scope, _relation_of(scope, join, driving), driving.name)
    if found is None:
        return None
    here, origin, bare, key = found
    wanted = exp.select(exp.column(joined.this.copy())).from_(join.source.copy())
    keys = keys_from_inputs(origin, bare, wanted)
    try:
        missed, matching, sql = missed_keys_matching(ctx.warehouse, scope, join, driving.copy(), keys, ctx.label(node))
    except ProbeError:
        return None
    if not missed or matching * 2 < missed:
        return None
    text = origin.key.sql(dialect=ctx.dialect)
    file, line = ctx.where_expression(here, origin.key, text)
    where = f"{file}:{line}" if line else file
    bare_text = bare.sql(dialect=ctx.dialect)
    detail = (
        f"{missed:,} `{driving.name}` values find no match; {matching:,} of them are `{text}` of a `{bare_text}` "
        f"value the joined side has"
    )
    summary = (
        f"`{text}` at {where} changes the key `{key}` upstream of the {join.side.upper()} JOIN to `{join.alias}` "
        f"in `{node.name}`: {matching:,} of the {missed:,} unmatched values would match as `{bare_text}`, so "
        f"`{node.name}.{scope.column}` has no value for their rows"
    )
    evidence = Evidence(outcome.failing, matching, missed, (), sql, detail)
    return _key_cause(ctx, here, key, text, (file, line), evidence, share, summary)


def _key_cause(
    ctx: Context, node: Node, column: str, text: str, place: tuple[str, int | None], evidence: Evidence,
    share: float, summary: str,
) -> RootCause:
    """An expression that changed a join key: the cause is that expression, where it is written."""
    file, line = place
    return RootCause(
        CauseKind.TRANSFORMATION, node.unique_id, ctx.label(node), column, Mechanism.EXPRESSION, text, file, line,
        evidence, share, summary,
    )  # fmt: skip


def _computed_upstream(
    ctx: Context, node: Node, scope: Scope, source: exp.Expr | None, key: str
) -> tuple[Node, Upstream, exp.Column, str] | None:
    """Where `key` (a column of `source` as the defining SELECT reads it) is first computed by something
    other than a plain column: followed through the model's CTEs and into the models it reads (their
    defining SELECTs, through their CTEs). Returns the node, the computing SELECT with the expression, its one
    input column and the key's name there; None when the way reaches a source or seed, or the expression
    reads more than one column or aggregates."""
    here, with_, key = node, scope.with_, key.lower()
    value: exp.Expr | None
    for _ in range(20):
        if not isinstance(source, exp.Table):
            return None
        body = cte_body(with_, source)
        if body is None:
            parent = ctx.artifacts.manifest.node_by_relation(source.catalog or None, source.db or None, source.name)
            if parent is None or ctx.is_leaf(parent):
                return None
            located = locate(parent.compiled_code or "", ctx.dialect, key)
            if located is None or located.grouped:
                return None
            here, with_, select, value = parent, located.with_, located.select, located.output
        elif isinstance(body, exp.Select) and not body.args.get("group"):
            select, value = body, _projected(body, key)
        else:
            return None
        if value is None:
            return None
        if isinstance(value, exp.Column):
            source, key = _table_of(select, value), value.name.lower()
            continue
        columns = {c.sql(): c for c in value.find_all(exp.Column)}
        if len(columns) != 1 or any(isinstance(n, exp.AggFunc | exp.Window | exp.Subquery) for n in value.walk()):
            return None
        # A CTE of the traced model runs inside the probe's own WITH; another model's SELECT brings its CTEs.
        origin = Upstream(select, with_ if here is not node else None, value, ())
        return here, origin, next(iter(columns.values())), key
    return None


def _projected(select: exp.Select, key: str) -> exp.Expr | None:
    projected = next((p for p in select.expressions if p.alias_or_name.lower() == key), None)
    if projected is None and any(isinstance(p, exp.Star) for p in select.expressions):
        return exp.column(key)
    return projected.unalias() if isinstance(projected, exp.Alias) else projected


def _table_of(select: exp.Select, column: exp.Column) -> exp.Expr | None:
    """The FROM or JOIN source of `select` that a column reads (by its table alias; the FROM when bare)."""
    from_ = select.args.get("from_")
    sources: list[exp.Expr] = [from_.this] if from_ is not None else []
    joins = [j.this for j in select.args.get("joins") or ()]
    if not column.table:
        return sources[0] if sources and not joins else None
    return next((s for s in sources + joins if s.alias_or_name.lower() == column.table.lower()), None)


def orphans_at_source(ctx: Context, node: Node, scope: Scope, join: JoinInfo, rows: int, share: float) -> Ascend | None:
    """The keys the join misses are absent from the joined side's source as well: ask the driving side's
    source whether its keys all exist there, and go on there when that fails for most of the missed rows.

    Only where the orphans say more than "this join misses by design": the project declares the two key
    columns related (a `relationships` test anywhere on their lineage), or the driving keys' source column
    moved since the last good state. Otherwise the join miss stands where it happens."""
    if len(join.pairs) != 1 or join.side not in ("left", "right"):
        return None
    driving, joined = join.pairs[0]
    present, missing = (joined, driving) if join.side == "right" else (driving, joined)
    if not isinstance(present, exp.Column) or not isinstance(missing, exp.Column):
        return None
    children = _chain(ctx, scope, _relation_of(scope, join, present), present.name)
    parents = _chain(ctx, scope, _relation_of(scope, join, missing), missing.name)
    if not children or not parents or not ctx.is_leaf(children[-1][0]) or not ctx.is_leaf(parents[-1][0]):
        return None
    (child, child_column), (parent, parent_column) = children[-1], parents[-1]
    if child.unique_id == parent.unique_id:
        return None
    declared = _declared_related(ctx, children, parents)
    moved = "" if declared else cause.moved_since(ctx, child, child_column)
    if not declared and not moved:
        return None
    check = Referential(child_column, parent.unique_id, parent_column)
    there = ctx.check(child, check, "join key")
    if not there.failed or not there.failing or there.failing * 2 < rows:
        return None
    file, line = ctx.where_expression(node, join.on, join.on.sql(dialect=ctx.dialect) if join.on else "")
    where = f"{file}:{line}" if line else file
    why = declared or f"`{ctx.label(child)}.{child_column}` moved since {ctx.good.origin if ctx.good else ''}"
    suffix = (
        f"; the {join.side.upper()} JOIN to `{join.alias}` at {where} finds no match for them, so "
        f"`{node.name}.{scope.column}` has no value for {rows:,} rows ({why})"
    )
    return Ascend(child, check, there, share, "join key", suffix=suffix)


def _declared_related(ctx: Context, children: list[tuple[Node, str]], parents: list[tuple[Node, str]]) -> str:
    """A `relationships` test from a column on the driving key's lineage to one on the joined key's: the
    project says every such key has a match, so orphans are bad data ("" when none is declared)."""
    child_ids = {(n.unique_id, c) for n, c in children}
    parent_ids = {(n.unique_id, c) for n, c in parents}
    for test in ctx.artifacts.manifest.tests.values():
        info = test.test
        if info is None or info.name != "relationships" or not info.attached_node or not info.column_name:
            continue
        if (info.attached_node, info.column_name.lower()) not in child_ids:
            continue
        field = str(info.kwargs.get("field") or "").lower()
        for target in test.depends_on:
            if target != info.attached_node and (target, field) in parent_ids:
                return f"declared: {test.name}"
    return ""


def _relation_of(scope: Scope, join: JoinInfo, key: exp.Column) -> exp.Expr | None:
    """The FROM or JOIN source of the defining SELECT that `key`'s table alias names."""
    alias = key.table.lower()
    from_ = scope.select.args.get("from_")
    sources: list[exp.Expr] = [from_.this] if from_ is not None else []
    sources += [j.this for j in scope.select.args.get("joins") or ()]
    for source in sources:
        if source.alias_or_name.lower() == alias:
            return source
    return join.source if join.alias.lower() == alias else None


def _chain(ctx: Context, scope: Scope, source: exp.Expr | None, key: str) -> list[tuple[Node, str]]:
    """Where the values of `key` (a column of `source` as the defining SELECT reads it) come from: through
    the model's CTEs (plain projections only) to the model or source they read, then up the value lineage
    while it only carries the values (passthrough, rename, cast). Every (node, column) on the way, the
    origin last; empty when the way is not plain."""
    key = key.lower()
    for _ in range(20):
        if not isinstance(source, exp.Table):
            return []
        cte = cte_body(scope.with_, source)
        if cte is None:
            parent = ctx.artifacts.manifest.node_by_relation(source.catalog or None, source.db or None, source.name)
            return _up_the_lineage(ctx, parent, key) if parent is not None else []
        if not isinstance(cte, exp.Select) or cte.args.get("joins") or cte.args.get("group"):
            return []
        projected = next((p for p in cte.expressions if p.alias_or_name.lower() == key), None)
        if projected is None and any(isinstance(p, exp.Star) for p in cte.expressions):
            projected = exp.column(key)
        value = projected.unalias() if isinstance(projected, exp.Alias) else projected
        if not isinstance(value, exp.Column):
            return []
        key = value.name.lower()
        from_ = cte.args.get("from_")
        source = from_.this if from_ is not None else None
    return []


def _up_the_lineage(ctx: Context, node: Node, column: str) -> list[tuple[Node, str]]:
    chain = [(node, column)]
    for _ in range(30):
        if ctx.is_leaf(node):
            return chain
        edges = ctx.value_edges(node, column)
        if len(edges) != 1 or edges[0].kind not in _CARRIES_KEYS or edges[0].source is None:
            return chain
        node, column = ctx.node(edges[0].source.node), edges[0].source.column
        chain.append((node, column))
    return chain
