"""The example's fraud model: trained deterministically on `mart_fraud_features` of the clean build.

The example data has no fraud label, so one is drawn here with a seeded rule over the features (a hash of
the payment id as the random draw): the same data always gives the same labels, and no table is changed.
Training runs inside `headwater.example.build.build_example`, before the full `dbt build` that scores with
the dbt Python model `models/ml/fraud_predictions.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pandas as pd

from headwater.example.dbt_runner import run_dbt
from headwater.ml import registry
from headwater.ml.model import Feature, ServingSpec, TrainedModel
from headwater.ml.profile import frame_profile

MODEL_NAME = "fraud_model"
EXPERIMENT = "headwater-fraud"
FEATURE_RELATION = "marts.mart_fraud_features"
KEY = "payment_id"
SEED = 14
THRESHOLD = 0.5
FEATURES: tuple[Feature, ...] = (
    Feature("payment_method", "categorical", required=True),
    Feature("customer_country", "categorical", required=True),
    Feature("risk_tier", "categorical", required=True),
    Feature("amount", "numeric", required=True),
    Feature("channel", "categorical", required=False),
    Feature("account_age_days", "numeric", required=False),
    Feature("payments_last_30d", "numeric", required=False),
    Feature("customer_order_seq", "numeric", required=False),
)
_RISK = {"high": 1.8, "medium": 0.8, "low": 0.0}


def fraud_label(frame: pd.DataFrame, seed: int = SEED) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Seeded label: P(fraud) rises with risk tier, gift cards, young accounts, large amounts, bursts."""
    logit = (
        -2.6
        + frame["risk_tier"].map(_RISK).fillna(0.4).to_numpy(dtype=float)
        + 1.3 * (frame["payment_method"] == "gift_card").to_numpy(dtype=float)
        + 1.0 * (frame["account_age_days"].astype(float) < 30).to_numpy(dtype=float)
        + 1.0 * (frame["amount"].astype(float) > 1500).to_numpy(dtype=float)
        + 0.3 * (frame["payments_last_30d"].astype(float).to_numpy() - 1)
    )
    probability = 1 / (1 + np.exp(-logit))
    keys = frame[KEY].to_numpy(dtype=np.uint64)
    draws = ((keys * np.uint64(2654435761) + np.uint64(seed * 40503)) % np.uint64(2**32)) / 2**32
    return np.asarray(draws < probability)


def pipeline(features: tuple[Feature, ...], seed: int = SEED) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [f.name for f in features if f.kind == "numeric"]
    categorical = [f.name for f in features if f.kind == "categorical"]
    prepare = ColumnTransformer(
        [
            ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                        ("encode", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            ),
        ]
    )
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(max_iter=1000, random_state=seed))])


def read_features(database: Path, relation: str = FEATURE_RELATION) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {relation} order by {KEY}").df()


def prepare_features(project_dir: Path, database: Path) -> None:
    """Build the feature mart and its parents (seeds and models, no tests) so training can read it."""
    run_dbt(
        project_dir, "build", "--select", "+mart_fraud_features", "--resource-type", "model",
        "--resource-type", "seed", duckdb_path=database,
    )  # fmt: skip


def train(
    project_dir: Path, database: Path, *, shuffle_feature_order: bool = False, build_features: bool = True
) -> TrainedModel:
    """Train, log and register the fraud model in the project's MLflow store; returns the new version.

    `shuffle_feature_order` reproduces a code regression: the training frame's numeric columns are handed
    to the pipeline positionally under the wrong names, so the model learns each weight on another column.
    """
    project_dir = project_dir.resolve()
    if build_features:
        prepare_features(project_dir, database)
    frame = read_features(database)
    labels = fraud_label(frame)
    training = frame[[f.name for f in FEATURES]].copy()
    numeric = [f.name for f in FEATURES if f.kind == "numeric"]
    training[numeric] = training[numeric].astype(float)  # serving sees floats (NULLs included)
    if shuffle_feature_order:
        training = training.rename(columns=dict(zip(numeric, numeric[1:] + numeric[:1], strict=True)))
    holdout = (frame[KEY].to_numpy() % 5) == 0
    model = pipeline(FEATURES).fit(training[~holdout], labels[~holdout])
    metrics = _metrics(model, training, labels, holdout)
    spec = ServingSpec(FEATURES, default_score=round(float(labels.mean()), 6), threshold=THRESHOLD)
    baseline = frame_profile(training, FEATURES, FEATURE_RELATION)
    scores = pd.DataFrame({"score": model.predict_proba(training)[:, 1]})
    baseline["columns"]["score"] = frame_profile(scores, (Feature("score", "numeric", True),), "")["columns"]["score"]
    baseline["code"] = training_code(project_dir, FEATURE_RELATION)
    return _log(project_dir, model, training, spec, metrics, baseline, shuffle_feature_order)


def training_code(project_dir: Path, relation: str) -> dict[str, str]:
    """unique_id -> compiled SQL of the model that builds `relation` and of the models it reads, as the last
    dbt run compiled them: the code the training features came from, so a tracer can tell training/serving
    skew (the same feature computed by other code now) from a change in the data."""
    manifest_path = project_dir / "target" / "manifest.json"
    if not manifest_path.exists():
        return {}
    nodes: dict[str, Any] = orjson.loads(manifest_path.read_bytes()).get("nodes") or {}
    schema, _, name = relation.rpartition(".")
    start = [u for u, n in nodes.items() if n.get("alias", n.get("name")) == name and (n.get("schema") or "")
             .endswith(schema)]  # fmt: skip
    code: dict[str, str] = {}
    while start:
        uid = start.pop()
        node = nodes.get(uid)
        if uid in code or node is None or node.get("resource_type") != "model":
            continue
        code[uid] = str(node.get("compiled_code") or "")
        start.extend((node.get("depends_on") or {}).get("nodes") or ())
    return code


def _metrics(model: Any, training: pd.DataFrame, labels: np.ndarray[Any, Any], holdout: Any) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    scores = model.predict_proba(training)[:, 1]
    return {
        "train_auc": round(float(roc_auc_score(labels[~holdout], scores[~holdout])), 6),
        "holdout_auc": round(float(roc_auc_score(labels[holdout], scores[holdout])), 6),
        "base_rate": round(float(labels.mean()), 6),
        "rows": float(len(training)),
    }


def _log(
    project_dir: Path, model: Any, training: pd.DataFrame, spec: ServingSpec, metrics: dict[str, float],
    baseline: dict[str, Any], shuffled: bool,
) -> TrainedModel:  # fmt: skip
    import mlflow.sklearn
    import sklearn
    from mlflow.models import infer_signature

    store = registry.store_dir(project_dir)
    store.mkdir(parents=True, exist_ok=True)
    uri = registry.tracking_uri(project_dir)
    mlflow_client = registry.client(uri)
    experiment = registry.experiment_for(mlflow_client, EXPERIMENT, store / "artifacts")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    baseline_path = store / registry.BASELINE_ARTIFACT
    baseline_path.write_bytes(orjson.dumps(baseline, option=orjson.OPT_INDENT_2))
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_params(
            {"model": "LogisticRegression", "max_iter": 1000, "random_state": SEED, "label_seed": SEED,
             "threshold": spec.threshold, "features": ",".join(spec.names), "required": ",".join(spec.required),
             "shuffle_feature_order": shuffled},
        )  # fmt: skip
        mlflow.log_metrics(metrics)
        mlflow.log_dict({"features": list(spec.names), "required": list(spec.required)}, "features.json")
        mlflow.log_artifact(str(baseline_path))
        signature = infer_signature(training.head(100), model.predict_proba(training.head(100))[:, 1])
        info = mlflow.sklearn.log_model(
            model, name="model", signature=signature, skops_trusted_types=["numpy.dtype"],
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],  # inferring them costs ~8 s
        )  # fmt: skip
        version = mlflow.register_model(info.model_uri, MODEL_NAME, tags={registry.SPEC_TAG: spec.to_json()})
    return TrainedModel(uri, MODEL_NAME, str(version.version), run.info.run_id, spec, metrics, str(baseline_path))


def train_for_build(project_dir: Path, database: Path) -> TrainedModel:
    """The example build's ML step: a fresh store (a rebuilt warehouse gets a model trained on it), then
    the features, then version 1 of the model. The full `dbt build` that follows scores with it."""
    store = registry.store_dir(project_dir)
    for stale in (store / registry.STORE_FILE, store / registry.BASELINE_ARTIFACT):
        stale.unlink(missing_ok=True)
    shutil.rmtree(store / "artifacts", ignore_errors=True)
    return train(project_dir, database)
