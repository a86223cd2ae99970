"""Instrumented row classification: re-run the model's own SQL for the failing column and sort its failing
rows by who made them bad (`headwater.trace.instrument.classify`, one scan):

- an outer join that found no match for them → a WHERE on the joined side's way, an expression on the key
  (in the ON condition, or upstream of the join), orphans at the source (`headwater.trace.join_keys`: ascend
  there), else a join miss here;
- an input that already fails (NULL for not_null; the same predicate through passthrough/cast; a value the
  passing rows never have through any other expression) → ascend to that input's parent column;
- every input set but the output NULL → a cast failure or a NULL-producing expression here;
- the rest → the column's expression itself.
"""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.trace import causes as cause
from headwater.trace import join_keys, row_causes
from headwater.trace.checks import Between, Check, InSet, NotNull, rename
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import bound_inputs, defining_scope, row_scope
from headwater.trace.instrument import Classified, classify, never_passing_values, outside_passing_range, relevant_joins
from headwater.trace.model import RootCause
from headwater.trace.scope import Scope
from headwater.warehouse import ProbeError


def instrumented(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    scope = row_scope(ctx, node, check)
    if scope is None:
        return None
    bound, translatable = bound_inputs(ctx, node, scope, check)
    classified = _classify(ctx, node, scope, check, translatable)
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
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    scale = question.share / classified.failing
    causes: list[RootCause] = []
    ascend: list[Ascend] = []
    for join in relevant_joins(scope):
        rows = classified.join_miss.get(join.index, 0)
        if not rows:
            continue
        deeper = row_causes.filtered_before_join(ctx, node, scope, join, outcome, scale * rows)
        deeper = deeper or join_keys.key_expression(ctx, node, scope, join, outcome, scale * rows)
        deeper = deeper or join_keys.key_changed_upstream(ctx, node, scope, join, outcome, scale * rows)
        orphans = None if deeper else join_keys.orphans_at_source(ctx, node, scope, join, rows, scale * rows)
        if orphans is not None:
            ascend.append(orphans)
            continue
        causes.append(
            deeper or row_causes.join_miss(ctx, node, scope, join, check, rows, classified, outcome, scale * rows)
        )
    inputs = scope.inputs()
    for i, edge in enumerate(bound):
        bad = classified.input_bad.get(i, 0)
        if bad and (edge is None or edge.source is None):
            reason = (
                ctx.unknown_reason(node, check.column) or f"lineage names no upstream column for `{inputs[i].sql()}`"
            )
            causes.append(cause.unknown(ctx, node, check, outcome, reason, scale * bad))
            continue
        if edge is None or edge.source is None:
            continue
        carried: Check | None = None
        if isinstance(check, NotNull) or translatable[i]:
            carried = rename(check, {check.column: edge.source.column}) if bad else None
        else:
            carried, bad = _derived_input_check(ctx, scope, check, classified, i, edge.source.column)
        if not bad or carried is None:
            continue
        parent = ctx.node(edge.source.node)
        there = ctx.check(parent, carried, edge.kind.value)
        if there.failed:
            derived = not (isinstance(check, NotNull) or translatable[i])
            written = rename(check, {check.column: edge.source.column}) if derived else None
            ascend.append(Ascend(parent, carried, there, scale * bad, edge.kind.value, as_written=written))
        else:
            causes.append(cause.transformation(ctx, node, scope, edge, check, bad, outcome, scale * bad))
    explained = sum(classified.join_miss.get(j.index, 0) for j in scope.joins) + sum(
        classified.input_bad.get(i, 0) for i in range(len(inputs))
    )
    if isinstance(check, NotNull) and classified.nulled:
        causes.append(row_causes.nulled(ctx, node, scope, bound, classified, outcome, scale * classified.nulled))
        explained += classified.nulled
    rest = classified.failing - explained
    fallback: tuple[RootCause, ...] = ()
    if rest > 0:  # only when nothing else explains any of it: the expression itself
        edge = next((e for e in bound if e is not None), None)
        fallback = (cause.transformation(ctx, node, scope, edge, check, rest, outcome, scale * rest),)
    return Finding(tuple(causes), tuple(ascend), fallback)


def _classify(ctx: Context, node: Node, scope: Scope, check: Check, translatable: list[bool]) -> Classified | None:
    label = ctx.label(node)
    keys = _sample_keys(ctx, node, scope)
    try:
        return classify(ctx.warehouse, scope, check, translatable, label, keys)
    except ProbeError:
        if not any(translatable):
            return None
    try:  # the literal predicate did not fit the input's type (a retyped column): compare values instead
        return classify(ctx.warehouse, scope, check, [False] * len(translatable), label, keys)
    except ProbeError:
        return None


def _sample_keys(ctx: Context, node: Node, scope: Scope) -> dict[str, exp.Expr]:
    """The model's key column, projected from the same SELECT, so failing rows come with their keys."""
    key = ctx.key_column(node)
    if key is None or key == scope.column:
        return {}
    key_scope = defining_scope(ctx, node, key)
    if key_scope is None or (key_scope.select is not scope.select and key_scope.select.sql() != scope.select.sql()):
        return {}
    return {key: key_scope.output}


def _derived_input_check(
    ctx: Context, scope: Scope, check: Check, classified: Classified, i: int, parent_column: str
) -> tuple[Check | None, int]:
    """Through an expression the check cannot be translated. The inputs of failing rows are bad when they
    are values the passing rows never have (categorical) or lie outside the passing rows' range (numeric);
    one grouped scan counts them. Returns the check to carry upstream (`not in {bad values}` /
    `between [passing min, passing max]`) and the failing rows it explains (none unless at least half)."""
    if not classified.passing or i not in classified.passing_range:
        return None, 0  # every row fails: the transformation, not some inputs
    low, high = classified.passing_range[i]
    sample = classified.sample_of(i)
    numeric = (isinstance(sample, int | float) and not isinstance(sample, bool)) or hasattr(sample, "as_tuple")
    if numeric and low is not None:
        bad = outside_passing_range(ctx.warehouse, scope, check, i, low, high)
        return (Between(parent_column, low, high), bad) if bad * 2 >= classified.failing else (None, 0)
    values, bad = never_passing_values(ctx.warehouse, scope, check, i)
    if bad * 2 < classified.failing:
        return None, 0
    return InSet(parent_column, values, negate=True), bad
