"""The local MLflow tracking store of a project: `<project>/.headwater/mlflow.db` (SQLite, no server).

MLflow records absolute artifact locations, so a copied project still reads its models from the original
folder; training in a copy therefore logs into an experiment of its own, never into the original's folder.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from headwater.errors import HeadwaterError
from headwater.ml.model import ServingSpec

STORE_DIR = ".headwater"
STORE_FILE = "mlflow.db"
TRACKING_URI_ENV = "HEADWATER_MLFLOW_TRACKING_URI"
SPEC_TAG = "headwater.serving_spec"
BASELINE_ARTIFACT = "baseline.json"


class ModelRegistryError(HeadwaterError):
    """A registered model cannot be found or read."""


def store_dir(project_dir: Path) -> Path:
    return project_dir.resolve() / STORE_DIR


def tracking_uri(project_dir: Path) -> str:
    return f"sqlite:///{store_dir(project_dir) / STORE_FILE}"


def client(uri: str) -> Any:
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_for(mlflow_client: Any, name: str, artifact_dir: Path) -> str:
    """The experiment `name` whose artifacts live in `artifact_dir`; a copied store's experiment (pointing at
    another folder) is left alone and a sibling named after this folder is used instead."""
    location = artifact_dir.resolve().as_uri()
    for candidate in (name, f"{name}-{hashlib.sha1(location.encode()).hexdigest()[:8]}"):
        found = mlflow_client.get_experiment_by_name(candidate)
        if found is None:
            return str(mlflow_client.create_experiment(candidate, artifact_location=location))
        if found.artifact_location == location:
            return str(found.experiment_id)
    raise ModelRegistryError(f"cannot create an MLflow experiment for {artifact_dir}; delete {STORE_DIR}/ and retrain")


def latest_version(uri: str, model_name: str) -> Any:
    """The newest registered version of `model_name` (an MLflow ModelVersion)."""
    versions = client(uri).search_model_versions(f"name = '{model_name}'")
    if not versions:
        raise ModelRegistryError(
            f"no registered version of model {model_name!r} in {uri}; run `headwater example build` to train it"
        )
    return max(versions, key=lambda v: int(v.version))


def all_versions(uri: str, model_name: str) -> list[Any]:
    return sorted(client(uri).search_model_versions(f"name = '{model_name}'"), key=lambda v: int(v.version))


def serving_spec(version: Any) -> ServingSpec:
    text = (version.tags or {}).get(SPEC_TAG)
    if not text:
        raise ModelRegistryError(f"model version {version.name}/{version.version} has no {SPEC_TAG} tag; retrain it")
    return ServingSpec.from_json(text)


def load_model(uri: str, version: Any) -> Any:
    import mlflow.sklearn

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.sklearn.load_model(f"models:/{version.name}/{version.version}")


def download_baseline(uri: str, run_id: str, destination: Path) -> Path:
    import mlflow.artifacts

    return Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=BASELINE_ARTIFACT, dst_path=str(destination), tracking_uri=uri
        )
    )
