"""The registered model behind a dbt Python model, as lineage and the tracer read it from the MLflow store.

A scoring model names its registered model in `meta: {headwater: {model: <name>}}` (optionally
`tracking_uri`; default `HEADWATER_MLFLOW_TRACKING_URI`, else the project's `.headwater/mlflow.db`). For each
registered version: its feature list (the MLflow signature's inputs, in order, else the fitted estimator's
`feature_names_in_`), run parameters and metrics, and the training baseline logged with it (`baseline.json`:
per-feature profile, the training score profile, and the compiled SQL the features were built with).

Reads are cached per store file and its modification time: a trace asks several times, a retrain is seen.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from headwater.dbt import Node
from headwater.ml import registry


@dataclass(frozen=True)
class ModelVersion:
    version: str
    run_id: str
    created_ms: int  # registration time (epoch milliseconds), as MLflow records it
    features: tuple[str, ...]  # the inputs the model reads, in the order it was fitted on ("": not recorded)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    baseline: Mapping[str, Any] = field(default_factory=dict)  # baseline.json of its run ({}: none logged)

    def column(self, name: str) -> Mapping[str, Any] | None:
        """The training profile of one column (a feature, or the prediction `score`)."""
        found = (self.baseline.get("columns") or {}).get(name)
        return found if isinstance(found, Mapping) else None


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    tracking_uri: str
    versions: tuple[ModelVersion, ...]  # oldest first

    def version(self, number: str) -> ModelVersion | None:
        return next((v for v in self.versions if v.version == str(number)), None)

    @property
    def newest(self) -> ModelVersion | None:
        return self.versions[-1] if self.versions else None


def declared_model(node: Node, project_dir: Path | None) -> tuple[str, str] | None:
    """(tracking URI, registered model name) a python model declares; None when it names none."""
    options: Any = (node.meta or {}).get("headwater") or {}
    name = options.get("model") if isinstance(options, Mapping) else None
    if not name or not isinstance(name, str):
        return None
    uri = str(options.get("tracking_uri") or os.environ.get(registry.TRACKING_URI_ENV) or "")
    if not uri:
        if project_dir is None:
            return None
        uri = registry.tracking_uri(project_dir)
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and project_dir is not None:
        # relative to the project directory, where dbt runs the scoring model
        uri = prefix + str((project_dir / uri.removeprefix(prefix)).resolve())
    return uri, name


def version_column(node: Node) -> str:
    """The prediction column that records which model version scored the row ("" when none is declared)."""
    options: Any = (node.meta or {}).get("headwater") or {}
    return str(options.get("version_column") or "").lower() if isinstance(options, Mapping) else ""


def store_stamp(uri: str) -> str:
    """What changes when the store does: the SQLite file's size and modification time (a server: its URI)."""
    prefix = "sqlite:///"
    if uri.startswith(prefix):
        path = Path(uri.removeprefix(prefix))
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        return f"{stat.st_size}:{stat.st_mtime_ns}"
    return uri


def registered_model(node: Node, project_dir: Path | None) -> RegisteredModel | None:
    """The registered model a python model scores with (None: it declares none, or the store has none)."""
    declared = declared_model(node, project_dir)
    if declared is None:
        return None
    uri, name = declared
    if store_stamp(uri) == "missing":
        return None
    try:
        return _read(uri, name, store_stamp(uri))
    except registry.ModelRegistryError:
        return None


def newest_signature(uri: str, name: str) -> tuple[str, tuple[str, ...]] | None:
    """(version, signature inputs) of the newest registered version, read straight from a local SQLite store
    and the version's `MLmodel` file (MLflow's on-disk layout), without importing MLflow; None when the store
    is not of that kind or the layout is not the one expected (the caller then asks MLflow itself)."""
    import sqlite3
    from urllib.parse import unquote, urlparse

    import yaml

    if not uri.startswith("sqlite:///"):
        return None
    try:
        with sqlite3.connect(f"file:{uri.removeprefix('sqlite:///')}?mode=ro", uri=True) as con:
            row = con.execute(
                "select version, storage_location from model_versions where name = ? order by version desc limit 1",
                (name,),
            ).fetchone()
        if row is None or not str(row[1]).startswith("file://"):
            return None
        mlmodel = Path(unquote(urlparse(str(row[1])).path)) / "MLmodel"
        inputs = ((yaml.safe_load(mlmodel.read_text()) or {}).get("signature") or {}).get("inputs")
        names = tuple(str(c["name"]).lower() for c in orjson.loads(inputs)) if inputs else ()
    except (sqlite3.Error, OSError, ValueError, TypeError, KeyError, yaml.YAMLError):
        return None
    return (str(row[0]), names) if names else None


@functools.lru_cache(maxsize=8)
def _read(uri: str, name: str, stamp: str) -> RegisteredModel:
    del stamp  # part of the cache key only
    quick = _read_local(uri, name)
    return quick if quick is not None else _read_mlflow(uri, name)


def _read_local(uri: str, name: str) -> RegisteredModel | None:
    """The registry of a local SQLite store with file artifacts, read from MLflow's tables and files directly:
    importing MLflow and opening its store cost seconds per process. None when anything is not as expected
    (another layout, a server): the MLflow client is asked then."""
    import sqlite3
    from urllib.parse import unquote, urlparse

    import yaml

    def local(location: str) -> Path | None:
        return Path(unquote(urlparse(location).path)) if location.startswith("file://") else None

    if not uri.startswith("sqlite:///"):
        return None
    try:
        with sqlite3.connect(f"file:{uri.removeprefix('sqlite:///')}?mode=ro", uri=True) as con:
            rows = con.execute(
                "select v.version, v.run_id, v.creation_time, v.storage_location, r.artifact_uri from model_versions v"
                " join runs r on r.run_uuid = v.run_id where v.name = ? order by v.version",
                (name,),
            ).fetchall()
            versions = []
            for number, run_id, created, storage, artifacts in rows:
                params = dict(con.execute("select key, value from params where run_uuid = ?", (run_id,)).fetchall())
                metrics = dict(con.execute("select key, value from latest_metrics where run_uuid = ?", (run_id,)))
                model_dir, run_dir = local(str(storage)), local(str(artifacts))
                if model_dir is None or run_dir is None:
                    return None
                inputs = ((yaml.safe_load((model_dir / "MLmodel").read_text()) or {}).get("signature") or {}).get(
                    "inputs"
                )
                features = tuple(str(c["name"]).lower() for c in orjson.loads(inputs)) if inputs else ()
                found = run_dir / registry.BASELINE_ARTIFACT
                baseline = orjson.loads(found.read_bytes()) if found.exists() else {}
                versions.append(
                    ModelVersion(str(number), str(run_id), int(created or 0), features,
                                 {str(k): str(v) for k, v in params.items()},
                                 {str(k): float(v) for k, v in metrics.items()}, baseline)
                )  # fmt: skip
    except (sqlite3.Error, OSError, ValueError, TypeError, KeyError, yaml.YAMLError):
        return None
    return RegisteredModel(name, uri, tuple(versions)) if versions else None


def _read_mlflow(uri: str, name: str) -> RegisteredModel:
    client = registry.client(uri)
    found = registry.all_versions(uri, name)
    if not found:
        raise registry.ModelRegistryError(f"no registered version of model {name!r} in {uri}")
    versions = []
    with tempfile.TemporaryDirectory(prefix="headwater-model-") as tmp:
        for v in found:
            run = client.get_run(v.run_id)
            baseline: dict[str, Any] = {}
            try:
                path = registry.download_baseline(uri, v.run_id, Path(tmp) / str(v.version))
                baseline = orjson.loads(path.read_bytes())
            except Exception:  # a run without a baseline artifact: the tracer says so
                baseline = {}
            features = _features(uri, v)
            created = int(v.creation_timestamp or 0)
            params, metrics = dict(run.data.params), dict(run.data.metrics)
            versions.append(ModelVersion(str(v.version), str(v.run_id), created, features, params, metrics, baseline))
    return RegisteredModel(name, uri, tuple(versions))


def _features(uri: str, version: Any) -> tuple[str, ...]:
    """The signature's input columns, else the fitted estimator's `feature_names_in_` (loads the model)."""
    import mlflow
    from mlflow.models import get_model_info

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        signature = get_model_info(f"models:/{version.name}/{version.version}").signature
    except Exception:  # no readable MLmodel: try the estimator itself
        signature = None
    if signature is not None and signature.inputs is not None:
        names = signature.inputs.input_names()
        if names and all(isinstance(n, str) for n in names):
            return tuple(str(n).lower() for n in names)
    try:
        fitted = registry.load_model(uri, version)
    except Exception:  # a flavour headwater cannot load: no feature list
        return ()
    return tuple(str(n).lower() for n in getattr(fitted, "feature_names_in_", ()))
