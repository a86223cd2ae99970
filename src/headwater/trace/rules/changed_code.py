"""Asked when every input of a node failed the same way in the last good state: the node's own SQL changed
since then, and the part of it that defines the failing column (select expression, join, filter, group by)
is the cause, with its line and, in a git repository, the commit that changed the file."""

from __future__ import annotations

from headwater.trace import causes as cause
from headwater.trace.checks import columns_of
from headwater.trace.context import Context
from headwater.trace.finding import Question
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause


def changed_code(ctx: Context, question: Question, reasons: tuple[str, ...]) -> tuple[RootCause, ...]:
    columns = columns_of(question.check)
    if not columns or ctx.good is None:
        return ()
    found = cause.code_change(
        ctx,
        question.node,
        columns[0],
        question.check,
        question.outcome,
        question.share,
        why=f"while its inputs did not ({reasons[0]})",
        inputs="; ".join(reasons),
    )
    return (found,) if found is not None else ()


def unchanged_unknown(ctx: Context, question: Question, reasons: tuple[str, ...]) -> tuple[RootCause, ...]:
    """Inputs and code as they were, output not: the change is outside the lineage. Say so, name nothing."""
    good, node, outcome = ctx.good, question.node, question.outcome
    origin = good.origin if good is not None else "the last good state"
    reason = (
        f"the inputs of {node.name} failed the same way in {origin} ({reasons[0]}) and its code did not "
        "change: what changed is outside the lineage (a manual write, a late rebuild, a package or var)"
    )
    return (
        RootCause(
            CauseKind.UNKNOWN,
            node.unique_id,
            ctx.label(node),
            ",".join(columns_of(question.check)),
            Mechanism.UNKNOWN,
            file=node.original_file_path,
            evidence=Evidence(outcome.failing, None, outcome.total, (), outcome.sql, reason),
            share=question.share,
            summary=f"cannot say what changed in `{node.name}`: {reason}",
            decided_by="history: inputs and code unchanged",
        ),
    )
