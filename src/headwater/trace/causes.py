"""RootCause builders the rules share: where a cause is written (file:line), how it is worded, and the one
cause several rules reach (a source column whose type changed under a cast)."""

from __future__ import annotations

from dataclasses import replace

from headwater.dbt import Node
from headwater.lineage import ColumnRef, Edge, EdgeKind
from headwater.semantics.types import same_type
from headwater.trace.checks import Check, NotNull, Unique, columns_of, describe
from headwater.trace.code_diff import scope_difference
from headwater.trace.context import Context
from headwater.trace.inputs import TRANSLATABLE
from headwater.trace.measures import Outcome
from headwater.trace.memory import last_commit, profile_moves, profile_now
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.scope import Scope


def at(
    ctx: Context,
    node: Node,
    column: str,
    mechanism: Mechanism,
    text: str,
    evidence: Evidence,
    share: float,
    summary: str,
    kind: CauseKind = CauseKind.TRANSFORMATION,
    side: str = "",
) -> RootCause:
    """A cause in `node`'s SQL at the line of `text`; `{where}` in the summary becomes `file:line`."""
    file, line = ctx.where(node, text)
    where = f"{file}:{line}" if line else file
    return RootCause(
        kind,
        node.unique_id,
        ctx.label(node),
        column,
        mechanism,
        text,
        file,
        line,
        evidence,
        share,
        summary.replace("{where}", where),
        side,
    )


def unknown(ctx: Context, node: Node, check: Check, outcome: Outcome, reason: str, share: float) -> RootCause:
    return RootCause(
        kind=CauseKind.UNKNOWN,
        node=node.unique_id,
        relation=ctx.label(node),
        column=",".join(columns_of(check)),
        mechanism=Mechanism.UNKNOWN,
        file=node.original_file_path,
        evidence=Evidence(outcome.failing, None, outcome.total, (), outcome.sql, reason),
        share=share,
        summary=f"cannot follow `{node.name}` further up: {reason}",
    )


def bad_word(check: Check) -> str:
    return "NULL" if isinstance(check, NotNull) else f"failing {describe(check)}"


def located(ctx: Context, node: Node, column: str, text: str, kind: EdgeKind | None = None) -> tuple[str, int | None]:
    """file:line of an expression of `node.column`: its lineage edge's location, else a search of the raw SQL."""
    edges = [
        e
        for e in ctx.lineage.edges_into(ColumnRef(node.unique_id, column))
        if e.location is not None and e.location.line
    ]
    for edge in edges:
        matches = edge.kind == kind if kind is not None else text.lower()[:20] in edge.expression.lower()
        if matches and edge.location is not None:
            return edge.location.file, edge.location.line
    file, line = ctx.where(node, text)
    if line is None:  # the value edge of the column says where its expression is written
        value = next((e for e in edges if not e.kind.is_row_edge), None)
        if value is not None and value.location is not None:
            return value.location.file, value.location.line
    return file, line


def transformation(
    ctx: Context, node: Node, scope: Scope, edge: Edge | None, check: Check, rows: int, outcome: Outcome, share: float
) -> RootCause:
    """The expression of the column itself makes `rows` rows fail although their inputs pass."""
    text = edge.expression if edge is not None and edge.expression else scope.output.sql(dialect=ctx.dialect)
    file: str
    line: int | None
    if edge is not None and edge.location is not None and edge.location.line:
        file, line = edge.location.file, edge.location.line
    else:
        file, line = located(ctx, node, scope.column, text)
    where = f"{file}:{line}" if line else file
    return RootCause(
        kind=CauseKind.TRANSFORMATION,
        node=node.unique_id,
        relation=ctx.label(node),
        column=scope.column,
        mechanism=Mechanism.EXPRESSION,
        expression=text,
        file=file,
        line=line,
        evidence=Evidence(
            outcome.failing, rows, outcome.total, (), outcome.sql, f"{rows:,} rows fail although their inputs pass"
        ),
        share=share,
        summary=f"`{text}` at {where} produces {bad_word(check)} values for {rows:,} rows whose inputs pass",
    )


def source_type_change(
    ctx: Context, ref: ColumnRef, evidence: Evidence, share: float, nulled: bool = True
) -> RootCause | None:
    """Follow `ref` up through passthrough/rename/cast edges to a source; a type that differs from the
    type declared in YAML there (else in the last good state) is a schema change at the source. `nulled`:
    the evidence counts values a downstream cast turned into NULL."""
    found = _carried_from_source(ctx, ref)
    return _retyped_source(ctx, *found, evidence, share, nulled) if found is not None else None


def untyped_source(ctx: Context, ref: ColumnRef) -> str:
    """The source column `ref` carries, when nothing says what its type was: no `data_type` declared and no
    last good state's catalog holding it ("" otherwise). Named with today's type."""
    found = _carried_from_source(ctx, ref)
    if found is None or ctx.declared_type(*found):
        return ""
    node, column = found
    if ctx.good is not None and (ctx.good.columns(node.unique_id) or {}).get(column):
        return ""
    now = _type_now(ctx, node, column)
    return f"`{node.display_name}.{column}` ({now or 'type unknown'}, no declared data_type)"


def _carried_from_source(ctx: Context, ref: ColumnRef) -> tuple[Node, str] | None:
    """The source column `ref` carries, up through passthrough/rename/cast edges (None: not one)."""
    current = ref
    for _ in range(30):
        node = ctx.node(current.node)
        if ctx.is_leaf(node):
            return node, current.column
        ups = [e.source for e in ctx.lineage.edges_into(current) if e.source is not None and e.kind in TRANSLATABLE]
        if not ups:
            return None
        current = ups[0]
    return None


def _retyped_source(
    ctx: Context, node: Node, column: str, evidence: Evidence, share: float, nulled: bool
) -> RootCause | None:
    """The source column's type now against the type declared in YAML, else the type in the last good state."""
    relation = ctx.relation(node)
    actual = (ctx.warehouse.columns(*relation) or {}).get(column) if relation else None
    declared, said, decided = ctx.declared_type(node, column), "declared", ""
    if not declared and ctx.good is not None:
        declared = (ctx.good.columns(node.unique_id) or {}).get(column)
        said, decided = f"in {ctx.good.origin}", f"schema: catalog of {ctx.good.origin}"
    if not declared or not actual or same_type(declared, actual):
        return None
    found = replace(evidence, detail=f"{said} {declared}, now {actual}; " + evidence.detail)
    then = "" if said == "declared" else f" ({said})"
    return RootCause(
        CauseKind.SCHEMA,
        node.unique_id,
        ctx.label(node),
        column,
        Mechanism.SCHEMA_CHANGE,
        "",
        node.original_file_path,
        ctx.yaml_line(node, column),
        found,
        share,
        f"`{node.display_name}.{column}` changed type at the source from {declared}{then} to {actual}"
        + (f"; downstream casts turn {evidence.failing_here or 0:,} of its values into NULL" if nulled else ""),
        decided_by=decided,
    )


_PART = {"expression": Mechanism.EXPRESSION, "filter": Mechanism.FILTER, "group": Mechanism.EXPRESSION}


def code_change(
    ctx: Context, node: Node, column: str, check: Check, outcome: Outcome, share: float, why: str, inputs: str
) -> RootCause | None:
    """The part of `node`'s SQL defining `column` that differs from the last good state (expression, join,
    filter, group by), at its line, with the commit that last changed the file; None when it did not change."""
    good = ctx.good
    then = good.node(node.unique_id) if good is not None else None
    if good is None or then is None or then.compiled_sql is None or not node.compiled_code:
        return None
    if not good.code_changed(node.unique_id, node.compiled_code):
        return None
    diff = scope_difference(then.compiled_sql, node.compiled_code, ctx.dialect, column)
    if diff is None:
        return None
    mechanism = _PART.get(diff.part, Mechanism.EXPRESSION)
    if diff.part == "join":
        mechanism = (
            Mechanism.FAN_OUT
            if isinstance(check, Unique)
            else (Mechanism.JOIN_MISS if isinstance(check, NotNull) else Mechanism.EXPRESSION)
        )
    file, line = ctx.where_expression(node, diff.node, diff.after or diff.before)
    where = f"{file}:{line}" if line else file
    commit = last_commit(ctx.artifacts.project_dir, file)
    change = (
        f"`{diff.before}` became `{diff.after}`"
        if diff.before and diff.after
        else (f"`{diff.after}` was added" if diff.after else f"`{diff.before}` was removed")
    )
    summary = (
        f"the {diff.part} of `{node.name}.{column}` changed since {good.origin}: {change} at {where}"
        + (f" (commit {commit})" if commit else "")
        + f", {why}"
    )
    evidence = Evidence(
        outcome.failing,
        outcome.failing,
        outcome.total,
        (),
        outcome.sql,
        f"{diff.part} then: {diff.before or '(none)'}; now: {diff.after or '(none)'}"
        + (f"; commit {commit}" if commit else ""),
    )
    return RootCause(
        CauseKind.TRANSFORMATION,
        node.unique_id,
        ctx.label(node),
        column,
        mechanism,
        diff.after or diff.before,
        file,
        line,
        evidence,
        share,
        summary,
        decided_by=f"code: the compiled SQL of {node.name} differs from {good.origin}; inputs: {inputs}",
    )


def type_origin(ctx: Context, ref: ColumnRef) -> ColumnRef | None:
    """With a last good state: the column, up the value edges from `ref`, whose type changed since then while
    the types of the columns it reads did not. Followed through the one parent whose type changed (or cannot
    be told: an ephemeral model); None when several did, or when no type is known to have changed."""
    if ctx.good is None:
        return None
    current = ref
    for _ in range(30):
        node = ctx.node(current.node)
        parents = [e.source for e in ctx.value_edges(node, current.column) if e.source is not None]
        moved = [p for p in dict.fromkeys(parents) if _retyped(ctx, p) is not False]
        if not moved:
            return current if _retyped(ctx, current) else None
        if len(moved) != 1:
            return None
        current = moved[0]
    return None


def _retyped(ctx: Context, ref: ColumnRef) -> bool | None:
    """Whether the column's type differs from the last good state's (None: a type is unknown)."""
    node = ctx.node(ref.node)
    now = _type_now(ctx, node, ref.column)
    then = (ctx.good.columns(node.unique_id) or {}).get(ref.column) if ctx.good is not None else None
    if not now or not then:
        return None
    return not same_type(then, now, allow_widening=False)


def _type_now(ctx: Context, node: Node, column: str) -> str | None:
    relation = ctx.relation(node)
    if relation is None:
        return None
    return (ctx.warehouse.columns(*relation) or {}).get(column)


def renamed_to(
    ctx: Context, node: Node, relation: tuple[str | None, str | None, str], column: str, candidates: list[str]
) -> str | None:
    """The new column whose profile now matches the vanished column's then: NULL share within a point, distinct
    count within a tenth, and the same min and max (one scan of the candidates)."""
    good = ctx.good
    before = good.profile(node.unique_id) if good is not None else None
    old = before.column(column) if before is not None else None
    if before is None or old is None or not candidates:
        return None
    now = profile_now(ctx.warehouse, node.unique_id, relation, candidates, ctx.label(node))
    if now is None:
        return None
    share = old.null_count / max(before.row_count, 1)
    for profile in now.columns:
        if abs(profile.null_count / max(now.row_count, 1) - share) > 0.01:
            continue
        if (
            old.distinct_count
            and profile.distinct_count is not None
            and abs(profile.distinct_count - old.distinct_count) > 0.1 * old.distinct_count
        ):
            continue
        if (profile.min_value, profile.max_value) != (old.min_value, old.max_value):
            continue
        return profile.column
    return None


def type_entry(ctx: Context, ref: ColumnRef) -> ColumnRef:
    """Today's types alone: the topmost column up the single value edges from `ref` that has the same type,
    where that type entered the lineage (a source, or the model whose expression produces it)."""
    current = ref
    for _ in range(30):
        node = ctx.node(current.node)
        now = _type_now(ctx, node, current.column)
        edges = [e.source for e in ctx.value_edges(node, current.column) if e.source is not None]
        if len(edges) != 1 or not now:
            return current
        parent = edges[0]
        above = _type_now(ctx, ctx.node(parent.node), parent.column)
        if above is None and ctx.relation(ctx.node(parent.node)) is None:
            current = parent  # an ephemeral model: no table to ask, walk through
            continue
        if not above or not same_type(above, now, allow_widening=False):
            return current
        current = parent
    return current


def moved_since(ctx: Context, node: Node, column: str) -> str:
    """With a profiled good state: what moved in a column's profile since ("" when nothing did, or there is
    no profile to compare with). One scan of the column."""
    good, relation = ctx.good, ctx.relation(node)
    if good is None or not good.has_data or relation is None or not column or "," in column:
        return ""
    then = good.profile(node.unique_id)
    if then is None or then.column(column) is None:
        return ""
    now = profile_now(ctx.warehouse, node.unique_id, relation, [column], f"{ctx.label(node)}.{column}")
    return profile_moves(good, now) if now is not None else ""
