"""A prediction check failing on a dbt Python model: which features explain the failing predictions.

The model's lineage (`headwater.lineage.python_models`) gives each prediction column `model` edges from the
features it reads. One read-only query joins the predictions to the feature table on the model's key and
compares, per feature, the failing prediction rows (those holding the most common value, for a default-
prediction share) with the others: NULL rate and, where the feature table lost the column, its absence.
A feature NULL far more often among the failing rows becomes the upstream question `not_null` on the feature
table, which the walk traces like any other; a feature missing from the feature table becomes the `schema`
question. The attribution numbers ride on every cause found up there.
"""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import EdgeKind
from headwater.lineage.python_models import declared_features
from headwater.trace import causes as cause
from headwater.trace.checks import Drift, McvShare, NotNull, Schema
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.outcome import col

MIN_GAP = 0.5  # a feature explains the failure when its NULL rate among failing rows exceeds the others' by this


def feature_attribution(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if node.language != "python" or not isinstance(check, McvShare | Drift):
        return None
    edges = [e for e in ctx.value_edges(node, check.column) if e.kind == EdgeKind.MODEL and e.source is not None]
    if not edges:
        return None
    if isinstance(check, Drift):  # say so, rather than let a SQL rule fail to parse a Python model
        read = ", ".join(f"`{e.source.column}`" for e in edges if e.source is not None)
        reason = (
            f"`{node.name}.{check.column}` is a model prediction from {read}; attributing a distribution shift to "
            "features (PSI against the training baseline) is not implemented yet: compare each feature's profile "
            "with the model's baseline.json"
        )
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    parent = ctx.node(edges[0].source.node) if edges[0].source is not None else None
    declared, key = declared_features(node)
    # a declared feature the feature table lost has an unknown edge: it is the first suspect, so keep it
    features = list(dict.fromkeys([*(e.source.column for e in edges if e.source is not None), *declared]))
    if parent is None or not key or ctx.relation(parent) is None or ctx.relation(node) is None:
        reason = f"`{node.name}` declares no key joining its predictions to its features (meta.headwater.key)"
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    present = _columns(ctx, parent)
    missing = [f for f in features if f not in present]
    if missing:
        schema = Schema(columns=tuple(missing))
        found = ctx.check(parent, schema, "feature missing")
        suffix = (
            f"; the model reads `{', '.join(missing)}`, which `{parent.name}` no longer has: "
            "every prediction falls back to the default"
        )
        return Finding(ascend=(Ascend(parent, schema, found, question.share, "model feature", suffix),))
    rates = _null_rates(ctx, node, parent, key, check.column, outcome.value, features)
    if rates is None:
        return None
    ascents: list[Ascend] = []
    for feature, (failing_rate, other_rate) in sorted(rates.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        if failing_rate - other_rate < MIN_GAP:
            continue
        nulls = NotNull(feature)
        found = ctx.check(parent, nulls, "model feature")
        if not found.failing:
            continue
        suffix = (
            f"; {failing_rate:.0%} of the predictions at `{outcome.value}` have `{feature}` NULL, "
            f"against {other_rate:.1%} of the others"
        )
        ascents.append(Ascend(parent, nulls, found, question.share, "model feature", suffix))
    if not ascents:
        reason = (
            f"no feature of `{node.name}` is NULL more often among the predictions at `{outcome.value}` "
            f"than among the others (by {MIN_GAP:.0%} or more)"
        )
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    return Finding(ascend=tuple(ascents))


def _columns(ctx: Context, node: Node) -> set[str]:
    relation = ctx.relation(node)
    found = ctx.warehouse.columns(*relation) if relation else None
    return {c.lower() for c in (found or {})}


def _null_rates(
    ctx: Context, node: Node, parent: Node, key: str, column: str, value: object, features: list[str]
) -> dict[str, tuple[float, float]] | None:
    """feature -> (NULL rate among the failing predictions, NULL rate among the others), in one query."""
    predictions, source = ctx.relation(node), ctx.relation(parent)
    if predictions is None or source is None:
        return None
    failing = exp.EQ(this=col(column, "p"), expression=exp.convert(value))
    others = exp.Not(this=exp.paren(failing.copy())) if value is not None else exp.true()
    selects: list[exp.Expr] = [
        _count(failing).as_("failing_rows"),
        _count(others).as_("other_rows"),
    ]
    for i, feature in enumerate(features):
        is_null = exp.Is(this=col(feature, "f"), expression=exp.null())
        selects.append(_count(exp.and_(failing.copy(), is_null.copy())).as_(f"failing_null_{i}"))
        selects.append(_count(exp.and_(others.copy(), is_null)).as_(f"other_null_{i}"))
    join_on = exp.EQ(this=col(key, "p"), expression=col(key, "f"))
    query = (
        exp.select(*selects)
        .from_(ctx.warehouse.table(*predictions, alias="p"))
        .join(ctx.warehouse.table(*source, alias="f"), on=join_on)
    )
    row = ctx.warehouse.query(query, "feature attribution", ctx.label(node)).first()
    failing_rows, other_rows = int(row["failing_rows"] or 0), int(row["other_rows"] or 0)
    if not failing_rows:
        return None
    return {
        feature: (
            int(row[f"failing_null_{i}"] or 0) / failing_rows,
            int(row[f"other_null_{i}"] or 0) / other_rows if other_rows else 0.0,
        )
        for i, feature in enumerate(features)
    }


def _count(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.If(this=condition, true=exp.Literal.number(1), false=exp.Literal.number(0)))
