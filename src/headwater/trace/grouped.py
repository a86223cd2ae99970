"""Checks that need their own query: compound unique, most-common-value share, drift, referential, schema.

The SQL is here; each verdict is `headwater.semantics`' (the same function the GX expectation calls).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headwater.contracts.model import ActualColumn, ActualTable, ColumnSpec, ContractKind, Origin, TableContract
from headwater.semantics import drift as drift_rules
from headwater.semantics import schema_contract, shares
from headwater.trace.checks import Drift, McvShare, Referential, Schema, Unique, columns_of
from headwater.trace.outcome import Outcome, col
from headwater.warehouse import Warehouse


def _not_null(column: exp.Expr) -> exp.Expr:
    return exp.not_(exp.Is(this=column.copy(), expression=exp.Null()))


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
    """The most common non-NULL value and its share of the non-NULL rows (`total`, all rows, is kept for
    the callers' signature; the share is of non-NULL rows, as in the GX expectation)."""
    c = col(check.column)
    nonnull = exp.Window(this=exp.func("sum", exp.Count(this=exp.Star())))
    query = (
        exp.select(c, exp.alias_(exp.Count(this=exp.Star()), "hw_n"), exp.alias_(nonnull, "hw_nonnull"))
        .from_(source.copy())
        .where(_not_null(c))
        .group_by(c.copy())
        .order_by(exp.Ordered(this=exp.column("hw_n"), desc=True), exp.Ordered(this=c.copy()))
        .limit(1)
    )
    result = warehouse.query(query, purpose=f"most common value on {label}", relation=label)
    row = result.first() if result.rows else {}
    n, checked = int(row.get("hw_n") or 0), int(row.get("hw_nonnull") or 0)
    value = row.get(check.column)
    verdict = shares.evaluate_mcv_share([(value, n)] if n else [], checked, check.max_share)
    observed = f"{value!r} holds {verdict.share:.1%} of non-NULL rows"
    return Outcome(check, not verdict.success, n, checked, observed, result.probe.sql, value=value)


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
        .where(_not_null(c))
        .group_by(exp.column("hw_bucket"))
    )
    result = warehouse.query(query, purpose=f"distribution on {label}", relation=label)
    counts: dict[Any, int] = {row[0]: int(row[1]) for row in result.rows}
    rows = sum(counts.values())
    thresholds = drift_rules.Thresholds(check.threshold, check.ks_pvalue, check.chi2_pvalue, check.min_sample_size)
    if check.bins:
        profile = drift_rules.NumericProfile(tuple(check.bins), tuple(check.shares), check.count)
        binned = [counts.get(i, 0) for i in range(len(check.bins) - 1)]
        verdict = drift_rules.evaluate_numeric(profile, binned, thresholds)
    else:
        categories = drift_rules.CategoricalProfile(tuple(check.values), tuple(check.shares), check.count)
        verdict = drift_rules.evaluate_categorical(categories, counts, rows, thresholds)
    if verdict.psi is None:
        return Outcome(check, False, None, rows, f"{rows} rows: fewer than {check.min_sample_size}, not judged",
                       result.probe.sql)  # fmt: skip
    observed = f"PSI {verdict.psi:.3f} (threshold {check.threshold})"
    if not verdict.success:
        observed += ": " + "; ".join(verdict.reasons)
    return Outcome(check, not verdict.success, None, rows, observed, result.probe.sql)


def referential(warehouse: Warehouse, source: exp.Expr, target: exp.Table, check: Referential, label: str) -> Outcome:
    """Rows whose non-NULL key has no match in the parent (which is de-duplicated first, so a repeated
    parent key does not repeat child rows)."""
    here = col(check.column, "hw_child")
    there = col("hw_key", "hw_parent")
    child = source.copy()
    child.set("alias", exp.TableAlias(this=exp.to_identifier("hw_child", quoted=True)))
    keys = exp.select(exp.alias_(col(check.to_column), "hw_key", quoted=True)).from_(target.copy()).distinct()
    orphan = exp.and_(exp.Is(this=there.copy(), expression=exp.Null()), _not_null(here))
    query = (
        exp.select(
            exp.alias_(exp.func("count", here.copy()), "hw_checked"),
            exp.alias_(exp.func("sum", exp.case().when(orphan, exp.Literal.number(1)).else_(exp.Literal.number(0))),
                       "hw_orphans"),
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[exp.case().when(orphan.copy(), here.copy())])),
                       "hw_keys"),
        )
        .from_(child)
        .join(keys.subquery("hw_parent"), on=here.copy().eq(there.copy()), join_type="left")
    )  # fmt: skip
    result = warehouse.query(query, purpose=f"orphans of {label}", relation=label)
    row = result.first()
    orphans, checked = int(row["hw_orphans"] or 0), int(row["hw_checked"] or 0)
    verdict = shares.evaluate_orphans(orphans, checked, (), check.mostly)
    observed = f"{orphans:,} orphan rows ({int(row['hw_keys'] or 0):,} keys)"
    return Outcome(check, not verdict.success, orphans, checked, observed, result.probe.sql)


def contract_of(check: Schema, relation: str = "") -> TableContract:
    """The contract a Schema check stands for (the GX schema expectation's, when it came from one)."""
    types, logical = dict(check.types), dict(check.logical_types)
    columns = tuple(ColumnSpec(c, types.get(c), logical.get(c)) for c in columns_of(check))
    return TableContract(relation or "relation", Origin(ContractKind.GX, "check"), columns=columns,
                         dialect=check.dialect, allow_extra_columns=not (check.exact and check.columns),
                         allow_widening=check.allow_widening)  # fmt: skip


def schema(warehouse: Warehouse, check: Schema, relation: tuple[str | None, str | None, str]) -> Outcome:
    found = warehouse.columns(*relation)
    sql = warehouse.columns_sql(*relation)
    if found is None:
        return Outcome(check, True, 1, None, "relation does not exist", sql)
    label = ".".join(p for p in relation if p)
    actual = ActualTable(label, tuple(ActualColumn(n, t) for n, t in found.items()), "warehouse", warehouse.dialect)
    violations = schema_contract.schema_violations(
        contract_of(check, label), actual, exact_order=check.exact_order, allow_widening=check.allow_widening
    )
    by_kind: dict[str, list[str]] = {}
    for v in violations:
        shown = f"{v.column}: {v.expected} → {v.actual}" if v.kind == "type_mismatch" else v.column
        by_kind.setdefault(v.kind, []).append(shown or f"{v.actual} (expected {v.expected})")
    words = {"missing": "missing", "unexpected": "unexpected", "type_mismatch": "retyped",
             "unevaluated": "cannot compare", "order": "out of order", "nullability": "nullable"}  # fmt: skip
    problems = [f"{words[k]} {', '.join(items)}" for k, items in by_kind.items()]
    return Outcome(check, bool(violations), len(violations), len(found), "; ".join(problems) or "schema matches", sql)
