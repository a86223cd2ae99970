"""The upstream walk: re-run the failing check on each ancestor column, instrument value-changing
transformations, and stop at the first failing ancestors whose relevant inputs all pass.

`walk(ctx, node, check, outcome)` returns root causes, each with the share of the failure it explains.
Local diagnosis (join miss, fan-out, filter, cast failure, expression, schema) is in `diagnose`.
"""

from __future__ import annotations

from collections import defaultdict

from headwater.dbt import Node
from headwater.lineage import ColumnRef, Edge, EdgeKind
from headwater.trace import collapse, diagnose
from headwater.trace.checks import (
    Check,
    Drift,
    Freshness,
    McvShare,
    NotNull,
    Schema,
    Untraceable,
    columns_of,
    describe,
    rename,
)
from headwater.trace.context import Context
from headwater.trace.instrument import relevant_joins
from headwater.trace.measures import Outcome, evaluate, failing_predicate
from headwater.trace.model import PathStep, RootCause
from headwater.trace.scope import locate, null_propagating, one_to_one, without_self_filters

TRANSLATABLE = frozenset({EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST})
MAX_DEPTH = 30


def record(ctx: Context, node: Node, check: Check, outcome: Outcome, via: str) -> None:
    ctx.path.append(
        PathStep(
            node=node.unique_id,
            relation=ctx.label(node),
            column=",".join(columns_of(check)),
            check=describe(check),
            failed=outcome.failed,
            failing=outcome.failing,
            total=outcome.total,
            observed=outcome.observed,
            sql=outcome.sql,
            error=outcome.error,
            via=via,
        )
    )


def check_at(ctx: Context, node: Node, check: Check, via: str) -> Outcome:
    """Evaluate `check` on a node's relation (or compiled SQL, for ephemeral models) and record it."""
    key = (node.unique_id, repr(check))
    if key in ctx.outcomes:
        return ctx.outcomes[key]
    source = ctx.source(node)
    if source is None:
        outcome = Outcome(check, None, error=f"{node.name} has no relation to query")
    else:
        outcome = evaluate(
            ctx.warehouse, source, [check], ctx.label(node), ctx.as_of, ctx.resolve, ctx.relation(node)
        )[0]
    record(ctx, node, check, outcome, via)
    ctx.outcomes[key] = outcome
    return outcome


def value_edges(ctx: Context, node: Node, column: str) -> list[Edge]:
    return [e for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, column)) if not e.kind.is_row_edge]


def walk(ctx: Context, node: Node, check: Check, outcome: Outcome, share: float = 1.0, depth: int = 0) -> list[RootCause]:
    """Root causes of `check` failing on `node` (already evaluated there as `outcome`)."""
    key = (node.unique_id, repr(check))
    if key in ctx.visited or depth > MAX_DEPTH:
        return []
    ctx.visited.add(key)
    if isinstance(check, Untraceable):
        return []
    if ctx.is_leaf(node):
        return [diagnose.at_leaf(ctx, node, check, outcome, share)]
    if isinstance(check, Schema):
        return schema_walk(ctx, node, check, outcome, share, depth)
    if outcome.failed is None and outcome.error and check.column and _missing_column(outcome.error):
        probe = Schema((check.column,))
        return schema_walk(ctx, node, probe, check_at(ctx, node, probe, "schema"), share, depth)
    if failing_predicate(check, diagnose.placeholder()) is not None:
        causes = row_walk(ctx, node, check, outcome, share, depth)
        if causes is not None:
            return causes
    return table_walk(ctx, node, check, outcome, share, depth)


def _reshapes_rows(ctx: Context, node: Node, columns: tuple[str, ...]) -> str:
    """Why a distribution check cannot be carried upstream of this model ("" when it can): the column's
    values come from a joined (lookup) side, whose rows are other rows in other proportions. Values of the
    driving table keep their proportions (a GROUP BY key roughly too)."""
    scope = locate(node.compiled_code or "", ctx.dialect, columns[0]) if columns else None
    if scope is None:
        return f"the SELECT that defines `{node.name}.{columns[0] if columns else ''}` could not be located in its compiled SQL"
    lookups = sorted({c.table for c in scope.inputs() if c.table and c.table.lower() != scope.driving.lower()})
    if not scope.joins or not lookups:
        return ""
    tables = ", ".join(f"`{t}`" for t in lookups)
    return (
        f"`{node.name}.{scope.column}` takes its values from the joined lookup {tables}, where each value counts once "
        f"per key, not once per `{scope.driving}` row: the distribution cannot be compared upstream of the join "
        f"(give {tables} and the `{scope.driving}` keys a baseline of their own to tell which moved)"
    )


def _unknown_reason(ctx: Context, node: Node, column: str) -> str:
    for edge in ctx.lineage.edges_into(ColumnRef(node.unique_id, column)):
        if edge.kind == EdgeKind.UNKNOWN and edge.reason:
            return f"lineage of {node.name}.{column} is unknown: {edge.reason}"
    return ""


def _missing_column(error: str) -> bool:
    text = error.lower()
    return "not found" in text or "does not exist" in text or "no such column" in text


def row_walk(
    ctx: Context, node: Node, check: Check, outcome: Outcome, share: float, depth: int
) -> list[RootCause] | None:
    """Instrument the model's SQL; None when it cannot be instrumented (the caller translates instead)."""
    if not node.compiled_code:
        return None
    scope = locate(node.compiled_code, ctx.dialect, check.column)
    if scope is None or scope.grouped:
        return None
    if node.materialized == "incremental" and node.identifier:
        scope = without_self_filters(scope, node.identifier)
    edges = [e for e in value_edges(ctx, node, check.column) if e.source is not None]
    inputs = scope.inputs()
    bound: list[Edge | None] = [diagnose.bind(column, edges, len(inputs)) for column in inputs]
    translatable = [e is not None and e.kind in TRANSLATABLE for e in bound]
    single = len(bound) == 1 and bound[0] is not None and bound[0].source is not None
    simple = single and translatable[0] and not relevant_joins(scope)
    strict = single and isinstance(check, NotNull) and one_to_one(scope) and null_propagating(scope.output)
    if (simple or strict) and bound[0] is not None and bound[0].source is not None:
        # One input through passthrough/rename/cast and no outer join feeding it: translating the check
        # says as much as instrumenting would. Instrument only if the parent explains less than all of it.
        # Through a NULL-propagating expression (`lower(x)`, `x * 100`) over the parent's rows one to one,
        # as many NULLs in as out in as many rows are the same rows: the instrumented scan is not needed.
        source = bound[0].source
        derived = rename(check, {check.column: source.column})
        parent = ctx.node(source.node)
        parent_outcome = check_at(ctx, parent, derived, bound[0].kind.value)
        here, there = outcome.failing or 0, parent_outcome.failing or 0
        covers = there >= here if simple else (there == here and parent_outcome.total == outcome.total)
        if parent_outcome.failed and covers:
            return walk(ctx, parent, derived, parent_outcome, share, depth + 1)
    classified = diagnose.classify_safely(ctx, node, scope, check, translatable)
    if classified is None:
        return None
    if classified.failing == 0:
        if not outcome.failed:
            return None
        # The relation fails but its own SQL, re-run now, yields no failing row: the data was changed
        # outside the lineage (written directly, or the model not rebuilt since its inputs changed).
        reason = (
            f"re-running the SQL of {node.name} yields no failing rows although {ctx.label(node)} has "
            f"{outcome.failing or 0:,}: the table was changed outside its lineage or is not rebuilt"
        )
        return [diagnose.unknown(ctx, node, check, outcome, reason, share)]
    causes: list[RootCause] = []
    scale = share / classified.failing
    causes += diagnose.join_misses(ctx, node, scope, check, classified, outcome, scale)
    for i in range(len(inputs)):
        edge = bound[i]
        bad = classified.input_bad.get(i, 0)
        carried: Check | None = None
        if edge is not None and edge.source is not None:
            if isinstance(check, NotNull) or translatable[i]:
                carried = rename(check, {check.column: edge.source.column}) if bad else None
            else:
                carried, bad = diagnose.derived_input_check(ctx, scope, check, classified, i, edge.source.column)
        if bad and (edge is None or edge.source is None):
            reason = _unknown_reason(ctx, node, check.column) or f"lineage names no upstream column for `{inputs[i].sql()}`"
            causes.append(diagnose.unknown(ctx, node, check, outcome, reason, scale * bad))
            continue
        if not bad or carried is None or edge is None or edge.source is None:
            continue
        parent = ctx.node(edge.source.node)
        parent_outcome = check_at(ctx, parent, carried, edge.kind.value)
        if parent_outcome.failed:
            causes += walk(ctx, parent, carried, parent_outcome, scale * bad, depth + 1)
        else:
            causes.append(diagnose.transformation(ctx, node, scope, edge, check, bad, outcome, scale * bad))
    explained = sum(classified.join_miss.get(j.index, 0) for j in scope.joins) + sum(
        classified.input_bad.get(i, 0) for i in range(len(inputs))
    )
    if isinstance(check, NotNull) and classified.nulled:
        causes.append(diagnose.nulled(ctx, node, scope, bound, check, classified, outcome, scale * classified.nulled))
        explained += classified.nulled
    rest = classified.failing - explained
    if rest > 0 and not causes:
        edge = next((e for e in bound if e is not None), None)
        causes.append(diagnose.transformation(ctx, node, scope, edge, check, rest, outcome, scale * rest))
    return causes


def table_walk(ctx: Context, node: Node, check: Check, outcome: Outcome, share: float, depth: int) -> list[RootCause]:
    """Translate the check along passthrough/rename/cast edges; go up where it fails, else diagnose here."""
    columns = columns_of(check)
    reshaped = _reshapes_rows(ctx, node, columns) if isinstance(check, Drift | McvShare) else ""
    if reshaped:
        # A distribution is not carried through a lookup join: the shares upstream are of other rows. One
        # exception, general: NULL as the most common value of an outer-joined column is a row-level
        # question (which rows have no value, and why), which the instrumented SQL answers.
        nulls = _nulls_dominate(ctx, node, check, outcome)
        if nulls is not None:
            return walk(ctx, node, nulls[0], nulls[1], share, depth)
        return [diagnose.unknown(ctx, node, check, outcome, reshaped, share)]
    by_parent: dict[str, dict[str, Edge]] = defaultdict(dict)
    unknown: list[Edge] = []
    for column in columns:
        for edge in value_edges(ctx, node, column):
            if edge.kind == EdgeKind.UNKNOWN:
                unknown.append(edge)
            elif edge.source is not None and _translatable(check, edge):
                by_parent[edge.source.node][column] = edge
    causes: list[RootCause] = []
    any_parent_checked = False
    errors: list[str] = []
    for parent_id, mapped in by_parent.items():
        if set(mapped) != set(columns):
            continue  # a multi-column check whose columns come from different parents
        parent = ctx.node(parent_id)
        derived = rename(check, {c: e.source.column for c, e in mapped.items() if e.source is not None})
        via = "/".join(sorted({e.kind.value for e in mapped.values()}))
        parent_outcome = check_at(ctx, parent, derived, via)
        any_parent_checked = True
        if parent_outcome.failed:
            causes += walk(ctx, parent, derived, parent_outcome, share, depth + 1)
        elif parent_outcome.failed is None:
            errors.append(f"the check could not run on {parent.name}: {parent_outcome.error}")
    if causes:
        return causes
    if errors:  # never blame this node while an input could not be examined
        return [diagnose.unknown(ctx, node, check, outcome, errors[0], share)]
    if not any_parent_checked and unknown:
        return [diagnose.unknown(ctx, node, check, outcome, unknown[0].reason, share)]
    if isinstance(check, McvShare):
        # A default-value collapse: the dominant value may be an expression's fallback for NULL inputs
        fallback = collapse.trace_fallback(ctx, node, check, outcome, share, depth, walk)
        if fallback:
            return fallback
    return diagnose.locally(ctx, node, check, outcome, share, walk)


def _nulls_dominate(ctx: Context, node: Node, check: Check, outcome: Outcome) -> tuple[Check, Outcome] | None:
    """For a failing most-common-value share: the not-null check and its outcome when NULL is that value."""
    if not isinstance(check, McvShare) or not outcome.total:
        return None
    nulls = NotNull(check.column)
    found = check_at(ctx, node, nulls, "NULL share")
    if not found.failing or found.failing < (outcome.failing or 0):  # NULL is not the most common value
        return None
    return nulls, found


def _translatable(check: Check, edge: Edge) -> bool:
    if edge.kind in TRANSLATABLE:
        return True
    # The newest timestamp survives a scalar expression on it (a cast to date, a timezone shift) closely
    # enough to say where freshness was lost; values of other checks are not comparable through one.
    return isinstance(check, Freshness) and edge.kind == EdgeKind.EXPRESSION


def schema_walk(ctx: Context, node: Node, check: Schema, outcome: Outcome, share: float, depth: int) -> list[RootCause]:
    """A column missing or retyped: find the first ancestor where it went missing (or changed type)."""
    return diagnose.schema_origin(ctx, node, check, outcome, share, depth, walk)


__all__ = ["check_at", "walk"]
