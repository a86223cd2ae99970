"""Drift: the first column on the path whose distribution moved while its parents' did not."""

from __future__ import annotations

from headwater.trace import causes as cause
from headwater.trace.checks import Drift
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.model import Evidence, Mechanism


def drift(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, Drift):
        return None
    evidence = Evidence(outcome.failing, outcome.failing, outcome.total, (), outcome.sql, outcome.observed)
    summary = (
        f"`{node.name}.{check.column}` is the first column on the path whose distribution moved ({outcome.observed})"
    )
    return Finding((cause.at(ctx, node, check.column, Mechanism.DRIFT, "", evidence, question.share, summary),))
