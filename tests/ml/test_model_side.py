"""The model-side pieces without a build: what differs between two registered versions, which version a
check's baseline was set against, and the lineage cache key of a python model that names a registered model."""

from __future__ import annotations

import os
from pathlib import Path

from headwater.dbt import Node
from headwater.lineage.python_models import registry_key
from headwater.ml.registered import ModelVersion, RegisteredModel
from headwater.trace.checks import Drift
from headwater.trace.rules.model_change import _differences
from headwater.trace.rules.model_versions import _same_profile, predecessor

SCORE = {"kind": "numeric", "bins": [0.03, 0.1, 0.9], "weights": [0.5, 0.5], "count": 100}


def version(number: str, features: tuple[str, ...], params: dict[str, str], amount_max: float) -> ModelVersion:
    columns = {"amount": {"kind": "numeric", "min": 1.0, "max": amount_max}, "score": SCORE}
    return ModelVersion(number, f"run{number}", 0, features, params, {"auc": 0.8}, {"columns": columns})


def test_differences_name_the_feature_order_the_training_ranges_and_the_parameters() -> None:
    then = version("1", ("a", "amount", "b"), {"shuffle": "False", "seed": "14"}, 3000.0)
    now = version("2", ("a", "b", "amount"), {"shuffle": "True", "seed": "14"}, 15.0)
    found = _differences(then, now)
    assert found[0].startswith("feature order differs (b, amount at other positions)")
    assert "`amount` 1..3000 then, 1..15 now" in found[1]
    assert found[2] == "parameters shuffle: False -> True"  # seed is the same: not listed
    assert len(found) == 3  # the metrics are the same
    assert _differences(then, then) == []


def test_a_baseline_identifies_the_version_whose_training_profile_it_is() -> None:
    check = Drift("score", shares=(0.5, 0.5), bins=(0.03, 0.1, 0.9))
    assert _same_profile(check, SCORE)
    assert not _same_profile(check, {**SCORE, "bins": [0.03, 0.2, 0.9]})
    model = RegisteredModel("m", "sqlite:///x", (version("1", (), {}, 1.0), version("2", (), {}, 1.0)))
    assert predecessor(model, model.versions[1]) == model.versions[0]
    assert predecessor(model, model.versions[0]) is None


def test_the_lineage_key_of_a_python_model_follows_its_model_store(tmp_path: Path) -> None:
    store = tmp_path / ".headwater" / "mlflow.db"
    store.parent.mkdir()
    store.write_bytes(b"one")
    node = Node("model.p.scores", "model", "scores", language="python", meta={"headwater": {"model": "m"}})
    before = registry_key(node, tmp_path)
    assert before[0] == "python" and before[2:5] == ("registry", f"sqlite:///{store.resolve()}", "m")
    store.write_bytes(b"a retrain")
    os.utime(store, ns=(1, 2))
    assert registry_key(node, tmp_path) != before  # a retrain re-reads the feature list
    declared = Node("model.p.scores", "model", "scores", language="python", meta={"headwater": {"features": ["a"]}})
    assert registry_key(declared, tmp_path) != registry_key(
        Node("model.p.scores", "model", "scores", language="python", meta={"headwater": {"features": ["b"]}}), tmp_path
    )  # features declared in YAML change no file checksum: the key reads them
    assert registry_key(Node("model.p.sql", "model", "sql"), tmp_path) == ()  # SQL models: nothing to read
