"""Checks that need their own query: compound unique, most-common-value share, drift, referential, schema."""

from __future__ import annotations

from sqlglot import exp

from headwater.trace.checks import Drift, McvShare, Referential, Schema, Unique
from headwater.trace.measures import Outcome, col, psi
from headwater.trace.types import same_type
from headwater.warehouse import Warehouse


def compound_unique(warehouse: Warehouse, source: exp.Expr, check: Unique, label: str) -> Outcome:
    keys = [col(c) for c in check.columns]
    inner = (
        exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), "hw_n"))
        .from_(source.copy())
        .group_by(*[k.copy() for k in keys])
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )
    query = exp.select(
        exp.alias_(exp.func("coalesce", exp.func("sum", exp.column("hw_n")), exp.Literal.number(0)), "hw_rows"),
        exp.alias_(exp.Count(this=exp.Star()), "hw_keys"),
    ).from_(inner.subquery("hw_dupes"))
    result = warehouse.query(query, purpose=f"unique on {label}", relation=label)
    row = result.first()
    rows, dup_keys = int(row["hw_rows"] or 0), int(row["hw_keys"] or 0)
    extra = rows - dup_keys
    return Outcome(check, extra > 0, extra, None, f"{dup_keys:,} duplicated keys ({rows:,} rows)", result.probe.sql)


def mcv_share(warehouse: Warehouse, source: exp.Expr, check: McvShare, label: str, total: int) -> Outcome:
    c = col(check.column)
    query = (
        exp.select(c, exp.alias_(exp.Count(this=exp.Star()), "hw_n"))
        .from_(source.copy())
        .group_by(c.copy())
        .order_by(exp.Ordered(this=exp.column("hw_n"), desc=True))
        .limit(1)
    )
    result = warehouse.query(query, purpose=f"most common value on {label}", relation=label)
    row = result.first()
    n = int(row.get("hw_n") or 0)
    share = n / total if total else 0.0
    value = row.get(check.column)
    return Outcome(check, share >= check.max_share, n, total, f"{value!r} holds {share:.1%} of rows", result.probe.sql, value=value)


def drift(warehouse: Warehouse, source: exp.Expr, check: Drift, label: str) -> Outcome:
    c = col(check.column)
    if check.bins:
        bucket: exp.Expr = exp.case()
        for i in range(len(check.bins) - 1):
            upper = exp.LT(this=c.copy(), expression=exp.convert(check.bins[i + 1]))
            bucket = bucket.when(upper, exp.Literal.number(i))  # type: ignore[attr-defined]
        bucket = bucket.else_(exp.Literal.number(len(check.bins) - 2))  # type: ignore[attr-defined]
    else:
        bucket = c
    query = (
        exp.select(exp.alias_(bucket, "hw_bucket"), exp.alias_(exp.Count(this=exp.Star()), "hw_n"))
        .from_(source.copy())
        .where(exp.not_(exp.Is(this=c.copy(), expression=exp.Null())))
        .group_by(exp.column("hw_bucket"))
    )
    result = warehouse.query(query, purpose=f"distribution on {label}", relation=label)
    counts = {row[0]: int(row[1]) for row in result.rows}
    rows = sum(counts.values())
    if rows < check.min_sample_size:
        return Outcome(check, False, None, rows, f"{rows} rows: fewer than {check.min_sample_size}, not judged", result.probe.sql)
    total = rows or 1
    if check.bins:
        actual = [counts.get(i, 0) / total for i in range(len(check.shares))]
    else:
        keys = [str(v) for v in check.values]
        by_text = {str(k): v for k, v in counts.items()}
        actual = [by_text.get(k, 0) / total for k in keys]
    expected = list(check.shares)
    # values the baseline did not list: one "other" bucket on both sides
    other_actual, other_expected = max(0.0, 1.0 - sum(actual)), max(0.0, 1.0 - sum(expected))
    if other_actual > 1e-9 or other_expected > 1e-9:
        actual.append(other_actual)
        expected.append(other_expected)
    value = psi(expected, actual)
    return Outcome(check, value > check.threshold, None, rows, f"PSI {value:.3f} (threshold {check.threshold})", result.probe.sql)


def referential(
    warehouse: Warehouse, source: exp.Expr, target: exp.Table, check: Referential, label: str
) -> Outcome:
    here = col(check.column, "hw_child")
    there = col(check.to_column, "hw_parent")
    child = source.copy()
    child.set("alias", exp.TableAlias(this=exp.to_identifier("hw_child", quoted=True)))
    parent = target.copy()
    parent.set("alias", exp.TableAlias(this=exp.to_identifier("hw_parent", quoted=True)))
    query = (
        exp.select(
            exp.alias_(exp.Count(this=exp.Star()), "hw_orphans"),
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[here.copy()])), "hw_keys"),
        )
        .from_(child)
        .join(parent, on=here.copy().eq(there.copy()), join_type="left")
        .where(exp.and_(exp.Is(this=there.copy(), expression=exp.Null()), exp.not_(exp.Is(this=here.copy(), expression=exp.Null()))))
    )
    result = warehouse.query(query, purpose=f"orphans of {label}", relation=label)
    row = result.first()
    orphans = int(row["hw_orphans"] or 0)
    return Outcome(check, orphans > 0, orphans, None, f"{orphans:,} orphan rows ({int(row['hw_keys'] or 0):,} keys)", result.probe.sql)


def schema(warehouse: Warehouse, check: Schema, relation: tuple[str | None, str | None, str]) -> Outcome:
    actual = warehouse.columns(*relation)
    sql = warehouse.columns_sql(*relation)
    if actual is None:
        return Outcome(check, True, 1, None, "relation does not exist", sql)
    missing = [c for c in check.columns if c not in actual]
    extra = [c for c in actual if check.exact and check.columns and c not in check.columns]
    retyped = [f"{c}: {t} → {actual[c]}" for c, t in check.types if c in actual and not same_type(t, actual[c])]
    missing += [c for c, _ in check.types if c not in actual and c not in missing]
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += [f"unexpected {', '.join(extra)}"] if extra else []
    problems += [f"retyped {', '.join(retyped)}"] if retyped else []
    count = len(missing) + len(extra) + len(retyped)
    return Outcome(check, count > 0, count, len(actual), "; ".join(problems) or "schema matches", sql)
