"""Checks -> SQL (sqlglot, in the warehouse's dialect) -> Outcomes.

Checks that reduce to aggregates (not_null, in_set, between, regex, single-column unique, distinct values,
row_count, freshness) are batched: ONE query per relation computes all of them. Checks that need a GROUP BY
or a second table (compound unique, drift, most-common-value share, referential) get their own query;
schema checks read information_schema (those live in `headwater.trace.grouped`).

What a check's numbers mean is `headwater.semantics`' (the `mostly` ratio, the freshness lag in UTC, PSI),
the same functions the GX expectations call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlglot import exp

from headwater.semantics.clock import to_utc, to_utc_naive, utc_now
from headwater.semantics.drift import psi
from headwater.semantics.freshness import evaluate_freshness
from headwater.semantics.shares import ratio_passes
from headwater.trace import grouped
from headwater.trace.checks import (
    Between,
    Check,
    DistinctContains,
    Drift,
    Freshness,
    InSet,
    McvShare,
    NotNull,
    Referential,
    Regex,
    RowCount,
    Schema,
    Unique,
    Untraceable,
    describe,
)
from headwater.trace.outcome import Outcome, col
from headwater.warehouse import ProbeError, Warehouse

__all__ = ["Outcome", "col", "evaluate", "failing_predicate", "psi"]


def _lit(value: Any) -> exp.Expr:
    return exp.convert(value)


def failing_predicate(check: Check, column: exp.Expr) -> exp.Expr | None:
    """The row-level condition under which a row fails `check` (None for table-level checks)."""
    if isinstance(check, NotNull):
        return exp.Is(this=column.copy(), expression=exp.Null())
    if isinstance(check, InSet) and check.values:
        member = exp.In(this=column.copy(), expressions=[_lit(v) for v in check.values])
        bad = member if check.negate else exp.not_(member)
        return exp.and_(exp.not_(exp.Is(this=column.copy(), expression=exp.Null())), bad)
    if isinstance(check, Between) and check.stat == "value":
        parts: list[exp.Expr] = []
        if check.min_value is not None:
            low = exp.LTE if check.strict_min else exp.LT
            parts.append(low(this=column.copy(), expression=_lit(check.min_value)))
        if check.max_value is not None:
            high = exp.GTE if check.strict_max else exp.GT
            parts.append(high(this=column.copy(), expression=_lit(check.max_value)))
        return exp.or_(*parts) if parts else None
    if isinstance(check, Regex):
        like = exp.RegexpLike(this=exp.cast(column.copy(), "text"), expression=exp.Literal.string(check.pattern))
        return like if check.negate else exp.not_(like)
    return None


def _flag(condition: exp.Expr) -> exp.Expr:
    return exp.case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0))


def count_if(condition: exp.Expr) -> exp.Expr:
    """`sum(case when condition then 1 else 0 end)`: rows meeting a condition, in any dialect."""
    return exp.func("sum", _flag(condition))


def _aggregates(check: Check, key: str) -> list[exp.Expr]:
    """Named aggregate measures of a batchable check; [] when it needs its own query."""
    if isinstance(check, RowCount | Schema | Untraceable | Drift | McvShare | Referential):
        return []
    if isinstance(check, Unique):
        if len(check.columns) != 1:
            return []
        c = col(check.columns[0])
        duplicates = exp.Sub(this=exp.func("count", c), expression=exp.Count(this=exp.Distinct(expressions=[c.copy()])))
        return [exp.alias_(duplicates, f"{key}_f")]
    if isinstance(check, Freshness):
        return [exp.alias_(exp.func("max", col(check.column)), f"{key}_v")]
    if isinstance(check, DistinctContains):
        out = [
            exp.alias_(exp.func("max", _flag(col(check.column).eq(_lit(v)))), f"{key}_m{i}")
            for i, v in enumerate(check.values)
        ]
        if check.exact:
            extra = exp.not_(exp.In(this=col(check.column), expressions=[_lit(v) for v in check.values]))
            out.append(exp.alias_(count_if(extra), f"{key}_x"))
        return out
    if isinstance(check, Between) and check.stat != "value":
        fn = {"min": "min", "max": "max", "mean": "avg", "sum": "sum"}[check.stat]
        return [exp.alias_(exp.func(fn, col(check.column)), f"{key}_v")]
    predicate = failing_predicate(check, col(check.column))
    if predicate is None:
        return []
    out = [exp.alias_(count_if(predicate), f"{key}_f")]
    if not isinstance(check, NotNull) and getattr(check, "mostly", 1.0) < 1.0:
        # GX's `mostly` of a column map check is a share of the non-NULL rows
        out.append(exp.alias_(exp.func("count", col(check.column)), f"{key}_n"))
    return out


def _comparable(value: Any, bound: Any) -> Any:
    """GX gives date bounds as ISO strings; compare them as what the warehouse returned."""
    if isinstance(bound, str) and isinstance(value, datetime | date):
        if not isinstance(value, datetime):
            return datetime.fromisoformat(bound.replace("Z", "+00:00")).date()
        # naive on either side means UTC; an aware bound keeps its offset
        return to_utc(bound) if value.tzinfo else to_utc_naive(bound)
    if isinstance(bound, int | float) and hasattr(value, "as_tuple"):  # Decimal vs float
        return type(value)(str(bound))
    return bound


def _judge(check: Check, row: dict[str, Any], key: str, total: int, as_of: datetime) -> tuple[bool, int, str]:
    if isinstance(check, Freshness):
        verdict = evaluate_freshness(row[f"{key}_v"], check.max_age_seconds, check.as_of or as_of)
        if verdict.newest is None:
            return True, total, "no rows with a value"
        over_h = (verdict.over_seconds or 0.0) / 3600
        state = f"{over_h:.1f} h older than allowed" if over_h > 0 else "fresh"
        return not verdict.success, 0, f"latest {verdict.newest:%Y-%m-%d %H:%M} UTC, {state}"
    if isinstance(check, DistinctContains):
        missing = [v for i, v in enumerate(check.values) if not row[f"{key}_m{i}"]]
        extra = int(row.get(f"{key}_x") or 0)
        shown = (f"missing {missing}" if missing else "all present") + (f", {extra} rows outside" if extra else "")
        return bool(missing) or extra > 0, len(missing) + (1 if extra else 0), shown
    if isinstance(check, Between) and check.stat != "value":
        value = row[f"{key}_v"]
        low, high = _comparable(value, check.min_value), _comparable(value, check.max_value)
        bad = value is None or (low is not None and value < low) or (high is not None and value > high)
        return bool(bad), 0, f"{check.stat} = {value}"
    failing = int(row.get(f"{key}_f") or 0)
    mostly = float(getattr(check, "mostly", 1.0))
    considered = int(row[f"{key}_n"] or 0) if f"{key}_n" in row else total
    return not ratio_passes(failing, considered, mostly), failing, f"{failing:,} of {total:,} rows fail"


def evaluate(
    warehouse: Warehouse,
    source: exp.Expr,
    checks: Sequence[Check],
    label: str,
    as_of: datetime | None = None,
    resolve: Callable[[str], exp.Table | None] | None = None,
    relation: tuple[str | None, str | None, str] | None = None,
) -> list[Outcome]:
    """Evaluate `checks` on `source` (a table or a subquery) with as few queries as possible.

    `as_of` is the reference time of freshness checks without their own (None: now); naive means UTC."""
    now = to_utc(as_of) or utc_now()
    keyed = [(f"c{i}", check) for i, check in enumerate(checks)]
    select = exp.select(exp.alias_(exp.Count(this=exp.Star()), "hw_total")).from_(source.copy())
    for key, check in keyed:
        for agg in _aggregates(check, key):
            select = select.select(agg, copy=False)
    results: dict[str, Outcome] = {}
    batch_needed = any(_aggregates(c, k) for k, c in keyed) or any(isinstance(c, RowCount | McvShare) for c in checks)
    total = 0
    batch_row: dict[str, Any] = {}
    batch_sql = ""
    if batch_needed:
        try:
            result = warehouse.query(select, purpose=f"checks on {label}", relation=label)
            batch_row, batch_sql = result.first(), result.probe.sql
            total = int(batch_row.get("hw_total") or 0)
        except ProbeError as err:
            for key, check in keyed:
                if _aggregates(check, key) or isinstance(check, RowCount):
                    results[key] = Outcome(check, None, sql=err.probe.sql, error=err.probe.error)
    for key, check in keyed:
        if key in results:
            continue
        if _aggregates(check, key) and batch_row:
            failed, failing, observed = _judge(check, batch_row, key, total, now)
            results[key] = Outcome(check, failed, failing, total, observed, batch_sql)
        elif isinstance(check, RowCount) and batch_row:
            bad = (check.min_value is not None and total < check.min_value) or (
                check.max_value is not None and total > check.max_value
            )
            results[key] = Outcome(check, bool(bad), total, total, f"{total:,} rows", batch_sql)
        else:
            results[key] = _single(warehouse, source, check, label, total, resolve, relation)
    return [results[key] for key, _ in keyed]


def _single(
    warehouse: Warehouse,
    source: exp.Expr,
    check: Check,
    label: str,
    total: int,
    resolve: Callable[[str], exp.Table | None] | None,
    relation: tuple[str | None, str | None, str] | None,
) -> Outcome:
    try:
        if isinstance(check, Schema):
            if relation is None:
                return Outcome(check, None, error="schema checks need a relation, not a query")
            return grouped.schema(warehouse, check, relation)
        if isinstance(check, Unique):
            return grouped.compound_unique(warehouse, source, check, label)
        if isinstance(check, McvShare):
            return grouped.mcv_share(warehouse, source, check, label, total)
        if isinstance(check, Drift):
            return grouped.drift(warehouse, source, check, label)
        if isinstance(check, Referential):
            target = resolve(check.to_relation) if resolve else None
            if target is None:
                return Outcome(check, None, error=f"referenced relation {check.to_relation!r} is not known")
            return grouped.referential(warehouse, source, target, check, label)
    except ProbeError as err:
        return Outcome(check, None, sql=err.probe.sql, error=err.probe.error)
    if isinstance(check, Untraceable):
        return Outcome(check, None, error=check.reason or f"{check.expectation_type} cannot be re-run upstream")
    return Outcome(check, None, error=f"{describe(check)} has no SQL translation")
