"""Value lineage inside one model: every output column -> the leaf columns it is computed from.

Leaves are table columns of other nodes, an ephemeral model's `__dbt__cte__<name>` CTE, literals, or
UNKNOWN with a reason. CTEs and subqueries in between are collapsed; the strongest step on the way
(aggregate > window > expression > cast > rename/passthrough) gives the edge its kind and its SQL text.

Two ways in (see `analyze.py`): over a tree qualified by sqlglot (`ctx.qualified`), or over the raw tree,
resolving unqualified columns and `*` here from the known columns of each source; that second way meets
SQL it does not handle (ambiguous names, column alias lists, pivots) by raising `Fallback`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.locate import Locator

EPHEMERAL_PREFIX = "__dbt__cte__"
PASS, CAST, EXPR, WINDOW, AGG = 0, 1, 2, 3, 4
KIND_OF_RANK = {CAST: "cast", EXPR: "expression", WINDOW: "window", AGG: "aggregate"}

Source = exp.Table | Scope


class Fallback(Exception):
    """The raw-tree path met SQL it leaves to sqlglot's qualify."""


class Leaf(NamedTuple):
    """Where a value comes from: a node column, a literal (node None, reason ""), or unknown (reason).
    A NamedTuple, not a frozen dataclass: tens of thousands are made per project inside one call."""

    node: str | None
    column: str | None
    rank: int = PASS
    renamed: bool = False
    step: exp.Expr | str | None = None  # the projection that decides the kind and the expression text
    reason: str = ""


@dataclass
class Context:
    dialect: str
    resolve_table: Callable[[exp.Table], str | None]
    resolve_ephemeral: Callable[[str], str | None]
    table_columns: Callable[[str], tuple[str, ...] | None]
    locator: Locator
    qualified: bool = True
    memo: dict[int, dict[str, list[Leaf]]] = field(default_factory=dict)
    stars: dict[int, list[exp.Expr]] = field(default_factory=dict)
    partial: dict[int, dict[str, list[Leaf]]] = field(default_factory=dict)
    _sources: dict[int, dict[str, Source]] = field(default_factory=dict)
    _tables: dict[int, str | None] = field(default_factory=dict)
    _colsets: dict[int, frozenset[str]] = field(default_factory=dict)
    _ephemeral: dict[int, str | None] = field(default_factory=dict)

    def table_uid(self, table: exp.Table) -> str | None:
        """The node a table reference reads (memoised per reference: `*` expansion asks once per column)."""
        key = id(table)
        if key not in self._tables:
            self._tables[key] = self.resolve_table(table)
        return self._tables[key]

    def ephemeral_uid(self, scope: Scope) -> str | None:
        """The ephemeral model a `__dbt__cte__<name>` CTE stands for, else None."""
        key = id(scope)
        if key not in self._ephemeral:
            name = cte_name_of(scope)
            found = None
            if name is not None and name.lower().startswith(EPHEMERAL_PREFIX):
                found = self.resolve_ephemeral(name[len(EPHEMERAL_PREFIX) :])
            self._ephemeral[key] = found
        return self._ephemeral[key]

    def sources(self, scope: Scope) -> dict[str, Source]:
        """The scope's sources by lower-cased alias (aliases compare case-insensitively)."""
        found = self._sources.get(id(scope))
        if found is None:
            found = {k.lower(): v for k, v in scope.sources.items()}
            self._sources[id(scope)] = found
        return found


def unknown(reason: str) -> Leaf:
    return Leaf(None, None, reason=reason)


def resolve_scope(ctx: Context, scope: Scope) -> dict[str, list[Leaf]]:
    """Output column (lower-cased) -> its leaves. Memoised per scope."""
    key = id(scope)
    if key in ctx.memo:
        return ctx.memo[key]
    ctx.memo[key] = {}  # guards against recursive CTEs
    result: dict[str, list[Leaf]] = {}
    if not ctx.qualified and _has_column_aliases(scope):
        raise Fallback
    if isinstance(scope.expression, exp.SetOperation):
        branches = [resolve_scope(ctx, s) for s in scope.set_operation_scopes]
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
        if not ctx.qualified and scope.pivots:
            raise Fallback
        stars: list[exp.Expr] = []
        ctx.partial[key] = result
        for position, projection in enumerate(scope.expression.selects):
            if is_star(projection):
                if ctx.qualified or not _expand_star(ctx, scope, projection, result):
                    stars.append(projection)
                continue
            name = projection.alias_or_name.lower() or f"_col_{position}"  # qualify's name for `select 1 + 2`
            if name not in result:
                result[name] = projection_leaves(ctx, scope, projection, name)
        ctx.stars[key] = stars
    ctx.memo[key] = result
    return result


def _has_column_aliases(scope: Scope) -> bool:
    alias = scope.expression.parent.args.get("alias") if scope.expression.parent else None
    return isinstance(alias, exp.TableAlias) and bool(alias.columns)


def is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star)


def _expand_star(ctx: Context, scope: Scope, star: exp.Expr, result: dict[str, list[Leaf]]) -> bool:
    """`*` / `t.*` (with EXCLUDE/REPLACE) from known columns; False when a source's columns are unknown."""
    if isinstance(star, exp.Column):
        source = ctx.sources(scope).get(star.table.lower())
        sources = [(star.table, source)] if source is not None else []
        node = star.this
    else:
        sources = [(alias, src) for alias, (_, src) in scope.selected_sources.items()]
        node = star
    if node.args.get("rename") or not sources:
        raise Fallback
    columns: list[tuple[str, Source, str]] = []
    for alias, source in sources:
        names = source_columns(ctx, source)
        if names is None:
            return False
        columns.extend((alias, source, name) for name in names)
    excluded = {c.name.lower() for c in node.args.get("except_") or node.args.get("except") or ()}
    replaced = {r.alias_or_name.lower(): r for r in node.args.get("replace") or ()}
    for alias, source, name in columns:
        if name in excluded or name in result:
            continue
        if name in replaced:
            result[name] = projection_leaves(ctx, scope, replaced[name], name)
        else:
            step = f"{alias}.{name}"
            result[name] = [compose(leaf, PASS, False, step) for leaf in resolve_in_source(ctx, source, name)]
    return True


def has_column(ctx: Context, source: Source, name: str) -> bool | None:
    """Whether a source has the column; None when its columns are not known."""
    key = id(source)
    names = ctx._colsets.get(key)
    if names is None:
        columns = source_columns(ctx, source)
        if columns is None:
            return None
        names = ctx._colsets[key] = frozenset(columns)
    return name in names


def source_columns(ctx: Context, source: Source) -> tuple[str, ...] | None:
    """Lower-cased column names of a FROM/JOIN source, or None when they are not known."""
    if isinstance(source, exp.Table):
        if not isinstance(source.this, exp.Identifier):
            return None
        uid = ctx.table_uid(source)
        return ctx.table_columns(uid) if uid is not None else None
    if source.is_udtf or is_recursive_anchor(source):
        return None
    outputs = resolve_scope(ctx, source)
    return None if ctx.stars.get(id(source)) else tuple(outputs)


@dataclass
class Parts:
    """What one walk over an expression finds (subqueries are collected, not entered)."""

    columns: list[exp.Column] = field(default_factory=list)
    subqueries: list[exp.Expr] = field(default_factory=list)
    udfs: list[exp.Anonymous] = field(default_factory=list)
    window: bool = False
    aggregate: bool = False


def parts_of(node: exp.Expr) -> Parts:
    if isinstance(node, exp.Column):  # most projections: no walk needed
        return Parts(columns=[] if node.is_star else [node])
    parts = Parts()
    lambdas = False
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
            lambdas = True
        stack.extend(current.iter_expressions())
    if lambdas:
        parts.columns = [c for c in parts.columns if not _is_lambda_variable(c)]
    parts.columns.reverse()  # the stack walked right to left
    return parts


def _is_lambda_variable(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None and not column.table:
        if isinstance(parent, exp.Lambda) and any(v.name == column.name for v in parent.expressions):
            return True
        parent = parent.parent
    return False


def _classify(inner: exp.Expr, parts: Parts) -> int:
    if isinstance(inner, exp.Column):
        return PASS
    node = inner
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if node is not inner and isinstance(node, exp.Column):
        return CAST
    if parts.window:
        return WINDOW
    return AGG if parts.aggregate else EXPR


def projection_leaves(ctx: Context, scope: Scope, projection: exp.Expr, name: str) -> list[Leaf]:
    inner = projection.unalias()
    parts = parts_of(inner)
    rank = _classify(inner, parts)
    leaves: list[Leaf] = []
    for column in parts.columns:
        renamed = column.name.lower() != name
        leaves.extend(compose(leaf, rank, renamed, projection) for leaf in resolve_column(ctx, scope, column))
    for sub in parts.subqueries:
        sub_scope = scope_of(scope, sub)
        if sub_scope is not None:
            for sub_leaves in resolve_scope(ctx, sub_scope).values():
                leaves.extend(compose(leaf, EXPR, True, projection) for leaf in sub_leaves)
                break  # a scalar subquery has one output column
    for func in parts.udfs:
        if parts_of(func).columns:
            leaves.append(unknown(f"udf: {func.name}() is not a known function; its effect on the value is not analysed"))
    if not leaves:  # a literal, now(), count(*): no upstream column
        leaves.append(Leaf(None, None, max(rank, EXPR), True, projection))
    return leaves


def compose(inner: Leaf, rank: int, renamed: bool, step: exp.Expr | str) -> Leaf:
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


def scope_of(scope: Scope, node: exp.Expr) -> Scope | None:
    target = node.this if isinstance(node, exp.Subquery) else node
    for sub in scope.subquery_scopes:
        if sub.expression is target or sub.expression is node:
            return sub
    return None


def lookup_source(ctx: Context, scope: Scope, table: str) -> Source | None:
    current: Scope | None = scope
    while current is not None:
        source = ctx.sources(current).get(table.lower())
        if source is not None:
            return source
        current = current.parent if current.is_subquery else None
    return None


def resolve_column(ctx: Context, scope: Scope, column: exp.Column) -> list[Leaf]:
    name = column.name.lower()
    if not column.table:
        if not ctx.qualified:
            return _resolve_unqualified(ctx, scope, column, name)
        if len(scope.selected_sources) == 1:  # qualify leaves it so when its only table has no columns
            return resolve_in_source(ctx, next(iter(scope.selected_sources.values()))[1], name)
        return [unknown(f"unresolved column: {column.name} is in no known schema of the tables it could come from")]
    source = lookup_source(ctx, scope, column.table)
    if source is None and _is_recursive_reference(column):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    if source is None:
        if scope.udtf_scopes or scope.lateral_sources:
            return [unknown(f"unnest/lateral: {column.sql(ctx.dialect)} comes from an UNNEST/LATERAL, which is not analysed")]
        return [unknown(f"unresolved column: {column.sql(ctx.dialect)} refers to an unknown table alias")]
    return resolve_in_source(ctx, source, name, column)


def _resolve_unqualified(ctx: Context, scope: Scope, column: exp.Column, name: str) -> list[Leaf]:
    """Which source an unqualified column comes from, as qualify would decide it."""
    unknown_sources: list[Source] = []
    for _, source in scope.selected_sources.values():
        found = has_column(ctx, source, name)
        if found is None:
            unknown_sources.append(source)
        elif found:
            return resolve_in_source(ctx, source, name, column)
    partial = ctx.partial.get(id(scope))
    if partial is not None and name in partial:
        return partial[name]  # a reference to an earlier projection's alias (lateral alias)
    if len(unknown_sources) == 1:
        return resolve_in_source(ctx, unknown_sources[0], name, column)
    if scope.parent is not None and scope.is_subquery and not unknown_sources:
        return _resolve_unqualified(ctx, scope.parent, column, name)  # correlated subquery
    raise Fallback


def _is_recursive_reference(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.CTE) and parent.alias.lower() == column.table.lower():
            return True
        parent = parent.parent
    return False


def resolve_in_source(ctx: Context, source: Source, name: str, column: exp.Column | None = None) -> list[Leaf]:
    if isinstance(source, exp.Table):
        if not isinstance(source.this, exp.Identifier):
            return [unknown(f"table function: {source.sql(ctx.dialect)[:80]} is not analysed")]
        uid = ctx.table_uid(source)
        if uid is None:
            return [unknown(f"unknown relation: {'.'.join(p.name for p in source.parts)} is not a node of the manifest")]
        return [Leaf(uid, name)]
    if source.is_udtf:
        shown = column.sql(ctx.dialect) if column is not None else name
        return [unknown(f"unnest/lateral: {shown} comes from an UNNEST/LATERAL, which is not analysed")]
    uid = ctx.ephemeral_uid(source)
    if uid is not None:
        return [Leaf(uid, name)]
    if is_recursive_anchor(source):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    outputs = resolve_scope(ctx, source)
    if name in outputs:
        return outputs[name]
    return through_star(ctx, source, name)


def through_star(ctx: Context, scope: Scope, name: str) -> list[Leaf]:
    """A column not listed by a scope that selects `*` from something whose columns are unknown."""
    stars = ctx.stars.get(id(scope), [])
    star_tables = {s.table for s in stars if isinstance(s, exp.Column) and s.table}
    if any(isinstance(s, exp.Star) for s in stars):
        star_tables |= set(scope.selected_sources)
    if len(star_tables) == 1:
        source = lookup_source(ctx, scope, next(iter(star_tables)))
        if source is not None:
            return resolve_in_source(ctx, source, name)
    where = "" if not stars else " (several sources behind select *)"
    return [unknown(f"missing column: {name} not found in its source{where}")]


def is_recursive_anchor(scope: Scope) -> bool:
    """sqlglot's view of a recursive CTE from inside itself: its anchor branch, without sources."""
    return bool(scope.is_cte and isinstance(scope.expression.parent, exp.SetOperation))


def cte_name_of(scope: Scope) -> str | None:
    parent = scope.expression.parent
    return parent.alias if isinstance(parent, exp.CTE) else None
