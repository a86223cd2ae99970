"""An ancestor that fails the check now and failed it the same way in the last good state is not what
changed: the walk does not go up there. When every input of a node is ruled out like this, the engine asks
what changed at that node (`WHEN_INPUTS_UNCHANGED`)."""

from __future__ import annotations

from headwater.trace.checks import columns_of, describe
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.memory import failed_the_same_way, failing_share_then
from headwater.trace.model import PathStep


def same_as_before(ctx: Context, question: Question) -> Finding | None:
    good, node, check, outcome = ctx.good, question.node, question.check, question.outcome
    if good is None or not good.has_data or question.via == "failure":
        return None
    profile = good.profile(node.unique_id)
    if profile is None or not failed_the_same_way(check, outcome, profile):
        return None
    then = failing_share_then(check, profile) or 0.0
    now = (outcome.failing or 0) / outcome.total if outcome.total else 1.0
    column = ",".join(columns_of(check))
    reason = (
        f"`{ctx.label(node)}.{column}` failed {describe(check)} the same way in {good.origin} "
        f"({then:.1%} of rows then, {now:.1%} now)"
    )
    step = PathStep(
        node.unique_id,
        ctx.label(node),
        column,
        f"{describe(check)} in {good.origin}",
        True,
        observed=reason,
        via="history",
    )
    return Finding(steps=(step,), ruled_out=reason)
