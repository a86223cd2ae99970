"""A source column whose type changed, or that vanished, since the last good state: a schema change at the
source, with the types before and after, not bad data. A vanished column is named renamed when one new
column of the same type family appeared in its place: the one whose profile now matches the vanished
column's profile then (NULL share, distinct count, range), when the history has profiles."""

from __future__ import annotations

from headwater.semantics.types import TypeChange, compare_types, normalize_type
from headwater.trace import causes as cause
from headwater.trace.checks import columns_of
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause


def schema_since(ctx: Context, question: Question) -> Finding | None:
    good, node = ctx.good, question.node
    relation = ctx.relation(node)
    if good is None or relation is None or not ctx.is_leaf(node):
        return None
    then = good.columns(node.unique_id)
    now = ctx.warehouse.columns(*relation)
    if not then or not now:
        return None
    causes: list[RootCause] = []
    for column in columns_of(question.check):
        if column not in then:
            continue
        if column not in now:
            kind = normalize_type(then[column], ctx.dialect).family
            new = [c for c in now if c not in then and normalize_type(now[c], ctx.dialect).family == kind]
            match = cause.renamed_to(ctx, node, relation, column, new) if len(new) > 1 or good.has_data else None
            renamed = (
                f", renamed to `{match}` (its values match those `{column}` had)"
                if match
                else f", renamed to `{new[0]}`?"
                if len(new) == 1
                else ""
            )
            detail = f"`{column}` ({then[column]}) in {good.origin}; gone now{renamed}"
            summary = f"the source column `{node.display_name}.{column}` is gone since {good.origin}{renamed}"
        elif compare_types(then[column], now[column], ctx.dialect).change is not TypeChange.SAME:
            detail = f"`{column}` was {then[column]} in {good.origin}, is {now[column]} now"
            summary = (
                f"`{node.display_name}.{column}` changed type at the source since {good.origin}: "
                f"{then[column]} → {now[column]}"
            )
        else:
            continue
        outcome = question.outcome
        sql = ctx.warehouse.columns_sql(*relation)
        causes.append(
            RootCause(
                CauseKind.SCHEMA,
                node.unique_id,
                ctx.label(node),
                column,
                Mechanism.SCHEMA_CHANGE,
                "",
                node.original_file_path,
                ctx.yaml_line(node, column),
                Evidence(outcome.failing, outcome.failing, outcome.total, (), sql, detail),
                question.share,
                summary,
                decided_by=f"schema: catalog of {good.origin}",
            )
        )
    return Finding(tuple(causes)) if causes else None
