"""A check that cannot even run because its column is gone is a schema question: where did it go?"""

from __future__ import annotations

from headwater.trace.checks import Schema
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question

_MISSING = ("not found", "does not exist", "no such column")  # DuckDB, PostgreSQL, Spark/SQLite wording


def missing_column(ctx: Context, question: Question) -> Finding | None:
    check, outcome = question.check, question.outcome
    if outcome.failed is not None or not outcome.error or not check.column:
        return None
    if not any(words in outcome.error.lower() for words in _MISSING):
        return None
    probe = Schema((check.column,))
    found = ctx.check(question.node, probe, "schema")
    return Finding(ascend=(Ascend(question.node, probe, found, question.share, "schema"),))
