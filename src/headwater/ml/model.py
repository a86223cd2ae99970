"""The vocabulary of the ML stage: what a model reads and what its serving code does when a feature is missing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson

FeatureKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class Feature:
    """One input column of a model. `required`: the serving code does not impute it, so a NULL (or a missing
    column) makes the scoring fall back to the default prediction."""

    name: str
    kind: FeatureKind
    required: bool


@dataclass(frozen=True)
class ServingSpec:
    features: tuple[Feature, ...]
    default_score: float  # the fallback prediction (the training base rate)
    threshold: float  # score at or above: label 1

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.required)

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "features": [{"name": f.name, "kind": f.kind, "required": f.required} for f in self.features],
                "default_score": self.default_score,
                "threshold": self.threshold,
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> ServingSpec:
        data: dict[str, Any] = orjson.loads(text)
        features = tuple(Feature(str(f["name"]), f["kind"], bool(f["required"])) for f in data["features"])
        return cls(features, float(data["default_score"]), float(data["threshold"]))


@dataclass(frozen=True)
class TrainedModel:
    """A registered model version and where it lives."""

    tracking_uri: str
    model_name: str
    version: str
    run_id: str
    spec: ServingSpec
    metrics: dict[str, float]
    baseline_path: str  # the training profile (JSON), also logged as a run artifact
