"""An expectation headwater cannot re-run upstream ends the walk where it is: nothing is guessed."""

from __future__ import annotations

from headwater.trace.checks import Untraceable
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question


def untraceable(ctx: Context, question: Question) -> Finding | None:
    return Finding() if isinstance(question.check, Untraceable) else None
