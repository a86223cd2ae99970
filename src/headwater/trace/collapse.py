"""Default-value collapse: a most-common-value share that fails because an input of the column's
expression is NULL for the rows holding the dominant value, and the expression falls back to a constant
for them (`coalesce(case tier when … end, 0.5)`, `case when x is null then 0 else … end`).

A share cannot be carried through an expression, but the rows behind it can be asked about. The model's
own compiled SQL is re-run, instrumented (`headwater.trace.instrument.with_rows`): one scan counts, for each
input that reaches the output through a NULL-absorbing construct, its NULLs overall and among the rows that
hold the dominant value. The pure decisions and that probe live here; the rule that turns an explaining
NULL input into a not_null question is `headwater.trace.rules.default_value`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from headwater.trace.instrument import OUT, ROWS, input_alias, ref, with_rows
from headwater.trace.measures import count_if
from headwater.trace.scope import Scope
from headwater.warehouse import Warehouse

# Constructs that turn a NULL input into a value: a fallback (COALESCE / IFNULL / NVL, CASE … ELSE, IF),
# a NULL test, or concat() (which reads NULL as '').
_ABSORBING = (exp.Coalesce, exp.Case, exp.If, exp.Is, exp.Concat, exp.ConcatWs)


@dataclass(frozen=True)
class NullCounts:
    """One input of the expression: its NULL rows, overall and among the rows holding the dominant value."""

    index: int  # position in `Scope.inputs()`
    column: str  # the input as written (`risk_tier`, `orders.risk_tier`)
    null_rows: int
    null_dominant: int


@dataclass(frozen=True)
class Collapse:
    total: int
    dominant: int  # rows whose output is the most common value
    inputs: tuple[NullCounts, ...]
    sql: str = ""


def absorbs_null(output: exp.Expr, column: exp.Column) -> bool:
    """Whether a NULL in `column` can give the output a value: some construct between the column and the
    output's root replaces or tests NULL.

    >>> import sqlglot
    >>> e = sqlglot.parse_one("round(coalesce(case tier when 'high' then 0.6 end, 0.5) + amount, 2)")
    >>> {c.name: absorbs_null(e, c) for c in e.find_all(exp.Column)} == {"tier": True, "amount": False}
    True
    """
    for occurrence in output.find_all(exp.Column):
        if occurrence.sql() != column.sql():
            continue
        current: exp.Expr | None = occurrence
        while current is not None and current is not output:
            current = current.parent
            if isinstance(current, _ABSORBING):
                return True
    return False


def explains(total: int, dominant: int, null_dominant: int, null_rows: int, max_share: float) -> bool:
    """The dominant rows with a NULL input are the collapse: without them the value would stay below
    `max_share`, and a NULL input makes a row more likely to hold it than a set input does.

    >>> explains(total=100, dominant=70, null_dominant=70, null_rows=100, max_share=0.55)
    True
    >>> explains(total=100, dominant=70, null_dominant=10, null_rows=14, max_share=0.55)  # too few
    False
    >>> explains(total=100, dominant=70, null_dominant=35, null_rows=50, max_share=0.55)  # unrelated
    False
    """
    if not total or not null_dominant or not null_rows:
        return False
    if (dominant - null_dominant) / total >= max_share:
        return False
    set_rows = total - null_rows
    if set_rows <= 0:  # the input is NULL everywhere: nothing to compare with, and it is the whole excess
        return True
    return null_dominant / null_rows > (dominant - null_dominant) / set_rows


_q = ref


def null_counts(warehouse: Warehouse, scope: Scope, value: Any, candidates: list[int], label: str) -> Collapse:
    """One instrumented scan: rows, dominant rows (`output = value`) and, per candidate input, its NULLs
    overall and among the dominant rows."""
    inputs = scope.inputs()
    projections: dict[str, exp.Expr] = {OUT: scope.output}
    for i in candidates:
        projections[input_alias(i)] = inputs[i]
    dominant = exp.EQ(this=_q(OUT), expression=exp.convert(value))
    measures: list[exp.Expr] = [
        exp.alias_(exp.Count(this=exp.Star()), "hw_total", quoted=True),
        exp.alias_(count_if(dominant.copy()), "hw_dominant", quoted=True),
    ]
    for i in candidates:
        null = exp.Is(this=_q(input_alias(i)), expression=exp.Null())
        measures.append(exp.alias_(count_if(null.copy()), f"hw_null_{i}", quoted=True))
        measures.append(exp.alias_(count_if(exp.and_(dominant.copy(), null.copy())), f"hw_nd_{i}", quoted=True))
    query = with_rows(scope, projections, exp.select(*measures).from_(ROWS))
    result = warehouse.query(query, purpose=f"NULL inputs of the most common value in {label}", relation=label)
    row = result.first()
    counts = tuple(
        NullCounts(i, inputs[i].sql(), int(row.get(f"hw_null_{i}") or 0), int(row.get(f"hw_nd_{i}") or 0))
        for i in candidates
    )
    return Collapse(int(row.get("hw_total") or 0), int(row.get("hw_dominant") or 0), counts, result.probe.sql)


def shown(value: Any, dialect: str) -> str:
    """A value as the SQL literal a reader would write."""
    try:
        return exp.convert(value).sql(dialect=dialect)
    except (TypeError, ValueError):
        return repr(value)
