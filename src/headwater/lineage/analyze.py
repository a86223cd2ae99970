"""Column lineage of ONE model: one pass over the scopes of its qualified compiled SQL.

`analyze_model` is pure: SQL text, a sqlglot schema and two resolvers in, a `RawLineage` out. Every output
column is resolved to the *leaf* columns it comes from (a table column of another node, an ephemeral
model's CTE, or a literal); the CTEs and subqueries in between are collapsed and the strongest step
(aggregate > window > expression > cast > rename/passthrough) names the edge's kind and expression.
Row edges (JOIN ON, WHERE, GROUP BY, HAVING, QUALIFY) are collected from every scope the root reads from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from headwater.lineage.compact import RawEdge, RawLineage
from headwater.lineage.locate import Locator

EPHEMERAL_PREFIX = "__dbt__cte__"
JINJA_RE = re.compile(r"\{\{|\{%|\{#")

# Step ranks: the strongest step along a chain of CTEs decides the edge kind.
PASS, CAST, EXPR, WINDOW, AGG = 0, 1, 2, 3, 4
KIND_OF_RANK = {CAST: "cast", EXPR: "expression", WINDOW: "window", AGG: "aggregate"}


class Leaf(NamedTuple):
    """Where a value comes from: a node column, a literal (node None, reason ""), or unknown (reason).

    A NamedTuple rather than a frozen dataclass: tens of thousands are made per project, inside one call.
    """

    node: str | None
    column: str | None
    rank: int = PASS
    renamed: bool = False
    step: exp.Expr | None = None  # the projection that decides kind and expression text
    reason: str = ""


TableResolver = Callable[[exp.Table], str | None]
EphemeralResolver = Callable[[str], str | None]


@dataclass
class _Context:
    sql: str
    dialect: str
    resolve_table: TableResolver
    resolve_ephemeral: EphemeralResolver
    locator: Locator
    memo: dict[int, dict[str, list[Leaf]]] = field(default_factory=dict)
    stars: dict[int, list[exp.Expr]] = field(default_factory=dict)


def analyze_model(
    node_id: str,
    sql: str,
    dialect: str,
    schema: MappingSchema,
    resolve_table: TableResolver,
    resolve_ephemeral: EphemeralResolver,
    locator: Locator,
    fallback_columns: tuple[str, ...] = (),
) -> RawLineage:
    """Lineage of one model's compiled SQL. Never raises for bad SQL: the model gets UNKNOWN edges."""
    jinja = JINJA_RE.search(sql)
    if jinja:
        line = sql.count("\n", 0, jinja.start()) + 1
        return failed(node_id, fallback_columns, f"jinja remnant: compiled SQL line {line} still holds Jinja")
    try:
        tree = sqlglot.parse_one(sql, dialect=dialect)
    except SqlglotError as err:
        return failed(node_id, fallback_columns, f"unparseable SQL: {_first_line(err)}")
    if not isinstance(tree, exp.Query):
        return failed(node_id, fallback_columns, f"not a select: the compiled SQL is a {tree.key} statement")
    try:
        tree = qualify(
            tree,
            dialect=dialect,
            schema=schema,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
        root = build_scope(tree)
    except (SqlglotError, KeyError, ValueError, AttributeError) as err:
        return failed(node_id, fallback_columns, f"unqualifiable SQL: {_first_line(err)}")
    if root is None:
        return failed(node_id, fallback_columns, "not a select: no SELECT scope found")
    ctx = _Context(sql, dialect, resolve_table, resolve_ephemeral, locator)
    outputs = _resolve_scope(ctx, root)
    edges: list[RawEdge] = []
    columns: list[str] = list(outputs)
    star_sources = ctx.stars.get(id(root), [])
    if star_sources:
        # `select *` over something whose columns are unknown: use the declared/catalog columns.
        for col in fallback_columns:
            if col not in outputs:
                columns.append(col)
                outputs[col] = _through_star(ctx, root, col)
        if not fallback_columns:
            columns.append("*")
            outputs["*"] = [_unknown(f"unknown columns: {star_sources[0].sql(dialect)} selects from a relation without catalog or YAML columns")]
    for col, leaves in outputs.items():
        edges.extend(_edges_for(ctx, col, leaves))
    row_edges = tuple(_row_edges(ctx, root))
    return RawLineage(node=node_id, columns=tuple(columns), edges=tuple(edges), row_edges=row_edges)


def failed(node_id: str, columns: tuple[str, ...], reason: str) -> RawLineage:
    cols = columns or ("*",)
    edges = tuple(RawEdge(target=c, kind="unknown", reason=reason) for c in cols)
    return RawLineage(node=node_id, columns=cols, edges=edges, error=reason)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def _unknown(reason: str) -> Leaf:
    return Leaf(None, None, reason=reason)


# -- value lineage ------------------------------------------------------------------------------------
def _resolve_scope(ctx: _Context, scope: Scope) -> dict[str, list[Leaf]]:
    """Output column (lower-cased) -> the leaves it is computed from. Memoised per scope."""
    key = id(scope)
    if key in ctx.memo:
        return ctx.memo[key]
    ctx.memo[key] = {}  # guards against recursive CTEs
    result: dict[str, list[Leaf]] = {}
    if isinstance(scope.expression, exp.SetOperation):
        branches = [_resolve_scope(ctx, s) for s in scope.set_operation_scopes]
        names = list(branches[0]) if branches else []
        for pos, name in enumerate(names):
            merged: list[Leaf] = []
            for branch in branches:
                values = list(branch.values())
                if pos < len(values):
                    merged.extend(values[pos])
            result[name] = merged
        ctx.stars[key] = ctx.stars.get(id(scope.set_operation_scopes[0]), []) if branches else []
    elif isinstance(scope.expression, exp.Select):
        stars: list[exp.Expr] = []
        for projection in scope.expression.selects:
            if _is_star(projection):
                stars.append(projection)
                continue
            name = projection.alias_or_name.lower()
            if name not in result:
                result[name] = _projection_leaves(ctx, scope, projection, name)
        ctx.stars[key] = stars
    ctx.memo[key] = result
    return result


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star)


@dataclass
class _Parts:
    """What one walk over an expression finds (subqueries are collected, not entered)."""

    columns: list[exp.Column] = field(default_factory=list)
    subqueries: list[exp.Expr] = field(default_factory=list)
    udfs: list[exp.Anonymous] = field(default_factory=list)
    window: bool = False
    aggregate: bool = False
    lambdas: bool = False


def _parts(node: exp.Expr) -> _Parts:
    parts = _Parts()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, exp.Column):
            if not current.is_star:
                parts.columns.append(current)
            continue
        if current is not node and isinstance(current, exp.Subquery | exp.Select):
            parts.subqueries.append(current)
            continue
        if isinstance(current, exp.Window):
            parts.window = True
        elif isinstance(current, exp.AggFunc):
            parts.aggregate = True
        elif isinstance(current, exp.Anonymous):
            parts.udfs.append(current)
        elif isinstance(current, exp.Lambda):
            parts.lambdas = True
        stack.extend(current.iter_expressions())
    if parts.lambdas:
        parts.columns = [c for c in parts.columns if not _is_lambda_variable(c, node)]
    return parts


def _is_lambda_variable(column: exp.Column, top: exp.Expr) -> bool:
    parent = column.parent
    while parent is not None and parent is not top.parent:
        if isinstance(parent, exp.Lambda) and not column.table:
            if any(v.name == column.name for v in parent.expressions):
                return True
        parent = parent.parent
    return False


def _classify(inner: exp.Expr, parts: _Parts) -> int:
    if isinstance(inner, exp.Column):
        return PASS
    node = inner
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if node is not inner and isinstance(node, exp.Column):
        return CAST
    if parts.window:
        return WINDOW
    if parts.aggregate:
        return AGG
    return EXPR


def _projection_leaves(ctx: _Context, scope: Scope, projection: exp.Expr, name: str) -> list[Leaf]:
    inner = projection.unalias()
    parts = _parts(inner)
    rank = _classify(inner, parts)
    leaves: list[Leaf] = []
    for column in parts.columns:
        renamed = column.name.lower() != name
        for leaf in _resolve_column(ctx, scope, column):
            leaves.append(_compose(leaf, rank, renamed, projection))
    for sub in parts.subqueries:
        sub_scope = _scope_of(scope, sub)
        if sub_scope is not None:
            for sub_leaves in _resolve_scope(ctx, sub_scope).values():
                leaves.extend(_compose(leaf, EXPR, True, projection) for leaf in sub_leaves)
                break  # a scalar subquery has one output column
    for func in parts.udfs:
        if _parts(func).columns:
            leaves.append(_unknown(f"udf: {func.name}() is not a known function; its effect on the value is not analysed"))
    if not leaves:  # a literal, now(), count(*): no upstream column
        leaves.append(Leaf(None, None, max(rank, EXPR), True, projection))
    return leaves


def _compose(inner: Leaf, rank: int, renamed: bool, step: exp.Expr) -> Leaf:
    if inner.reason:
        return inner
    keep_inner = inner.step is not None and (inner.rank, inner.renamed) >= (rank, renamed)
    return Leaf(
        inner.node,
        inner.column,
        rank if rank > inner.rank else inner.rank,
        renamed or inner.renamed,
        inner.step if keep_inner else step,
    )


def _columns_in(node: exp.Expr) -> list[exp.Column]:
    """Columns of this scope in an expression: not inside subqueries, not lambda variables."""
    return _parts(node).columns


def _scope_of(scope: Scope, node: exp.Expr) -> Scope | None:
    target = node.this if isinstance(node, exp.Subquery) else node
    for sub in scope.subquery_scopes:
        if sub.expression is target or sub.expression is node:
            return sub
    return None


def _lookup_source(scope: Scope, table: str) -> exp.Table | Scope | None:
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(table)
        if source is not None:
            return source  # type: ignore[no-any-return]
        current = current.parent if current.is_subquery else None
    return None


def _resolve_column(ctx: _Context, scope: Scope, column: exp.Column) -> list[Leaf]:
    name = column.name.lower()
    if not column.table and len(scope.selected_sources) == 1:
        # qualify leaves a column unqualified when its only table has no known columns.
        column = exp.column(column.name, table=next(iter(scope.selected_sources)))
    if not column.table:
        return [_unknown(f"unresolved column: {column.name} is in no known schema of the tables it could come from")]
    source = _lookup_source(scope, column.table)
    if source is None and _is_recursive_reference(column):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    if source is None:
        if column.table in scope.lateral_sources or scope.udtf_scopes:
            return [_unknown(f"unnest/lateral: {column.sql(ctx.dialect)} comes from an UNNEST/LATERAL, which is not analysed")]
        return [_unknown(f"unresolved column: {column.sql(ctx.dialect)} refers to an unknown table alias")]
    return _resolve_in_source(ctx, source, name, column)


def _is_recursive_reference(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.CTE) and parent.alias == column.table:
            return True
        parent = parent.parent
    return False


def _resolve_in_source(ctx: _Context, source: exp.Table | Scope, name: str, column: exp.Column) -> list[Leaf]:
    if isinstance(source, exp.Table):
        if not isinstance(source.this, exp.Identifier):
            return [_unknown(f"table function: {source.sql(ctx.dialect)[:80]} is not analysed")]
        uid = ctx.resolve_table(source)
        if uid is None:
            return [_unknown(f"unknown relation: {_relation(source)} is not a node of the manifest")]
        return [Leaf(uid, name)]
    if source.is_udtf:
        return [_unknown(f"unnest/lateral: {column.sql(ctx.dialect)} comes from an UNNEST/LATERAL, which is not analysed")]
    if _is_recursive_anchor(source):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    cte_name = _cte_name(source)
    if cte_name is not None and cte_name.lower().startswith(EPHEMERAL_PREFIX):
        uid = ctx.resolve_ephemeral(cte_name[len(EPHEMERAL_PREFIX) :])
        if uid is not None:
            return [Leaf(uid, name)]
    outputs = _resolve_scope(ctx, source)
    if name in outputs:
        return outputs[name]
    return _through_star(ctx, source, name)


def _through_star(ctx: _Context, scope: Scope, name: str) -> list[Leaf]:
    """A column not listed by a scope that selects `*` from something whose columns are unknown."""
    stars = ctx.stars.get(id(scope), [])
    star_tables = {s.table for s in stars if isinstance(s, exp.Column) and s.table}
    if any(isinstance(s, exp.Star) for s in stars):
        star_tables |= set(scope.selected_sources)
    if len(star_tables) == 1:
        source = _lookup_source(scope, next(iter(star_tables)))
        if source is not None:
            return _resolve_in_source(ctx, source, name, exp.column(name))
    where = "" if not stars else " (several sources behind select *)"
    return [_unknown(f"missing column: {name} not found in its source{where}")]


def _is_recursive_anchor(scope: Scope) -> bool:
    """sqlglot's view of a recursive CTE from inside itself: its anchor branch, without sources."""
    return bool(scope.is_cte and isinstance(scope.expression.parent, exp.SetOperation))


def _cte_name(scope: Scope) -> str | None:
    parent = scope.expression.parent
    return parent.alias if isinstance(parent, exp.CTE) else None


def _relation(table: exp.Table) -> str:
    return ".".join(p.name for p in table.parts)


def _edges_for(ctx: _Context, target: str, leaves: list[Leaf]) -> Iterator[RawEdge]:
    seen: set[tuple[str | None, str | None, str]] = set()
    for leaf in leaves:
        if leaf.reason:
            kind = "unknown"
        elif leaf.rank == PASS and leaf.node is not None:
            kind = "passthrough" if leaf.column == target else "rename"
        else:
            kind = KIND_OF_RANK.get(leaf.rank, "expression")
        key = (leaf.node, leaf.column, kind if not leaf.reason else leaf.reason)
        if key in seen:
            continue
        seen.add(key)
        text, line, compiled = ctx.locator.locate(leaf.step) if leaf.step is not None else ("", None, False)
        yield RawEdge(target, kind, leaf.node, leaf.column, text, line, compiled, leaf.reason)


# -- row lineage --------------------------------------------------------------------------------------
def _row_edges(ctx: _Context, root: Scope) -> Iterator[RawEdge]:
    """JOIN/WHERE/GROUP/HAVING/QUALIFY columns of every scope the root reads rows from."""
    seen_scopes: set[int] = set()
    seen_edges: set[tuple[str | None, str | None, str, str]] = set()
    stack = [root]
    while stack:
        scope = stack.pop()
        if id(scope) in seen_scopes:
            continue
        seen_scopes.add(id(scope))
        for edge in _scope_row_edges(ctx, scope):
            key = (edge.source_node, edge.source_column, edge.kind, edge.expression)
            if key not in seen_edges:
                seen_edges.add(key)
                yield edge
        stack.extend(scope.set_operation_scopes)
        stack.extend(scope.subquery_scopes)
        for source in scope.sources.values() if isinstance(scope.expression, exp.Select) else ():
            if (
                isinstance(source, Scope)
                and not _is_recursive_anchor(source)
                and not (_cte_name(source) or "").lower().startswith(EPHEMERAL_PREFIX)
                and _is_selected(scope, source)
            ):
                stack.append(source)


def _is_selected(scope: Scope, source: Scope) -> bool:
    return any(s is source for _, s in scope.selected_sources.values())


def _scope_row_edges(ctx: _Context, scope: Scope) -> Iterator[RawEdge]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    for join in select.args.get("joins") or ():
        on = join.args.get("on")
        side = (join.side or join.kind or "inner").lower()
        if on is not None:
            yield from _condition_edges(ctx, scope, on, "join", side)
    for arg, kind in (("where", "filter"), ("having", "filter"), ("qualify", "filter")):
        clause = select.args.get(arg)
        if clause is not None:
            yield from _condition_edges(ctx, scope, clause.this, kind, "")
    group = select.args.get("group")
    if group is not None:
        for key in group.expressions:
            yield from _condition_edges(ctx, scope, key, "group", "")


def _condition_edges(ctx: _Context, scope: Scope, condition: exp.Expr, kind: str, side: str) -> Iterator[RawEdge]:
    text, line, compiled = ctx.locator.locate(condition)
    for column in _columns_in(condition):
        for leaf in _resolve_column(ctx, scope, column):
            if leaf.reason:
                yield RawEdge("", "unknown", None, None, text, line, compiled, leaf.reason)
            elif leaf.node is not None:
                yield RawEdge("", kind, leaf.node, leaf.column, text, line, compiled, "", side)
    for sub in condition.find_all(exp.Select):
        sub_scope = _scope_of(scope, sub)
        if sub_scope is not None:
            for leaves in _resolve_scope(ctx, sub_scope).values():
                for leaf in leaves:
                    if leaf.node is not None and not leaf.reason:
                        yield RawEdge("", kind, leaf.node, leaf.column, text, line, compiled, "", side)
