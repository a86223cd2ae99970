"""Table-level diagnosis at the node where a check starts failing: fan-out, filter, schema change, drift.

Each function reads the model's compiled SQL (`headwater.trace.scope`) and asks the warehouse one or two
questions; each returns RootCauses with the probe's SQL as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef, EdgeKind
from headwater.trace.checks import (
    Check,
    DistinctContains,
    Drift,
    Freshness,
    RowCount,
    Schema,
    Unique,
    columns_of,
    describe,
)
from headwater.trace.context import Context
from headwater.trace.instrument import ROWS, with_rows
from headwater.trace.measures import Outcome
from headwater.trace.model import CauseKind, Evidence, Mechanism, PathStep, RootCause
from headwater.trace.scope import Scope, base_table, locate, without_self_filters
from headwater.trace.types import same_type
from headwater.warehouse import ProbeError

Walk = Callable[..., list[RootCause]]


def _q(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _cause(ctx: Context, node: Node, column: str, mechanism: Mechanism, text: str, evidence: Evidence, share: float, summary: str, kind: CauseKind = CauseKind.TRANSFORMATION, side: str = "") -> RootCause:
    file, line = ctx.where(node, text)
    where = f"{file}:{line}" if line else file
    return RootCause(kind, node.unique_id, ctx.label(node), column, mechanism, text, file, line, evidence, share,
                     summary.replace("{where}", where), side)


def locally(
    ctx: Context, node: Node, check: Check, outcome: Outcome, share: float, walk: Walk | None = None
) -> list[RootCause]:
    """The check fails here and its upstream columns pass: what in this model makes it fail?"""
    scope = locate(node.compiled_code or "", ctx.dialect, columns_of(check)[0]) if columns_of(check) else None
    if scope is not None and node.materialized == "incremental" and node.identifier:
        scope = without_self_filters(scope, node.identifier)
    try:
        if isinstance(check, Unique) and scope is not None:
            found = fan_out(ctx, node, scope, check, outcome, share)
            if found and walk is not None:
                return _declared_keys_upstream(ctx, node, scope, found, walk) or found
            if found:
                return found
        if isinstance(check, DistinctContains | Freshness | RowCount) and scope is not None and scope.filters:
            found = filtered(ctx, node, scope, check, outcome, share)
            if found:
                return found
    except ProbeError as err:
        return [_cause(ctx, node, check.column, Mechanism.UNKNOWN, "", Evidence(outcome.failing, sql=err.probe.sql, detail=err.probe.error), share,
                       f"a probe on `{node.name}` could not run: {err.probe.error}", CauseKind.UNKNOWN)]
    if isinstance(check, Drift):
        return [_cause(ctx, node, check.column, Mechanism.DRIFT, "", Evidence(outcome.failing, outcome.failing, outcome.total, (), outcome.sql, outcome.observed),
                       share, f"`{node.name}.{check.column}` is the first column on the path whose distribution moved ({outcome.observed})")]
    text = scope.output.sql(dialect=ctx.dialect) if scope is not None else ""
    column = check.column or ",".join(columns_of(check))
    return [_cause(ctx, node, column, Mechanism.EXPRESSION, text, Evidence(outcome.failing, outcome.failing, outcome.total, (), outcome.sql, outcome.observed), share,
                   f"`{node.name}` makes `{column}` fail {describe(check)} although its upstream columns pass ({outcome.observed}); see {{where}}")]


def _repeating_node(ctx: Context, scope: Scope, fan: RootCause) -> str | None:
    """unique_id of the relation on the repeating side of a fan-out's join, through the model's CTEs."""
    join = next((j for j in scope.joins if j.on is not None and j.on.sql(dialect=ctx.dialect) == fan.expression), None)
    if join is None:
        return None
    from_ = scope.select.args.get("from_")
    side = join.source if fan.join_side == "joined" else (from_.this if from_ is not None else None)
    table = base_table(scope, side) if side is not None else None
    if table is None:
        return None
    found = ctx.artifacts.manifest.node_by_relation(table.catalog or None, table.db or None, table.name)
    return found.unique_id if found is not None else None


def _declared_keys_upstream(ctx: Context, node: Node, scope: Scope, fan_outs: list[RootCause], walk: Walk) -> list[RootCause]:
    """A fan-out on a key the project declares unique upstream (a `unique` test) is not the join's fault
    when that key is in fact duplicated there: follow the duplicates up. A key never declared unique is a
    join on the wrong key, and the join stays the cause. The key is looked up on the join's repeating side
    only (another join on a column of the same name says nothing about this one)."""
    causes: list[RootCause] = []
    for fan in fan_outs:
        side = _repeating_node(ctx, scope, fan)
        for edge in ctx.lineage.edges_into(ColumnRef(node.unique_id, ctx.lineage.columns_of(node.unique_id)[0])):
            if edge.kind != EdgeKind.JOIN or edge.source is None or edge.source.column != fan.column:
                continue
            if side is not None and edge.source.node != side:
                continue
            parent = ctx.node(edge.source.node)
            if not ctx.declared_unique(parent, edge.source.column):
                continue
            from headwater.trace.walk import check_at

            check = Unique((edge.source.column,))
            outcome = check_at(ctx, parent, check, "join key")
            if outcome.failed:
                causes += walk(ctx, parent, check, outcome, fan.share)
            break
    return causes


def _cte_prefix(scope: Scope, outer: exp.Select) -> exp.Select:
    if scope.with_ is not None:
        outer.set("with_", scope.with_.copy())
    return outer


def fan_out(ctx: Context, node: Node, scope: Scope, check: Unique, outcome: Outcome, share: float) -> list[RootCause]:
    """A join whose other side repeats its key duplicates the rows: count the repeated keys per join."""
    own = {c.table.lower() for c in scope.inputs() if c.table} or {scope.driving.lower()}
    causes: list[RootCause] = []
    for join in scope.joins:
        if not join.pairs:
            continue
        side_is_joined = join.alias.lower() not in own
        keys = [(j if side_is_joined else d) for d, j in join.pairs]
        if not all(isinstance(k, exp.Column) for k in keys):
            continue  # a key computed on the driving side (`lower(c.code)`) is no column to group by
        table_alias = join.alias if side_is_joined else scope.driving
        source = join.source if side_is_joined else scope.select.args["from_"].this
        names = [exp.column(k.name, quoted=True) for k in keys]
        inner = exp.select(*names, exp.alias_(exp.Count(this=exp.Star()), "hw_n", quoted=True)).from_(source.copy()).group_by(*[n.copy() for n in names]).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        outer = exp.select(*[n.copy() for n in names], _q("hw_n"),
                           exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), "hw_keys", quoted=True),
                           exp.alias_(exp.Window(this=exp.func("sum", _q("hw_n"))), "hw_rows", quoted=True)
                           ).from_(inner.subquery("hw_dupes")).order_by(exp.Ordered(this=_q("hw_n"), desc=True)).limit(5)
        result = ctx.warehouse.query(_cte_prefix(scope, outer), purpose=f"join key uniqueness in {ctx.label(node)}", relation=ctx.label(node))
        if not result.rows:
            continue
        first = result.first()
        dup_keys, dup_rows = int(first["hw_keys"]), int(first["hw_rows"])
        samples = tuple(", ".join(f"{k.name}={r[i]}" for i, k in enumerate(keys)) + f" ({r[len(keys)]} rows)" for r in result.rows)
        key_text = ", ".join(f"{table_alias}.{k.name}" for k in keys)
        condition = join.on.sql(dialect=ctx.dialect) if join.on is not None else ""
        causes.append(_cause(
            ctx, node, keys[0].name.lower(), Mechanism.FAN_OUT, condition,
            Evidence(outcome.failing, dup_keys, dup_rows, samples, result.probe.sql, f"{dup_keys:,} values of {key_text} repeat ({dup_rows:,} rows)"),
            share, f"the {join.side.upper()} JOIN at {{where}} ({condition}) matches several `{join.alias if side_is_joined else scope.driving}` rows per key: "
                   f"`{key_text}` is not unique ({dup_keys:,} keys repeat), duplicating `{node.name}.{check.column}`",
            side="joined" if side_is_joined else "driving"))
    if len(causes) > 1:
        total = sum(c.evidence.failing_here or 0 for c in causes) or 1
        causes = [RootCause(**{**c.__dict__, "share": share * (c.evidence.failing_here or 0) / total}) for c in causes]
    return sorted(causes, key=lambda c: -c.share)


def filtered(ctx: Context, node: Node, scope: Scope, check: Check, outcome: Outcome, share: float) -> list[RootCause]:
    """Which WHERE conjunct drops the rows the check misses (expected values, newer rows, any rows)?"""
    target: exp.Expr
    what = f"rows of `{scope.column}`"
    if isinstance(check, DistinctContains):
        missing = _missing_values(ctx, node, check)
        if not missing:
            return []
        target = exp.In(this=_q("hw_out"), expressions=[exp.convert(v) for v in missing])
        what = f"rows whose `{scope.column}` is {', '.join(repr(v) for v in missing)} (the values missing downstream)"
    elif isinstance(check, Freshness):
        kept = exp.select(exp.func("max", _q("hw_out"))).from_(ROWS).where(exp.and_(*[_q(f"hw_f_{i}") for i in range(len(scope.filters))]))
        target = exp.GT(this=_q("hw_out"), expression=exp.Subquery(this=kept))
        what = f"rows with a newer `{scope.column}` than any row it keeps"
    else:
        target = exp.true()
    projections: dict[str, exp.Expr] = {"hw_out": scope.output}
    for i, conjunct in enumerate(scope.filters):
        projections[f"hw_f_{i}"] = conjunct
    measures: list[exp.Expr] = [exp.alias_(exp.func("sum", exp.case().when(target.copy(), exp.Literal.number(1)).else_(exp.Literal.number(0))), "hw_target", quoted=True)]
    for i in range(len(scope.filters)):
        dropped = exp.and_(target.copy(), exp.not_(exp.func("coalesce", _q(f"hw_f_{i}"), exp.false())))
        measures.append(exp.alias_(exp.func("sum", exp.case().when(dropped, exp.Literal.number(1)).else_(exp.Literal.number(0))), f"hw_drop_{i}", quoted=True))
    query = with_rows(scope, projections, exp.select(*measures).from_(ROWS), keep_where=False)
    result = ctx.warehouse.query(query, purpose=f"filters of {ctx.label(node)}", relation=ctx.label(node))
    row: dict[str, Any] = result.first()
    targets = int(row.get("hw_target") or 0)
    drops = [(int(row.get(f"hw_drop_{i}") or 0), i) for i in range(len(scope.filters))]
    most, best = max(drops, default=(0, -1))
    if not targets or not most:
        return []
    conjunct = scope.filters[best]
    text = conjunct.sql(dialect=ctx.dialect)
    columns = sorted({c.name.lower() for c in conjunct.find_all(exp.Column)})
    return [_cause(ctx, node, columns[0] if columns else scope.column, Mechanism.FILTER, text,
                   Evidence(outcome.failing, most, targets, (), result.probe.sql, f"the filter drops {most:,} of {targets:,} {what}"),
                   share, f"the filter `{text}` at {{where}} drops {'all' if most == targets else f'{most:,} of the'} {targets:,} {what}")]


def _missing_values(ctx: Context, node: Node, check: DistinctContains) -> list[Any]:
    source = ctx.source(node)
    if source is None:
        return []
    column = exp.column(check.column, quoted=True)
    query = exp.select(column).distinct().from_(source).where(exp.In(this=column.copy(), expressions=[exp.convert(v) for v in check.values]))
    present = {r[0] for r in ctx.warehouse.query(query, purpose="present values", relation=ctx.label(node)).rows}
    return [v for v in check.values if v not in present]


# -- schema ----------------------------------------------------------------------------------------------


def actual_columns(ctx: Context, node: Node) -> dict[str, str] | None:
    relation = ctx.relation(node)
    if relation is not None:
        return ctx.warehouse.columns(*relation)
    return dict.fromkeys(ctx.lineage.columns_of(node.unique_id), "") or None


def schema_origin(ctx: Context, node: Node, check: Schema, outcome: Outcome, share: float, depth: int,
                  walk: Callable[..., list[RootCause]]) -> list[RootCause]:
    """Missing columns: the first ancestor that lacks them while its parents have them (or a source that
    declares them in YAML and lacks them). Retyped columns: the source column whose type changed."""
    actual = actual_columns(ctx, node) or {}
    missing = [c for c in (*check.columns, *(c for c, _ in check.types)) if c not in actual]
    causes: list[RootCause] = []
    seen: set[str] = set()
    for column in dict.fromkeys(missing):
        causes += _missing_origin(ctx, node, column, outcome, seen)
    for column, expected in check.types:
        if column in actual and not same_type(expected, actual[column]):
            ev = Evidence(outcome.failing, 1, None, (), outcome.sql, f"{column}: expected {expected}, found {actual[column]}")
            origin = source_type_change(ctx, ColumnRef(node.unique_id, column), ev, share)
            causes.append(origin or _cause(ctx, node, column, Mechanism.SCHEMA_CHANGE, column, ev, share,
                                           f"`{node.name}.{column}` is {actual[column]}, expected {expected} (changed by {{where}})", CauseKind.SCHEMA))
    if causes:
        part = share / len(causes)
        causes = [RootCause(**{**c.__dict__, "share": part}) for c in causes]
    return causes


def _schema_sql(ctx: Context, node: Node) -> str:
    relation = ctx.relation(node)
    return ctx.warehouse.columns_sql(*relation) if relation is not None else ""


def _parents(ctx: Context, node: Node) -> list[Node]:
    return [ctx.node(d) for d in node.depends_on if d.split(".", 1)[0] in ("model", "seed", "snapshot", "source")]


_CARRY = (EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST)


def carriers(ctx: Context, node: Node, column: str) -> tuple[list[tuple[Node, str]], str]:
    """The parents that could carry `column` into `node`, each with the column's name there, and how that
    was decided. Parents that feed the model only through aggregates, join keys or filters cannot carry a
    column, so their branches are not searched."""
    edges = [e for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, column)) if e.source is not None and e.kind in _CARRY]
    if edges:
        found = {(e.source.node, e.source.column): None for e in edges if e.source is not None}
        return [(ctx.node(n), c) for n, c in found], "lineage"
    # The column is gone from the model's own lineage too (a `select *` no longer yields it): the parents
    # that pass other columns through unchanged (a star, a plain column list) are the ones that carried it,
    # and a parent whose columns still include it.
    parents = _parents(ctx, node)
    passing = {e.source.node for c in ctx.lineage.columns_of(node.unique_id)
               for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, c)) if e.source is not None and e.kind in _CARRY}
    found_parents = [p for p in parents if p.unique_id in passing or column in ctx.lineage.columns_of(p.unique_id) or column in p.columns]
    if found_parents:
        return [(p, column) for p in found_parents], "parents passing columns through"
    return [(p, column) for p in parents], "every parent (lineage names none that passes columns through)"


def _missing_origin(ctx: Context, node: Node, column: str, outcome: Outcome, seen: set[str]) -> list[RootCause]:
    candidates, how = carriers(ctx, node, column)
    if not candidates:
        return []
    holders: list[Node] = []
    lacking: list[tuple[Node, str]] = []
    for parent, name in candidates:
        if parent.unique_id in seen:
            continue
        seen.add(parent.unique_id)
        cols = actual_columns(ctx, parent) or {}
        step = PathStep(parent.unique_id, ctx.label(parent), name, "schema (column exists)", name not in cols,
                        observed=("present" if name in cols else "missing") + f" (searched: {how})",
                        sql=_schema_sql(ctx, parent), via="table")
        ctx.path.append(step)
        if name in cols:
            holders.append(parent)
        else:
            lacking.append((parent, name))
    if (holders and not ctx.is_leaf(node)) or (holders and node.resource_type == "model"):
        names = ", ".join(p.name for p in holders)
        ev = Evidence(outcome.failing, 1, None, (), outcome.sql, f"`{column}` exists in {names} but not in {node.name}")
        return [_cause(ctx, node, column, Mechanism.SCHEMA_CHANGE, column, ev, 1.0,
                       f"`{node.name}` no longer produces `{column}` although {names} has it (see {{where}})", CauseKind.SCHEMA)]
    causes: list[RootCause] = []
    for parent, column in sorted(lacking, key=lambda pc: pc[1] not in pc[0].columns):
        if ctx.is_leaf(parent):
            if column in parent.columns:
                cols = actual_columns(ctx, parent) or {}
                new = [c for c in cols if c not in parent.columns]
                detail = f"declared `{column}` is missing in {ctx.label(parent)}" + (f"; undeclared new columns: {', '.join(new)}" if new else "")
                ev = Evidence(outcome.failing, 1, len(cols), tuple(new), _schema_sql(ctx, parent), detail)
                causes.append(RootCause(CauseKind.SCHEMA, parent.unique_id, ctx.label(parent), column, Mechanism.SCHEMA_CHANGE, "",
                                        parent.original_file_path, ctx.yaml_line(parent, column), ev, 1.0,
                                        f"the source column `{parent.display_name}.{column}` is gone from {ctx.label(parent)}"
                                        + (f" (new columns: {', '.join(new)}: renamed?)" if new else "")))
        else:
            causes += _missing_origin(ctx, parent, column, outcome, seen)
    return causes


def source_type_change(ctx: Context, ref: ColumnRef, evidence: Evidence, share: float) -> RootCause | None:
    """Follow `ref` up through passthrough/rename/cast edges to a source; a type that differs from the
    type declared in YAML there is a schema change at the source."""
    current = ref
    for _ in range(30):
        node = ctx.node(current.node)
        if ctx.is_leaf(node):
            declared = ctx.declared_type(node, current.column)
            relation = ctx.relation(node)
            actual = (ctx.warehouse.columns(*relation) or {}).get(current.column) if relation else None
            if declared and actual and not same_type(declared, actual):
                detail = f"declared {declared}, now {actual}; " + evidence.detail
                return RootCause(CauseKind.SCHEMA, node.unique_id, ctx.label(node), current.column, Mechanism.SCHEMA_CHANGE, "",
                                 node.original_file_path, ctx.yaml_line(node, current.column), Evidence(evidence.failing_downstream, evidence.failing_here, evidence.total_here,
                                                                         evidence.sample_keys, evidence.sql, detail), share,
                                 f"`{node.display_name}.{current.column}` changed type at the source from {declared} to {actual}; "
                                 f"downstream casts turn {evidence.failing_here or 0:,} of its values into NULL")
            return None
        ups = [e for e in ctx.lineage.edges_into(current) if e.source is not None and e.kind in (EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST)]
        if not ups:
            return None
        current = ups[0].source  # type: ignore[assignment]
    return None
