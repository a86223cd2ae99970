"""Checks -> SQL (sqlglot, in the warehouse's dialect) -> Outcomes.

Checks that reduce to aggregates (not_null, in_set, between, regex, single-column unique, distinct values,
row_count, freshness) are batched: ONE query per relation computes all of them. Checks that need a GROUP BY
or a second table (compound unique, drift, most-common-value share, referential) get their own query;
schema checks read information_schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlglot import exp

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
from headwater.warehouse import ProbeError, Warehouse


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
    return exp.column(exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True) if table else None)


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


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.func("sum", exp.case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0)))


def _aggregates(check: Check, key: str) -> list[exp.Expr]:
    """Named aggregate measures of a batchable check; [] when it needs its own query."""
    if isinstance(check, RowCount | Schema | Untraceable | Drift | McvShare | Referential):
        return []
    if isinstance(check, Unique):
        if len(check.columns) != 1:
            return []
        c = col(check.columns[0])
        return [exp.alias_(exp.Sub(this=exp.func("count", c), expression=exp.Count(this=exp.Distinct(expressions=[c.copy()]))), f"{key}_f")]
    if isinstance(check, Freshness):
        return [exp.alias_(exp.func("max", col(check.column)), f"{key}_v")]
    if isinstance(check, DistinctContains):
        out = [
            exp.alias_(exp.func("max", exp.case().when(col(check.column).eq(_lit(v)), exp.Literal.number(1)).else_(exp.Literal.number(0))), f"{key}_m{i}")
            for i, v in enumerate(check.values)
        ]
        if check.exact:
            extra = exp.not_(exp.In(this=col(check.column), expressions=[_lit(v) for v in check.values]))
            out.append(exp.alias_(_count_if(extra), f"{key}_x"))
        return out
    if isinstance(check, Between) and check.stat != "value":
        fn = {"min": "min", "max": "max", "mean": "avg", "sum": "sum"}[check.stat]
        return [exp.alias_(exp.func(fn, col(check.column)), f"{key}_v")]
    predicate = failing_predicate(check, col(check.column))
    return [exp.alias_(_count_if(predicate), f"{key}_f")] if predicate is not None else []


def _comparable(value: Any, bound: Any) -> Any:
    """GX gives date bounds as ISO strings; compare them as what the warehouse returned."""
    if isinstance(bound, str) and isinstance(value, datetime | date):
        parsed = datetime.fromisoformat(bound.replace("Z", "+00:00"))
        if isinstance(value, datetime):
            return parsed.replace(tzinfo=value.tzinfo) if value.tzinfo else parsed.replace(tzinfo=None)
        return parsed.date()
    if isinstance(bound, int | float) and hasattr(value, "as_tuple"):  # Decimal vs float
        return type(value)(str(bound))
    return bound


def _ratio_failed(failing: int, total: int, mostly: float) -> bool:
    if failing == 0:
        return False
    return mostly >= 1.0 or total == 0 or failing / total > 1.0 - mostly


def _judge(check: Check, row: dict[str, Any], key: str, total: int, as_of: datetime) -> tuple[bool, int, str]:
    if isinstance(check, Freshness):
        latest = row[f"{key}_v"]
        reference = check.as_of or as_of
        limit = reference - timedelta(seconds=check.max_age_seconds)
        if latest is None:
            return True, total, "no rows with a value"
        latest_dt = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
        lag_h = (limit - latest_dt.replace(tzinfo=None)).total_seconds() / 3600
        state = f"{lag_h:.1f} h older than allowed" if lag_h > 0 else "fresh"
        return latest_dt.replace(tzinfo=None) < limit, 0, f"latest {latest_dt:%Y-%m-%d %H:%M}, {state}"
    if isinstance(check, DistinctContains):
        missing = [v for i, v in enumerate(check.values) if not row[f"{key}_m{i}"]]
        extra = int(row.get(f"{key}_x") or 0)
        shown = f"missing {missing}" if missing else "all present"
        return bool(missing) or extra > 0, len(missing) + (1 if extra else 0), shown + (f", {extra} rows outside" if extra else "")
    if isinstance(check, Between) and check.stat != "value":
        value = row[f"{key}_v"]
        low, high = _comparable(value, check.min_value), _comparable(value, check.max_value)
        bad = value is None or (low is not None and value < low) or (high is not None and value > high)
        return bool(bad), 0, f"{check.stat} = {value}"
    failing = int(row.get(f"{key}_f") or 0)
    mostly = getattr(check, "mostly", 1.0)
    return _ratio_failed(failing, total, mostly), failing, f"{failing:,} of {total:,} rows fail"


def evaluate(
    warehouse: Warehouse,
    source: exp.Expr,
    checks: Sequence[Check],
    label: str,
    as_of: datetime | None = None,
    resolve: Callable[[str], exp.Table | None] | None = None,
    relation: tuple[str | None, str | None, str] | None = None,
) -> list[Outcome]:
    """Evaluate `checks` on `source` (a table or a subquery) with as few queries as possible."""
    now = as_of or datetime.now()
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
    from headwater.trace import grouped

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


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two share vectors (0 = same distribution; > 0.2 usually drift)."""
    eps = 1e-4
    return sum((a - e) * math.log((a + eps) / (e + eps)) for e, a in zip(expected, actual, strict=True))
