"""Row lineage inside one model: the columns that decide WHICH rows reach the output.

JOIN ON/USING keys, WHERE, HAVING and QUALIFY columns and GROUP BY keys (a PIVOT's implicit ones too) of
every scope the root reads rows from (CTEs, derived tables, UNION branches, subqueries), resolved to their
leaf columns like values.
An ephemeral model's CTE is not entered: its filters belong to the ephemeral node.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.compact import RawEdge
from headwater.lineage.pivots import pivot_group_keys
from headwater.lineage.scopes import (
    EPHEMERAL_PREFIX,
    Context,
    Leaf,
    cte_name_of,
    has_column,
    is_recursive_anchor,
    outputs,
    scope_of,
)
from headwater.lineage.values import column_leaves, parts_of, resolve_column, resolve_in_source, resolve_scope


def row_edges(ctx: Context, root: Scope) -> Iterator[RawEdge]:
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
        if isinstance(scope.expression, exp.Select):
            for _, source in scope.selected_sources.values():
                if (
                    isinstance(source, Scope)
                    and not is_recursive_anchor(source)
                    and not (cte_name_of(source) or "").lower().startswith(EPHEMERAL_PREFIX)
                ):
                    stack.append(source)


def _scope_row_edges(ctx: Context, scope: Scope) -> Iterator[RawEdge]:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    for join in select.args.get("joins") or ():
        side = (join.side or join.kind or "inner").lower()
        on = join.args.get("on")
        if on is not None:
            yield from _condition_edges(ctx, scope, on, "join", side)
        using = join.args.get("using")
        if using:
            yield from _using_edges(ctx, scope, join, using, side)
    for arg, kind in (("where", "filter"), ("having", "filter"), ("qualify", "filter")):
        clause = select.args.get(arg)
        if clause is not None:
            yield from _condition_edges(ctx, scope, clause.this, kind, "")
    for node, _ in scope.selected_sources.values():  # the table node holds its pivots, even over a CTE
        grouped = pivot_group_keys(ctx, scope, node) if isinstance(node, exp.Table) else None
        if grouped is not None and isinstance(node, exp.Table):
            text, line, compiled = ctx.locator.locate(grouped[0], keyed=True)
            for name in grouped[1]:
                leaves = resolve_in_source(ctx, node, name, None, scope)
                yield from _edges_from_leaves(leaves, "group", "", text, line, compiled)
    group = select.args.get("group")
    if group is not None:
        names = list(outputs(ctx, scope).columns)
        for key in group.expressions:
            if isinstance(key, exp.Literal) and key.is_int and 0 < int(key.name) <= len(names):
                # GROUP BY 2: the key is the second projection
                text, line, compiled = ctx.locator.locate(key.parent or key, keyed=True)
                leaves = column_leaves(ctx, scope, names[int(key.name) - 1]) or []
                yield from _edges_from_leaves(leaves, "group", "", text, line, compiled)
            else:
                yield from _condition_edges(ctx, scope, key, "group", "")


def _using_edges(ctx: Context, scope: Scope, join: exp.Join, using: list[exp.Expr], side: str) -> Iterator[RawEdge]:
    text, line, compiled = ctx.locator.locate(join, keyed=True)
    for identifier in using:
        name = ctx.name(identifier)
        for _, source in scope.selected_sources.values():
            if has_column(ctx, source, name) is not False:
                leaves = resolve_in_source(ctx, source, name, None, scope)
                yield from _edges_from_leaves(leaves, "join", side, text, line, compiled)


def _condition_edges(ctx: Context, scope: Scope, condition: exp.Expr, kind: str, side: str) -> Iterator[RawEdge]:
    parts = parts_of(condition)
    if not parts.columns and not parts.subqueries:
        return  # `having count(*) > 0`: no column decides it, and its text is never needed
    text, line, compiled = ctx.locator.locate(condition, keyed=True)
    for column in parts.columns:
        yield from _edges_from_leaves(resolve_column(ctx, scope, column), kind, side, text, line, compiled)
    for sub in parts.subqueries:
        sub_scope = scope_of(scope, sub)
        if sub_scope is not None:
            for leaves in resolve_scope(ctx, sub_scope).values():
                yield from _edges_from_leaves([x for x in leaves if not x.reason], kind, side, text, line, compiled)


def _edges_from_leaves(
    leaves: list[Leaf], kind: str, side: str, text: str, line: int | None, compiled: bool
) -> Iterator[RawEdge]:
    for leaf in leaves:
        if leaf.reason:
            yield RawEdge("", "unknown", None, None, text, line, compiled, leaf.reason)
        elif leaf.node is not None:
            yield RawEdge("", kind, leaf.node, leaf.column, text, line, compiled, "", side)
