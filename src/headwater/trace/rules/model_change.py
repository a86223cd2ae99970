"""A prediction check failing on a dbt Python model whose features do not explain it: the model side.

Asked after `feature_attribution` found no feature that moved. The version that scored the predictions
(the declared version column, else the newest registered one) is compared with the version of the last
good run, told by, in this order:
- the history: the version column's values in the last good snapshot's profile of the predictions;
- the check's own baseline: a score distribution check whose baseline is exactly the training score profile
  logged with one registered version was set against that version.
Another version now is a `model_change` at the scoring model, with what differs between the two versions
(feature order of the signature, features added or removed, run parameters, metrics). The same version, or
no way to tell which one served the good run, is `unknown` with the reason: never a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from headwater.dbt import Node
from headwater.lineage import EdgeKind
from headwater.ml.registered import ModelVersion, RegisteredModel, registered_model
from headwater.trace import causes as cause
from headwater.trace.checks import Drift, McvShare
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.rules.model_versions import good_version, serving_version


def model_change(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if node.language != "python" or not isinstance(check, McvShare | Drift):
        return None
    if not any(e.kind == EdgeKind.MODEL for e in ctx.value_edges(node, check.column)):
        return None
    examined = f"no feature of `{node.name}` explains it (NULL, outside the training range, or PSI against training)"
    model = registered_model(node, ctx.artifacts.project_dir)
    if model is None:
        reason = (
            f"{examined}, and `{node.name}` names no registered model headwater can read "
            "(meta.headwater.model, and its MLflow tracking store) to compare the model side"
        )
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    now = serving_version(ctx, node, model)
    then, how = good_version(ctx, node, check, model)
    if now is None or then is None:
        reason = (
            f"{examined}; which version of `{model.name}` served the last good run is not known: run "
            "`headwater snapshot` after a good run (or keep the check's baseline the training profile of the "
            "version it was set against)"
        )
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    if then.version == now.version:
        reason = (
            f"{examined}, and version {now.version} of `{model.name}` served the last good run too ({how}): the "
            "scoring code itself (its imputation, its preprocessing) is what is left to compare with training"
        )
        return Finding((cause.unknown(ctx, node, check, outcome, reason, question.share),))
    return Finding((changed_model(ctx, node, check.column, outcome, question.share, model, then, now, how),))


def changed_model(
    ctx: Context, node: Node, column: str, outcome: Any, share: float, model: RegisteredModel,
    then: ModelVersion, now: ModelVersion, how: str,
) -> RootCause:  # fmt: skip
    differences = _differences(then, now)
    when = datetime.fromtimestamp(now.created_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M") if now.created_ms else ""
    registered = f" (registered {when})" if when else ""
    detail = f"version {then.version} (run {then.run_id[:7]}) then, version {now.version} (run {now.run_id[:7]}) now"
    detail += "; " + "; ".join(differences) if differences else "; the registry records no other difference"
    summary = (
        f"`{node.name}.{column}` is scored by version {now.version} of `{model.name}`{registered} instead of "
        f"version {then.version}, and no feature moved against what version {then.version} was trained on: "
        + ("; ".join(differences[:2]) if differences else "the two versions differ only in their weights")
    )
    return RootCause(
        CauseKind.TRANSFORMATION,
        node.unique_id,
        ctx.label(node),
        column,
        Mechanism.MODEL_CHANGE,
        f"{model.name} v{then.version} -> v{now.version}",
        node.original_file_path,
        None,
        Evidence(outcome.failing, None, outcome.total, (), outcome.sql, detail),
        share,
        summary,
        decided_by=how,
    )


def _differences(then: ModelVersion, now: ModelVersion) -> list[str]:
    """What differs between two versions: the features (order first: a positional feed is the classic bug),
    the run parameters, the metrics."""
    found: list[str] = []
    if then.features and now.features and then.features != now.features:
        if set(then.features) == set(now.features):
            moved = [f for i, f in enumerate(now.features) if then.features[i] != f]
            found.append(
                f"feature order differs ({', '.join(moved)} at other positions): "
                f"[{', '.join(then.features)}] then, [{', '.join(now.features)}] now"
            )
        else:
            added, removed = set(now.features) - set(then.features), set(then.features) - set(now.features)
            found.append(
                "features " + ", ".join(
                    [*(f"+{f}" for f in sorted(added)), *(f"-{f}" for f in sorted(removed))]
                )
            )  # fmt: skip
    ranges = [
        f"`{f}` {a:g}..{b:g} then, {c:g}..{d:g} now"
        for f in (now.features or then.features)
        if (bounds := _ranges(then, now, f)) is not None
        for a, b, c, d in (bounds,)
    ]
    if ranges:
        found.append("training ranges under the same names differ: " + "; ".join(ranges[:3]))
    params = sorted(k for k in {*then.params, *now.params} if then.params.get(k) != now.params.get(k))
    if params:
        found.append("parameters " + ", ".join(f"{k}: {then.params.get(k)} -> {now.params.get(k)}" for k in params))
    metrics = sorted(
        k for k in {*then.metrics, *now.metrics}
        if round(then.metrics.get(k, float("nan")), 4) != round(now.metrics.get(k, float("nan")), 4)
    )  # fmt: skip
    if metrics:
        found.append(
            "metrics " + ", ".join(f"{k}: {then.metrics.get(k, 0):.4g} -> {now.metrics.get(k, 0):.4g}" for k in metrics)
        )
    return found


def _ranges(then: ModelVersion, now: ModelVersion, feature: str) -> tuple[float, float, float, float] | None:
    """The training min..max of a numeric feature in both versions, when they differ by more than a tenth of
    the older range (the same data under the same name keeps its range; columns fed in another order do not)."""
    old, new = then.column(feature), now.column(feature)
    if old is None or new is None or old.get("min") is None or new.get("min") is None:
        return None
    a, b, c, d = float(old["min"]), float(old["max"]), float(new["min"]), float(new["max"])
    span = max(b - a, 1e-9)
    return (a, b, c, d) if abs(a - c) > span / 10 or abs(b - d) > span / 10 else None
