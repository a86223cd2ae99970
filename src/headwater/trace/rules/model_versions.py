"""Which registered model version scored the predictions, and which one served the last good run.

Shared by `feature_attribution` (the training baseline to compare the features with is the good version's)
and `model_change` (the two versions compared). Not a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.dbt import Node
from headwater.ml.registered import ModelVersion, RegisteredModel, version_column
from headwater.trace.checks import Drift
from headwater.trace.context import Context
from headwater.trace.rules.feature_stats import served_versions

SAME_EDGE = 1e-6  # baseline edges and shares are logged rounded to 6 decimals


def serving_version(ctx: Context, node: Node, model: RegisteredModel | None) -> ModelVersion | None:
    """The registered version that scored the predictions (the newest of those recorded in the declared
    version column), else the newest registered version."""
    if model is None:
        return None
    column = version_column(node)
    served = served_versions(ctx, node, column) if column else ()
    found = [v for v in (model.version(s) for s in served) if v is not None]
    return max(found, key=lambda v: int(v.version)) if found else model.newest


def good_version(ctx: Context, node: Node, check: Any, model: RegisteredModel) -> tuple[ModelVersion | None, str]:
    """The version of the last good run and how that is known: the version column in the last good
    snapshot's profile, else the version whose training profile of the checked column is the check's own
    baseline (the check was set against it). (None, "") when neither tells."""
    column = version_column(node)
    good = ctx.good
    profile = good.profile(node.unique_id) if good is not None else None
    values = profile.column(column) if profile is not None and column else None
    if good is not None and values is not None and values.top_values:
        top = max((t for t in values.top_values if t.value is not None), key=lambda t: t.count, default=None)
        found = model.version(top.value) if top is not None and top.value is not None else None
        if found is not None:
            return found, f"history: `{column}` was {found.version} in {good.origin}"
    if isinstance(check, Drift) and check.bins:
        matching = [v for v in model.versions if (t := v.column(check.column)) is not None and _same_profile(check, t)]
        if len(matching) == 1:  # two versions with the same training scores: the baseline cannot tell them apart
            (version,) = matching
            return version, (
                f"baseline: the check's baseline is the training profile of `{check.column}` logged with "
                f"{model.name} v{version.version} (run {version.run_id[:7]})"
            )
    return None, ""


def predecessor(model: RegisteredModel, version: ModelVersion) -> ModelVersion | None:
    """The registered version before `version` (the one it replaced), if any."""
    older = [v for v in model.versions if int(v.version) < int(version.version)]
    return max(older, key=lambda v: int(v.version)) if older else None


def _same_profile(check: Drift, trained: Mapping[str, Any]) -> bool:
    bins, weights = trained.get("bins") or [], trained.get("weights") or []
    if len(bins) != len(check.bins) or len(weights) != len(check.shares):
        return False
    pairs = [*zip(bins, check.bins, strict=True), *zip(weights, check.shares, strict=True)]
    return all(abs(float(a) - float(b)) <= SAME_EDGE * max(1.0, abs(float(a))) for a, b in pairs)
