"""The defining SELECT of a failing column, for the row rules, and the lineage edge each of its inputs
stands for (so a check can be carried to the parent column the input reads)."""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import Edge, EdgeKind
from headwater.trace.checks import Check
from headwater.trace.context import Context
from headwater.trace.measures import failing_predicate
from headwater.trace.scope import Scope, locate, without_self_filters

TRANSLATABLE = frozenset({EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST})


def is_row_check(check: Check) -> bool:
    """Whether the check fails row by row (not_null, in_set, between…), not on the table as a whole."""
    return failing_predicate(check, exp.column("hw_x")) is not None


def defining_scope(ctx: Context, node: Node, column: str) -> Scope | None:
    """The SELECT that defines `node.column`, without an incremental model's filters on its own table."""
    if not node.compiled_code or not column:
        return None
    scope = locate(node.compiled_code, ctx.dialect, column)
    if scope is not None and node.materialized == "incremental" and node.identifier:
        scope = without_self_filters(scope, node.identifier)
    return scope


def row_scope(ctx: Context, node: Node, check: Check) -> Scope | None:
    """The defining SELECT of a row check's column when its rows map one to one onto output rows."""
    if not is_row_check(check):
        return None
    scope = defining_scope(ctx, node, check.column)
    return None if scope is None or scope.grouped else scope


def bind(column: exp.Column, edges: list[Edge], n_inputs: int) -> Edge | None:
    """The lineage edge an input column of the defining SELECT stands for (matched by name)."""
    # case-blind: the lineage keeps the case of PostgreSQL's quoted `"MixedCase"`, and folds DuckDB's
    named = [e for e in edges if e.source is not None and e.source.column.lower() == column.name.lower()]
    if named:
        return min(named, key=lambda e: list(EdgeKind).index(e.kind))
    if n_inputs == 1 and len(edges) == 1:
        return edges[0]
    return None


def bound_inputs(ctx: Context, node: Node, scope: Scope, check: Check) -> tuple[list[Edge | None], list[bool]]:
    """Per input of the scope's output: its lineage edge (None when lineage names none), and whether the
    check translates through it unchanged."""
    edges = [e for e in ctx.value_edges(node, check.column) if e.source is not None]
    inputs = scope.inputs()
    bound = [bind(column, edges, len(inputs)) for column in inputs]
    return bound, [e is not None and e.kind in TRANSLATABLE for e in bound]
