"""Fan-out: a uniqueness failure made by a join whose other side repeats its key (one grouped query per
join counts the repeated keys). A key the project declares unique upstream (a `unique` test, a unique or
primary-key constraint) that is in fact duplicated there is not the join's fault: the engine follows the
duplicates up that side. A key never declared unique is a join on the wrong key, and the join stays the
cause, unless the last good state says the key was unique then (the history knows what the YAML does not).
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import ColumnRef, EdgeKind
from headwater.trace import causes as cause
from headwater.trace.checks import Unique
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import defining_scope
from headwater.trace.instrument import ref
from headwater.trace.measures import Outcome
from headwater.trace.model import Evidence, Mechanism, RootCause
from headwater.trace.scope import Scope, base_table


def fan_out(ctx: Context, question: Question) -> Finding | None:
    node, check = question.node, question.check
    if not isinstance(check, Unique):
        return None
    scope = defining_scope(ctx, node, check.column)
    if scope is None:
        return None
    found = repeated_join_keys(ctx, node, scope, check, question.outcome, question.share)
    if not found:
        return None
    return Finding(ascend=tuple(_declared_keys_upstream(ctx, node, scope, found)), fallback=tuple(found))


def _cte_prefix(scope: Scope, outer: exp.Select) -> exp.Select:
    if scope.with_ is not None:
        outer.set("with_", scope.with_.copy())
    return outer


def repeated_join_keys(
    ctx: Context, node: Node, scope: Scope, check: Unique, outcome: Outcome, share: float
) -> list[RootCause]:
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
        repeated = exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))
        inner = (
            exp.select(*names, exp.alias_(exp.Count(this=exp.Star()), "hw_n", quoted=True))
            .from_(source.copy())
            .group_by(*[n.copy() for n in names])
            .having(repeated)
        )
        outer = (
            exp.select(
                *[n.copy() for n in names],
                ref("hw_n"),
                exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), "hw_keys", quoted=True),
                exp.alias_(exp.Window(this=exp.func("sum", ref("hw_n"))), "hw_rows", quoted=True),
            )
            .from_(inner.subquery("hw_dupes"))
            .order_by(exp.Ordered(this=ref("hw_n"), desc=True))
            .limit(5)
        )
        result = ctx.warehouse.query(
            _cte_prefix(scope, outer), purpose=f"join key uniqueness in {ctx.label(node)}", relation=ctx.label(node)
        )
        if not result.rows:
            continue
        first = result.first()
        dup_keys, dup_rows = int(first["hw_keys"]), int(first["hw_rows"])
        samples = tuple(
            ", ".join(f"{k.name}={r[i]}" for i, k in enumerate(keys)) + f" ({r[len(keys)]} rows)" for r in result.rows
        )
        key_text = ", ".join(f"{table_alias}.{k.name}" for k in keys)
        condition = join.on.sql(dialect=ctx.dialect) if join.on is not None else ""
        evidence = Evidence(
            outcome.failing,
            dup_keys,
            dup_rows,
            samples,
            result.probe.sql,
            f"{dup_keys:,} values of {key_text} repeat ({dup_rows:,} rows)",
        )
        summary = (
            f"the {join.side.upper()} JOIN at {{where}} ({condition}) matches several `{table_alias}` rows "
            f"per key: `{key_text}` is not unique ({dup_keys:,} keys repeat), duplicating "
            f"`{node.name}.{check.column}`"
        )
        causes.append(
            cause.at(
                ctx,
                node,
                keys[0].name.lower(),
                Mechanism.FAN_OUT,
                condition,
                evidence,
                share,
                summary,
                side="joined" if side_is_joined else "driving",
            )
        )
    if len(causes) > 1:
        total = sum(c.evidence.failing_here or 0 for c in causes) or 1
        causes = [replace(c, share=share * (c.evidence.failing_here or 0) / total) for c in causes]
    return sorted(causes, key=lambda c: -c.share)


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


def _unique_then(ctx: Context, node: Node, column: str) -> bool:
    """The key was unique in the last good state (its distinct count, approximate, is every non-NULL row)."""
    profile = ctx.good.profile(node.unique_id) if ctx.good is not None else None
    found = profile.column(column) if profile is not None else None
    if profile is None or found is None or found.distinct_count is None:
        return False
    return found.distinct_count >= 0.98 * (profile.row_count - found.null_count) > 0


def _declared_keys_upstream(ctx: Context, node: Node, scope: Scope, fan_outs: list[RootCause]) -> list[Ascend]:
    """The repeating side's key, where the project declares it unique and it fails to be: go up there. The key
    is looked up on the join's repeating side only (another join on a column of the same name says nothing)."""
    steps: list[Ascend] = []
    first = ctx.lineage.columns_of(node.unique_id)[0]
    for fan in fan_outs:
        side = _repeating_node(ctx, scope, fan)
        for edge in ctx.lineage.edges_into(ColumnRef(node.unique_id, first)):
            if edge.kind != EdgeKind.JOIN or edge.source is None or edge.source.column != fan.column:
                continue
            if side is not None and edge.source.node != side:
                continue
            parent = ctx.node(edge.source.node)
            if not ctx.declared_unique(parent, edge.source.column) and not _unique_then(
                ctx, parent, edge.source.column
            ):
                continue
            check = Unique((edge.source.column,))
            outcome = ctx.check(parent, check, "join key")
            if outcome.failed:
                steps.append(Ascend(parent, check, outcome, fan.share, "join key"))
            break
    return steps
