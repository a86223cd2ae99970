"""A prediction check failing on a dbt Python model: which features explain the failing predictions.

The model's lineage (`headwater.lineage.python_models`) gives each prediction column `model` edges from the
features it reads. One read-only query (`feature_stats.attribute`) joins the predictions to the feature table
on the model's key and measures, per feature, the failing predictions against the others (a default-
prediction share: the rows at the most common value) and the scored rows against the training baseline
logged with the registered model version that scored them (a score distribution): NULL share, share outside
what training saw, PSI. A feature that explains the failure becomes the upstream question on the feature
table, traced by the walk like any other: `not_null`, the training range (`between` / `in_set`: a row
question the walk follows through expressions), or the training distribution (`drift`). When the feature
table's SQL for that feature differs from the SQL the training features were built with (recorded with the
model), the cause is that code: training/serving skew. A declared feature the feature table lost is the
`schema` question. The attribution numbers ride on every cause found up there.

No feature explains it: the next rule (`model_change`) looks at the model side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlglot import exp

from headwater.dbt import Node
from headwater.lineage import EdgeKind
from headwater.lineage.python_models import declared_features
from headwater.ml.registered import ModelVersion, RegisteredModel, registered_model
from headwater.trace import causes as cause
from headwater.trace.checks import Between, Check, Drift, InSet, McvShare, NotNull, Schema
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.memory import GoodState
from headwater.trace.model import RootCause
from headwater.trace.outcome import col
from headwater.trace.rules.feature_stats import Attribution, FeatureStats, attribute, complete_values
from headwater.trace.rules.model_change import changed_model
from headwater.trace.rules.model_versions import good_version, predecessor, serving_version

MIN_GAP = 0.5  # failing rows vs the others: a feature NULL / out of range this much more often explains them
NULL_RISE = 0.1  # scored rows vs training: NULL share up by this much
OUT_SHARE = 0.05  # scored rows outside the training range (training: none, by definition)
PSI_MOVED = 0.2  # a feature whose PSI against training exceeds this moved (the usual reading of PSI)


def feature_attribution(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if node.language != "python" or not isinstance(check, McvShare | Drift):
        return None
    edges = [e for e in ctx.value_edges(node, check.column) if e.kind == EdgeKind.MODEL and e.source is not None]
    if not edges:
        return None
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
    model = registered_model(node, ctx.artifacts.project_dir)
    scored_by = serving_version(ctx, node, model)
    # the features are compared with what the last good run's model was trained on, when that is known: a
    # model retrained on other data (or other columns under the same names) is then not taken for drift
    good = good_version(ctx, node, check, model)[0] if model is not None else None
    serving = good or scored_by
    per_row = isinstance(check, McvShare)
    failing = exp.EQ(this=col(check.column, "p"), expression=exp.convert(outcome.value)) if per_row else None
    training = _training(features, serving)
    stats = attribute(ctx, node, parent, key, failing, features, training)
    if stats is None:
        return None
    signals = _signals(stats, per_row)
    before = predecessor(model, serving) if model is not None and serving is not None and good is None else None
    if signals and before is not None and model is not None and serving is not None:
        # the scored rows differ from what the serving version was trained on: do they match what the version
        # it replaced was trained on? Then the data is as before and the model is what changed
        earlier = attribute(ctx, node, parent, key, failing, features, _training(features, before))
        if earlier is not None and not _signals(earlier, per_row):
            moved = ", ".join(f"`{s.feature}`" for s, _ in signals[:3])
            how = (
                f"features: the scored rows match the training profile of {model.name} v{before.version} "
                f"(no feature moved against it), not that of v{serving.version} ({moved} did)"
            )
            return Finding(
                (changed_model(ctx, node, check.column, outcome, question.share, model, before, serving, how),)
            )
    causes: list[RootCause] = []
    ascents: list[Ascend] = []
    for stat, (kind, _) in signals:
        derived = _derived(kind, stat.feature, training.get(stat.feature))
        if derived is None:
            continue
        found = ctx.check(parent, derived, "model feature")
        suffix = _numbers(kind, stat, outcome.value if per_row else None, training.get(stat.feature))
        skew = _skew(ctx, parent, stat.feature, derived, found, question.share, model, serving, suffix)
        if skew is not None:
            causes.append(skew)
        elif found.failing or found.failed:
            ascents.append(Ascend(parent, derived, found, question.share, "model feature", suffix))
    if causes or ascents:
        return Finding(tuple(causes), tuple(ascents))
    return None  # no feature explains it: the model side (rule `model_change`) is next


def _training(features: list[str], version: ModelVersion | None) -> dict[str, Mapping[str, Any]]:
    return {f: p for f in features if version is not None and (p := version.column(f)) is not None}


def _signals(stats: Attribution, per_row: bool) -> list[tuple[FeatureStats, tuple[str, float]]]:
    """The features that explain the failure, the strongest first."""
    found = [(s, signal) for s in stats.features if (signal := _signal(s, per_row)) is not None]
    return sorted(found, key=lambda pair: -pair[1][1])


def _signal(stat: FeatureStats, per_row: bool) -> tuple[str, float] | None:
    """(what the feature shows, how strongly) or None: it does not explain the failure."""
    if per_row:
        if stat.failing_null - stat.other_null >= MIN_GAP:
            return "null", stat.failing_null - stat.other_null
        if stat.failing_out - stat.other_out >= MIN_GAP:
            return "out", stat.failing_out - stat.other_out
        return None
    if stat.training_null is not None and stat.serving_null - stat.training_null >= NULL_RISE:
        return "null", stat.serving_null - stat.training_null
    if stat.serving_out >= OUT_SHARE:
        return "out", stat.serving_out + (stat.psi or 0.0)
    if stat.psi is not None and stat.psi >= PSI_MOVED:
        return "drift", stat.psi
    return None


def _derived(kind: str, feature: str, profile: Mapping[str, Any] | None) -> Check | None:
    """The question to ask of the feature table: its NULLs, its training range, or its training profile."""
    if kind == "null":
        return NotNull(feature)
    if profile is None:
        return None
    if kind == "out":
        if profile.get("kind") == "numeric":
            return Between(feature, float(profile["min"]), float(profile["max"]))
        values = complete_values(profile)
        return InSet(feature, values) if values else None
    count = int(profile.get("count") or 0)
    if profile.get("kind") == "numeric":
        return Drift(feature, shares=tuple(profile["weights"]), bins=tuple(profile["bins"]), threshold=PSI_MOVED,
                     count=count)  # fmt: skip
    return Drift(feature, tuple(profile["values"]), tuple(profile["weights"]), threshold=PSI_MOVED, count=count)


def _numbers(kind: str, stat: FeatureStats, value: object, profile: Mapping[str, Any] | None) -> str:
    """The attribution numbers, as a clause appended to the cause found upstream."""
    name = f"`{stat.feature}`"
    seen = "outside what training saw"
    if profile is not None and profile.get("kind") == "numeric" and profile.get("min") is not None:
        seen = f"outside its training range {float(profile['min']):g}..{float(profile['max']):g}"
    psi = f" (PSI {stat.psi:.2f} against training)" if stat.psi is not None else ""
    if value is not None:  # failing rows against the others
        if kind == "null":
            return f"; {stat.failing_null:.0%} of the predictions at `{value}` have {name} NULL, against " \
                   f"{stat.other_null:.1%} of the others"  # fmt: skip
        return f"; {stat.failing_out:.0%} of the predictions at `{value}` have {name} {seen}, against " \
               f"{stat.other_out:.1%} of the others"  # fmt: skip
    if kind == "null":
        return f"; {name} is NULL in {stat.serving_null:.0%} of the scored rows, against " \
               f"{stat.training_null or 0:.1%} in training{psi}"  # fmt: skip
    if kind == "out":
        return f"; {stat.serving_out:.0%} of the scored rows have {name} {seen}{psi}"
    return f"; {name} moved against its training profile{psi}, while no row is outside what training saw"


def _skew(
    ctx: Context, parent: Node, feature: str, check: Check, found: Any, share: float,
    model: RegisteredModel | None, serving: ModelVersion | None, suffix: str,
) -> RootCause | None:  # fmt: skip
    """Training/serving skew: the feature table's SQL for the feature differs from the SQL its training
    features were built with (recorded with the model version); that part of the code is the cause."""
    code = (serving.baseline.get("code") or {}) if serving is not None else {}
    then = code.get(parent.unique_id) if isinstance(code, Mapping) else None
    if model is None or serving is None or not then or not parent.compiled_code:
        return None
    from headwater.history.model import NodeState, Snapshot, SnapshotMeta

    origin = f"the training of {model.name} v{serving.version} (run {serving.run_id[:7]})"
    nodes = (NodeState(parent.unique_id, parent.resource_type, parent.name, compiled_sql=str(then)),)
    trained = GoodState(Snapshot(SnapshotMeta(f"mlflow:{serving.run_id}", ""), nodes), origin)
    why = "training/serving skew: the model scores a feature computed otherwise than the one it was trained on"
    found_cause = cause.code_change(
        replace(ctx, good=trained), parent, feature, check, found, share, why, "the code alone decides here"
    )
    if found_cause is None:
        return None
    decided = f"code: the compiled SQL of {parent.name} differs from what {origin} read"
    found_cause = replace(found_cause, summary=found_cause.summary + suffix, decided_by=decided)
    if found_cause.line is None:  # a macro's expansion has no line of its own: the line naming the column
        line = _alias_line(parent, feature)
        found_cause = replace(found_cause, line=line) if line else found_cause
    return found_cause


def _alias_line(node: Node, column: str) -> int | None:
    """1-based line of the raw SQL that names `column` as an output (`... as column`), when exactly one does."""
    pattern = re.compile(rf"\bas\s+\"?{re.escape(column)}\"?\s*(,|$)", re.IGNORECASE)
    lines = [n for n, text in enumerate(node.raw_code.splitlines(), start=1) if pattern.search(text)]
    return lines[0] if len(lines) == 1 else None


def _columns(ctx: Context, node: Node) -> set[str]:
    relation = ctx.relation(node)
    found = ctx.warehouse.columns(*relation) if relation else None
    return {c.lower() for c in (found or {})}
