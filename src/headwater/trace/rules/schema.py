"""A column missing or retyped: the first ancestor where it went missing, or the source whose type changed.

A missing column is searched among the parents that could have carried it (lineage first; for a
`select *` that no longer yields it, the parents that pass columns through). A parent that still has it
convicts this node; a source that declares it and lacks it is the schema change; a model that lacks it
too is asked the same question one level up (an `Ascend` with the one-column schema check).
"""

from __future__ import annotations

from headwater.dbt import Node
from headwater.lineage import ColumnRef
from headwater.semantics.types import same_type
from headwater.trace import causes as cause
from headwater.trace.checks import Schema
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import TRANSLATABLE
from headwater.trace.measures import Outcome
from headwater.trace.model import CauseKind, Evidence, Mechanism, PathStep, RootCause


def schema(ctx: Context, question: Question) -> Finding | None:
    check, node, outcome = question.check, question.node, question.outcome
    if not isinstance(check, Schema):
        return None
    actual = actual_columns(ctx, node) or {}
    missing = list(dict.fromkeys(c for c in (*check.columns, *(c for c, _ in check.types)) if c not in actual))
    retyped = [(c, t) for c, t in check.types if c in actual and not same_type(t, actual[c])]
    part = question.share / (len(missing) + len(retyped) or 1)
    causes: list[RootCause] = []
    ascend: list[Ascend] = []
    steps: list[PathStep] = []
    for column in missing:
        found, up, seen = _missing_origin(ctx, node, column, outcome, part)
        causes += found
        ascend += up
        steps += seen
    for column, expected in retyped:
        ev = Evidence(
            outcome.failing, 1, None, (), outcome.sql, f"{column}: expected {expected}, found {actual[column]}"
        )
        changed = _changed_type(ctx, ColumnRef(node.unique_id, column), check, outcome, part)
        if changed is not None:
            causes.append(changed)
            continue
        origin = cause.source_type_change(ctx, ColumnRef(node.unique_id, column), ev, part, nulled=False)
        entry = cause.type_entry(ctx, ColumnRef(node.unique_id, column)) if origin is None else None
        if entry is not None and entry.node != node.unique_id:
            origin = _entered(ctx, entry, expected, actual[column], ev, part)
        causes.append(
            origin
            or cause.at(
                ctx,
                node,
                column,
                Mechanism.SCHEMA_CHANGE,
                column,
                ev,
                part,
                f"`{node.name}.{column}` is {actual[column]}, expected {expected} (changed by {{where}})",
                CauseKind.SCHEMA,
            )
        )
    return Finding(tuple(causes), tuple(ascend), steps=tuple(steps))


def actual_columns(ctx: Context, node: Node) -> dict[str, str] | None:
    """The node's columns and types in the warehouse (an ephemeral model: its lineage's columns, untyped)."""
    relation = ctx.relation(node)
    if relation is not None:
        return ctx.warehouse.columns(*relation)
    return dict.fromkeys(ctx.lineage.columns_of(node.unique_id), "") or None


def carriers(ctx: Context, node: Node, column: str) -> tuple[list[tuple[Node, str]], str]:
    """The parents that could carry `column` into `node`, each with the column's name there, and how that
    was decided. Parents that feed the model only through aggregates, join keys or filters cannot carry a
    column, so their branches are not searched."""
    edges = [
        e
        for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, column))
        if e.source is not None and e.kind in TRANSLATABLE
    ]
    if edges:
        found = {(e.source.node, e.source.column): None for e in edges if e.source is not None}
        return [(ctx.node(n), c) for n, c in found], "lineage"
    # The column is gone from the model's own lineage too (a `select *` no longer yields it): the parents
    # that pass other columns through unchanged (a star, a plain column list) are the ones that carried it,
    # and a parent whose columns still include it.
    parents = ctx.parents(node)
    passing = {
        e.source.node
        for c in ctx.lineage.columns_of(node.unique_id)
        for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, c))
        if e.source is not None and e.kind in TRANSLATABLE
    }
    found_parents = [
        p
        for p in parents
        if p.unique_id in passing or column in ctx.lineage.columns_of(p.unique_id) or column in p.columns
    ]
    if found_parents:
        return [(p, column) for p in found_parents], "parents passing columns through"
    return [(p, column) for p in parents], "every parent (lineage names none that passes columns through)"


def _schema_sql(ctx: Context, node: Node) -> str:
    relation = ctx.relation(node)
    return ctx.warehouse.columns_sql(*relation) if relation is not None else ""


def _missing_origin(
    ctx: Context, node: Node, column: str, outcome: Outcome, share: float
) -> tuple[list[RootCause], list[Ascend], list[PathStep]]:
    candidates, how = carriers(ctx, node, column)
    holders: list[Node] = []
    lacking: list[tuple[Node, str]] = []
    steps: list[PathStep] = []
    for parent, name in candidates:
        cols = actual_columns(ctx, parent) or {}
        steps.append(
            PathStep(
                parent.unique_id,
                ctx.label(parent),
                name,
                "schema (column exists)",
                name not in cols,
                observed=("present" if name in cols else "missing") + f" (searched: {how})",
                sql=_schema_sql(ctx, parent),
                via="table",
            )
        )
        (holders.append(parent) if name in cols else lacking.append((parent, name)))
    if holders and (not ctx.is_leaf(node) or node.resource_type == "model"):
        names = ", ".join(p.name for p in holders)
        ev = Evidence(outcome.failing, 1, None, (), outcome.sql, f"`{column}` exists in {names} but not in {node.name}")
        return (
            [
                cause.at(
                    ctx,
                    node,
                    column,
                    Mechanism.SCHEMA_CHANGE,
                    column,
                    ev,
                    share,
                    f"`{node.name}` no longer produces `{column}` although {names} has it (see {{where}})",
                    CauseKind.SCHEMA,
                )
            ],
            [],
            steps,
        )
    causes: list[RootCause] = []
    ascend: list[Ascend] = []
    part = share / (len(lacking) or 1)
    for parent, name in sorted(lacking, key=lambda pc: pc[1] not in pc[0].columns):
        if not ctx.is_leaf(parent):
            gone = Outcome(Schema((name,)), True, 1, None, f"missing {name}", _schema_sql(ctx, parent))
            ascend.append(Ascend(parent, Schema((name,)), gone, part, "schema"))
        elif name in parent.columns:
            causes.append(_gone_at_source(ctx, parent, name, outcome, part))
    return causes, ascend, steps


def _gone_at_source(ctx: Context, source: Node, column: str, outcome: Outcome, share: float) -> RootCause:
    cols = actual_columns(ctx, source) or {}
    new = [c for c in cols if c not in source.columns]
    relation = ctx.relation(source)
    match = cause.renamed_to(ctx, source, relation, column, new) if relation is not None and new else None
    detail = f"declared `{column}` is missing in {ctx.label(source)}" + (
        f"; undeclared new columns: {', '.join(new)}" if new else ""
    )
    ev = Evidence(outcome.failing, 1, len(cols), tuple(new), _schema_sql(ctx, source), detail)
    renamed = f" (new columns: {', '.join(new)}: renamed?)" if new else ""
    decided = ""
    if match:
        renamed = f", renamed to `{match}`: its values match those `{column}` had"
        decided = f"profile: `{match}` now matches `{column}` in {ctx.good.origin if ctx.good else 'the good state'}"
    return RootCause(
        CauseKind.SCHEMA,
        source.unique_id,
        ctx.label(source),
        column,
        Mechanism.SCHEMA_CHANGE,
        "",
        source.original_file_path,
        ctx.yaml_line(source, column),
        ev,
        share,
        f"the source column `{source.display_name}.{column}` is gone from {ctx.label(source)}{renamed}",
        decided_by=decided,
    )


def _changed_type(ctx: Context, ref: ColumnRef, check: Schema, outcome: Outcome, share: float) -> RootCause | None:
    """With a last good state: the model whose SQL changed the column's type since then (its input's type
    did not change), named by the part of its SQL that changed."""
    origin = cause.type_origin(ctx, ref)
    if origin is None:
        return None
    node = ctx.node(origin.node)
    return cause.code_change(
        ctx,
        node,
        origin.column,
        check,
        outcome,
        share,
        why="which changed the column's type while its input's type did not",
        inputs=f"the type of the column {node.name}.{origin.column} reads is unchanged",
    )


def _entered(ctx: Context, entry: ColumnRef, expected: str, found: str, ev: Evidence, share: float) -> RootCause:
    """Where today's type of the column entered the lineage: a source that delivers it (no model changes
    it on the way), or the model whose expression produces it."""
    node = ctx.node(entry.node)
    if ctx.is_leaf(node):
        return RootCause(
            CauseKind.SCHEMA,
            node.unique_id,
            ctx.label(node),
            entry.column,
            Mechanism.SCHEMA_CHANGE,
            "",
            node.original_file_path,
            ctx.yaml_line(node, entry.column),
            ev,
            share,
            f"`{node.display_name}.{entry.column}` arrives as {found} at the source (expected "
            f"{expected}) and no model on the way changes its type",
        )
    return cause.at(
        ctx,
        node,
        entry.column,
        Mechanism.SCHEMA_CHANGE,
        entry.column,
        ev,
        share,
        f"`{node.name}.{entry.column}` becomes {found} at {{where}} (expected {expected})",
        CauseKind.SCHEMA,
    )
