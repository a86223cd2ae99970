"""The result of evaluating one check on one relation, and the column helper every probe uses.

Shared by `headwater.trace.measures` (batched aggregates) and `headwater.trace.grouped` (checks that need
their own query), so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from headwater.trace.checks import Check


@dataclass(frozen=True)
class Outcome:
    """A check evaluated on one relation. `failed` is None when the probe could not run (see `error`)."""

    check: Check
    failed: bool | None
    failing: int | None = None  # failing rows (or missing values / columns)
    total: int | None = None
    observed: str = ""
    sql: str = ""
    error: str = ""
    value: Any = None  # the most common value, for a most-common-value share


def col(name: str, table: str = "") -> exp.Column:
    """A quoted column reference (`"name"` or `"table"."name"`)."""
    return exp.column(
        exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True) if table else None
    )
