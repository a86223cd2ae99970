"""The example build trains the fraud model into the project's MLflow store and scores it with the dbt Python
model; the serving fallback and the prediction suite behave on real data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

from headwater.example.build import database_path
from headwater.example.dbt_runner import run_dbt
from headwater.gx.checkpoint import run_marts_checkpoint
from headwater.ml import registry
from headwater.ml.fraud import FEATURES, MODEL_NAME, train
from tests.ml.conftest import prediction_context_root, predictions

pytestmark = pytest.mark.slow


def test_build_registers_a_model_version_with_its_features_metrics_and_baseline(example_template: Path) -> None:
    uri = registry.tracking_uri(example_template)
    version = registry.latest_version(uri, MODEL_NAME)
    assert version.version in (1, "1")
    run = registry.client(uri).get_run(version.run_id)
    assert run.data.params["features"].split(",") == [f.name for f in FEATURES]
    assert run.data.params["random_state"] == "14"
    assert 0.6 < run.data.metrics["holdout_auc"] < 0.95
    spec = registry.serving_spec(version)
    assert spec.required == ("payment_method", "customer_country", "risk_tier", "amount")
    baseline = orjson.loads((registry.store_dir(example_template) / registry.BASELINE_ARTIFACT).read_bytes())
    assert set(baseline["columns"]) == {f.name for f in FEATURES} | {"score"}
    assert baseline["columns"]["amount"]["null_rate"] == 0.0
    assert baseline["columns"]["amount"]["max"] > baseline["columns"]["amount"]["min"]


def test_training_is_deterministic(built_example: Path) -> None:
    first = registry.client(registry.tracking_uri(built_example)).get_run(
        registry.latest_version(registry.tracking_uri(built_example), MODEL_NAME).run_id
    )
    again = train(built_example, database_path(built_example), build_features=False)
    assert again.version == "2"
    assert again.metrics == {k: first.data.metrics[k] for k in again.metrics}


def test_clean_predictions_score_every_payment_without_fallback(example_template: Path) -> None:
    scored = predictions(example_template)
    with duckdb.connect(str(database_path(example_template)), read_only=True) as con:
        mart_rows = con.execute("select count(*) from marts.mart_fraud_features").fetchone()
    assert mart_rows is not None and len(scored) == mart_rows[0]
    assert list(scored.columns) == ["payment_id", "score", "label", "model_version", "fallback_used"]
    assert not scored["fallback_used"].any()
    assert set(scored["model_version"]) == {"1"}
    assert 0.1 < scored["score"].mean() < 0.35 and scored["label"].any()


def test_a_null_required_feature_gives_the_default_prediction(built_example: Path, tmp_path: Path) -> None:
    database = database_path(built_example)
    with duckdb.connect(str(database)) as con:  # the test's own copy: null a required feature for ~40%
        con.execute("update marts.mart_fraud_features set customer_country = null where payment_id % 5 < 2")
        con.execute("update marts.mart_fraud_features set account_age_days = null where payment_id % 5 = 2")
    run_dbt(built_example, "run", "--select", "fraud_predictions", duckdb_path=database)
    scored = predictions(built_example)
    nulled = scored["payment_id"] % 5 < 2
    spec = registry.serving_spec(registry.latest_version(registry.tracking_uri(built_example), MODEL_NAME))
    assert scored.loc[nulled, "fallback_used"].all() and not scored.loc[~nulled, "fallback_used"].any()
    assert (scored.loc[nulled, "score"] == spec.default_score).all()
    assert not scored.loc[nulled, "label"].any()
    imputed = scored["payment_id"] % 5 == 2  # an optional feature is imputed, not defaulted
    assert scored.loc[imputed, "score"].nunique() > 10
    outcome = run_marts_checkpoint(prediction_context_root(tmp_path), database)
    failed = {(f.column, f.expectation_type) for f in outcome.failures}
    assert ("score", "expect_column_most_common_value_share_to_be_below") in failed


def test_prediction_suite_passes_on_the_clean_build(example_template: Path, tmp_path: Path) -> None:
    outcome = run_marts_checkpoint(prediction_context_root(tmp_path), database_path(example_template))
    assert outcome.success, [str(f) for f in outcome.failures]
    assert outcome.evaluated == 5
