"""A source, seed or snapshot that already fails the check: the data arrives bad (or late, or reshaped)."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlglot import exp

from headwater.dbt import Node
from headwater.trace import causes as cause
from headwater.trace.checks import Between, Check, Freshness, InSet, NotNull, Schema, columns_of, describe
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.measures import Outcome, count_if, failing_predicate
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.warehouse import ProbeError

MOST = 0.5  # a carried range or set check failing on at least this share of a source column's rows


def leaf(ctx: Context, question: Question) -> Finding | None:
    if not ctx.is_leaf(question.node):
        return None
    doubt = _another_meaning(ctx, question)
    if doubt:
        return Finding((cause.unknown(ctx, question.node, question.check, question.outcome, doubt, question.share),))
    found = at_leaf(ctx, question.node, question.check, question.outcome, question.share)
    moved = cause.moved_since(ctx, question.node, found.column) if found.mechanism == Mechanism.SOURCE_DATA else ""
    if moved and ctx.good is not None:
        found = replace(
            found,
            summary=f"{found.summary}; since {ctx.good.origin}: {moved}",
            decided_by=f"data: the profile of {ctx.label(question.node)}.{found.column} moved ({moved})",
        )
    return Finding((found,))


def _another_meaning(ctx: Context, question: Question) -> str:
    """Doubts that only the last good state can settle ("" when there are none, or when it can):

    - a range, set or not-null check carried to a source column of another name that fails on most of its
      rows says more about the translation (a unit, a scale, an optional column) than about the data;
    - a check derived through an expression (the passing rows' range of an input) that the source rows pass
      as the check is written: the expression maps good values out of range, and whether the expression or
      the data changed cannot be told from today's data."""
    check, outcome = question.check, question.outcome
    if ctx.good is not None and ctx.good.has_data:
        return ""
    hint = "without the last good state (run `headwater snapshot` after a good build)"
    if question.as_written is not None:
        passing = _pass_as_written(ctx, question)
        if passing:
            return (
                f"{passing:,} of the {outcome.failing or 0:,} rows of `{ctx.label(question.node)}` blamed here "
                f"pass {describe(question.as_written)} as written: the expression that computes "
                f"`{question.below}` from them maps good values out of range, and a changed expression and "
                f"changed data look the same {hint}"
            )
        return ""
    if not question.below or question.below == check.column or not outcome.total or not outcome.failing:
        return ""
    if not isinstance(check, Between | InSet | NotNull) or outcome.failing / outcome.total < MOST:
        return ""
    return (
        f"`{question.below}` was checked as `{ctx.label(question.node)}.{check.column}`, which fails on "
        f"{outcome.failing / outcome.total:.0%} of its rows: a unit or meaning that differs between the two "
        f"columns and bad source data look the same {hint}"
    )


def _pass_as_written(ctx: Context, question: Question) -> int:
    """Rows failing the derived check that pass the original one (0 when most do not, or it cannot run)."""
    written, source = question.as_written, ctx.source(question.node)
    column = exp.column(question.check.column, quoted=True)
    derived = failing_predicate(question.check, column)
    original = failing_predicate(written, column) if written is not None else None
    if source is None or derived is None or original is None:
        return 0
    passes = exp.and_(exp.paren(derived.copy()), exp.not_(exp.func("coalesce", exp.paren(original), exp.false())))
    query = exp.select(count_if(derived), count_if(passes)).from_(source)
    try:
        failing, passing = ctx.warehouse.query(
            query, purpose="values as the check is written", relation=ctx.label(question.node)
        ).rows[0]
    except ProbeError:
        return 0
    return int(passing or 0) if failing and int(passing or 0) * 2 >= int(failing) else 0


def at_leaf(ctx: Context, node: Node, check: Check, outcome: Outcome, share: float) -> RootCause:
    mechanism = Mechanism.SOURCE_DATA
    kind = CauseKind.SOURCE
    if isinstance(check, Freshness) or _newest_too_old(check, outcome):
        mechanism = Mechanism.STALE
    elif isinstance(check, Schema):
        mechanism, kind = Mechanism.SCHEMA_CHANGE, CauseKind.SCHEMA
    elif check.name == "drift":
        mechanism = Mechanism.DRIFT
    column = ",".join(columns_of(check))
    samples, sql = _samples(ctx, node, check)
    name = f"{node.display_name}.{column}" if column else node.display_name
    if mechanism == Mechanism.STALE:
        summary = f"`{name}` is stale at the source {ctx.label(node)}: {outcome.observed}"
    elif isinstance(check, InSet) and check.negate and check.values:
        # the values that fail downstream, found through an expression: say they arrive, not "not_in_set"
        shown = ", ".join(repr(v) for v in check.values[:5]) + (" …" if len(check.values) > 5 else "")
        summary = f"`{name}` already arrives with {shown} at the source {ctx.label(node)} ({outcome.observed})"
    elif outcome.failing:
        summary = f"`{name}` already fails {describe(check)} at the source {ctx.label(node)} ({outcome.observed})"
    else:
        summary = f"`{name}` already fails {describe(check)} at the source {ctx.label(node)}: {outcome.observed}"
    return RootCause(
        kind=kind,
        node=node.unique_id,
        relation=ctx.label(node),
        column=column,
        mechanism=mechanism,
        file=node.original_file_path,
        line=ctx.yaml_line(node, check.column or ""),
        evidence=Evidence(None, outcome.failing, outcome.total, samples, sql or outcome.sql, outcome.observed),
        share=share,
        summary=summary,
    )


def _newest_too_old(check: Check, outcome: Outcome) -> bool:
    """`max(timestamp) >= bound` failing at a source is staleness, whatever the expectation is called."""
    if not isinstance(check, Between) or check.stat != "max" or check.min_value is None:
        return False
    return bool(re.match(r"\d{4}-\d{2}-\d{2}", str(check.min_value))) and "max =" in outcome.observed


def _samples(ctx: Context, node: Node, check: Check) -> tuple[tuple[str, ...], str]:
    """A few keys of failing rows at the source, and the query that lists them."""
    key = ctx.key_column(node)
    source = ctx.source(node)
    predicate = failing_predicate(check, exp.column(check.column, quoted=True)) if check.column else None
    if key is None or source is None or predicate is None:
        return (), ""
    query = exp.select(exp.column(key, quoted=True)).from_(source).where(predicate).limit(5)
    try:
        result = ctx.warehouse.query(query, purpose=f"failing rows of {ctx.label(node)}", relation=ctx.label(node))
    except ProbeError:
        return (), ""
    return tuple(f"{key}={r[0]}" for r in result.rows), result.probe.sql
