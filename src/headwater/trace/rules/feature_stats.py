"""Per-feature statistics of a model's scoring input, in one read-only query: how the failing predictions'
features differ from the other predictions' and from the training baseline logged with the model.

For each feature: NULL share and out-of-range share (outside the training min..max for a number, a value
training never saw for a category whose training values are all listed) among the failing rows and among
the others, and the counts of all scored rows in the training profile's bins or values, from which the PSI
against training follows (`headwater.semantics.drift`, the same function the prediction check uses).
Not a rule: `feature_attribution` asks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.semantics import drift as drift_rules
from headwater.trace.context import Context
from headwater.trace.outcome import col

COMPLETE = 0.999  # a categorical training profile whose listed shares add up to this lists every value


@dataclass(frozen=True)
class FeatureStats:
    feature: str
    failing_null: float  # share of the failing predictions whose feature is NULL
    other_null: float
    failing_out: float  # share whose (non-NULL) feature is outside what training saw
    other_out: float
    serving_null: float  # over every scored row
    serving_out: float
    training_null: float | None  # None: the baseline has no profile of the feature
    psi: float | None  # serving against training (None: no profile, or nothing to compare)


@dataclass(frozen=True)
class Attribution:
    failing_rows: int
    other_rows: int
    features: tuple[FeatureStats, ...]
    sql: str


def attribute(
    ctx: Context,
    node: Node,
    parent: Node,
    key: str,
    failing: exp.Expr | None,
    features: list[str],
    training: Mapping[str, Mapping[str, Any]],
) -> Attribution | None:
    """`failing`: the predicate (over the predictions, alias `p`) of the failing rows; None: every row fails
    (a distribution check), so the comparison is with the training baseline alone."""
    predictions, source = ctx.relation(node), ctx.relation(parent)
    if predictions is None or source is None:
        return None
    is_failing = failing if failing is not None else exp.true()
    others = exp.Not(this=exp.paren(is_failing.copy())) if failing is not None else exp.false()
    selects: list[exp.Expr] = [_count(is_failing).as_("failing_rows"), _count(others).as_("other_rows")]
    for i, feature in enumerate(features):
        value = col(feature, "f")
        is_null = exp.Is(this=value.copy(), expression=exp.null())
        selects.append(_count(exp.and_(is_failing.copy(), is_null.copy())).as_(f"fn_{i}"))
        selects.append(_count(exp.and_(others.copy(), is_null.copy())).as_(f"on_{i}"))
        outside = _outside(value, training.get(feature))
        if outside is not None:
            selects.append(_count(exp.and_(is_failing.copy(), outside.copy())).as_(f"fo_{i}"))
            selects.append(_count(exp.and_(others.copy(), outside)).as_(f"oo_{i}"))
        for j, bucket in enumerate(_buckets(value, training.get(feature))):
            selects.append(_count(bucket).as_(f"b_{i}_{j}"))
    join_on = exp.EQ(this=col(key, "p"), expression=col(key, "f"))
    query = (
        exp.select(*selects)
        .from_(ctx.warehouse.table(*predictions, alias="p"))
        .join(ctx.warehouse.table(*source, alias="f"), on=join_on)
    )
    result = ctx.warehouse.query(query, "feature attribution", ctx.label(node))
    row = result.first()
    failing_rows, other_rows = int(row["failing_rows"] or 0), int(row["other_rows"] or 0)
    if not failing_rows:
        return None
    stats = []
    for i, feature in enumerate(features):
        profile = training.get(feature)

        def share(name: str, rows: int) -> float:
            return int(row.get(name) or 0) / rows if rows else 0.0

        total = failing_rows + other_rows
        fo, oo = share(f"fo_{i}", failing_rows), share(f"oo_{i}", other_rows)
        fn, on = share(f"fn_{i}", failing_rows), share(f"on_{i}", other_rows)
        buckets = [int(row.get(f"b_{i}_{j}") or 0) for j in range(len(_buckets(col(feature), profile)))]
        present = total - int(row.get(f"fn_{i}") or 0) - int(row.get(f"on_{i}") or 0)
        serving_null = (fn * failing_rows + on * other_rows) / total
        serving_out = (fo * failing_rows + oo * other_rows) / total
        trained_null = float(profile["null_rate"]) if profile is not None and "null_rate" in profile else None
        psi = _psi(profile, buckets, present)
        stats.append(FeatureStats(feature, fn, on, fo, oo, serving_null, serving_out, trained_null, psi))
    return Attribution(failing_rows, other_rows, tuple(stats), result.probe.sql)


def complete_values(profile: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    """The categorical training values when the profile lists them all (None: it does not, or is numeric)."""
    if profile is None or profile.get("kind") != "categorical":
        return None
    values, weights = profile.get("values") or [], profile.get("weights") or []
    return tuple(values) if values and sum(float(w) for w in weights) >= COMPLETE else None


def _outside(value: exp.Expr, profile: Mapping[str, Any] | None) -> exp.Expr | None:
    if profile is None:
        return None
    if profile.get("kind") == "numeric" and profile.get("min") is not None and profile.get("max") is not None:
        below = exp.LT(this=value.copy(), expression=exp.convert(float(profile["min"])))
        above = exp.GT(this=value.copy(), expression=exp.convert(float(profile["max"])))
        return exp.paren(exp.or_(below, above))
    values = complete_values(profile)
    if values is None:
        return None
    text = exp.Cast(this=value.copy(), to=exp.DataType.build("text"))
    return exp.Not(this=exp.In(this=text, expressions=[exp.convert(str(v)) for v in values]))


def _buckets(value: exp.Expr, profile: Mapping[str, Any] | None) -> list[exp.Expr]:
    """One predicate per training bin (numeric: below the first edge counts in the first bin, above the last
    in the last, as `headwater.trace.grouped.drift` counts) or per listed training value."""
    if profile is None:
        return []
    if profile.get("kind") == "numeric":
        edges = [float(e) for e in profile.get("bins") or []]
        out: list[exp.Expr] = []
        for j in range(len(edges) - 1):
            parts: list[exp.Expr] = [exp.Not(this=exp.Is(this=value.copy(), expression=exp.null()))]
            if j > 0:
                parts.append(exp.GTE(this=value.copy(), expression=exp.convert(edges[j])))
            if j < len(edges) - 2:
                parts.append(exp.LT(this=value.copy(), expression=exp.convert(edges[j + 1])))
            out.append(exp.and_(*parts))
        return out
    text = exp.Cast(this=value.copy(), to=exp.DataType.build("text"))
    return [exp.EQ(this=text.copy(), expression=exp.convert(str(v))) for v in profile.get("values") or []]


def _psi(profile: Mapping[str, Any] | None, counts: list[int], present: int) -> float | None:
    """PSI of the scored rows against training; `present`: the non-NULL rows (the values training never saw
    are the rest of them, pooled as "other")."""
    if profile is None or not counts or not present:
        return None
    thresholds = drift_rules.Thresholds(None, None, None, 0)
    if profile.get("kind") == "numeric":
        numeric = drift_rules.NumericProfile(
            tuple(float(b) for b in profile["bins"]), tuple(float(w) for w in profile["weights"]),
            int(profile.get("count") or 0),
        )  # fmt: skip
        if not sum(counts):
            return None
        return drift_rules.evaluate_numeric(numeric, counts, thresholds).psi
    values = tuple(profile.get("values") or ())
    categories = drift_rules.CategoricalProfile(
        values, tuple(float(w) for w in profile.get("weights") or ()), int(profile.get("count") or 0)
    )
    listed = dict(zip(values, counts, strict=True))
    return drift_rules.evaluate_categorical(categories, listed, present, thresholds).psi


def _count(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.If(this=condition, true=exp.Literal.number(1), false=exp.Literal.number(0)))


def served_versions(ctx: Context, node: Node, column: str, limit: int = 20) -> tuple[str, ...]:
    """The distinct model versions recorded in the predictions' version column (one small query)."""
    relation = ctx.relation(node)
    if relation is None or not column:
        return ()
    query = (
        exp.select(col(column)).distinct().from_(ctx.warehouse.table(*relation))
        .where(exp.Not(this=exp.Is(this=col(column), expression=exp.null()))).limit(limit)
    )  # fmt: skip
    result = ctx.warehouse.query(query, "model versions served", ctx.label(node))
    return tuple(str(r[0]) for r in result.rows)
