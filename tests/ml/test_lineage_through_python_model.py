"""Column lineage walks through the dbt Python model: `model` edges from each feature the scoring reads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from headwater.dbt import load_artifacts
from headwater.lineage import build_lineage
from headwater.lineage.model import ColumnRef, EdgeKind
from headwater.ml.fraud import FEATURES

pytestmark = pytest.mark.slow
PREDICTIONS = "model.headwater_example.fraud_predictions"
MART = "model.headwater_example.mart_fraud_features"


def test_each_prediction_column_has_a_model_edge_from_each_feature(example_template: Path, tmp_path: Path) -> None:
    graph = build_lineage(load_artifacts(example_template), cache_dir=tmp_path)
    for column in ("score", "label", "fallback_used"):
        edges = graph.edges_into(ColumnRef(PREDICTIONS, column))
        assert {(e.kind, e.source) for e in edges} == {
            (EdgeKind.MODEL, ColumnRef(MART, f.name)) for f in FEATURES
        }, column
    (key,) = graph.edges_into(ColumnRef(PREDICTIONS, "payment_id"))
    assert (key.kind, key.source) == (EdgeKind.PASSTHROUGH, ColumnRef(MART, "payment_id"))
    # upstream of the score reaches the sources through the feature mart's SQL lineage
    upstream = {e.source.node for e in graph.upstream(ColumnRef(PREDICTIONS, "score")) if e.source is not None}
    assert "source.headwater_example.shop.payments" in upstream


def test_a_python_model_that_declares_no_features_gets_explicit_unknown_edges(example_template: Path) -> None:
    from headwater.lineage.python_models import python_model_lineage

    node = load_artifacts(example_template).manifest.nodes[PREDICTIONS]
    lineage = python_model_lineage(replace(node, meta={}), ("score",), lambda _: ("amount",))
    assert [(e.target, e.kind) for e in lineage.edges] == [("score", "unknown")]
    assert "declares no features" in lineage.edges[0].reason


def test_model_edges_come_from_the_registered_models_signature(example_template: Path) -> None:
    """With no feature list in `meta`, the registered model's signature tells what the scoring reads."""
    from headwater.lineage.python_models import python_model_lineage

    node = load_artifacts(example_template).manifest.nodes[PREDICTIONS]
    meta = {"headwater": {"model": "fraud_model", "key": "payment_id"}}  # no `features`
    mart = {f.name for f in FEATURES} | {"payment_id"}
    lineage = python_model_lineage(
        replace(node, meta=meta), ("payment_id", "score"), lambda p: tuple(mart) if p == MART else (), example_template
    )
    score = [e for e in lineage.edges if e.target == "score"]
    assert [(e.kind, e.source_column) for e in score] == [("model", f.name) for f in FEATURES]  # the signature's order
    assert all("the registered fraud_model v1" in e.expression for e in score)
    # a model the store does not have: the meta list is all there is, and without it explicit unknown edges
    missing = {"headwater": {"model": "no_such_model", "key": "payment_id"}}
    (unknown,) = python_model_lineage(replace(node, meta=missing), ("score",), lambda _: (), example_template).edges
    assert unknown.kind == "unknown" and "names no registered model" in unknown.reason
