"""Scoring with the fallback a real serving service has: a required feature that is NULL or absent gives
the default prediction (and `fallback_used`), the other features are imputed by the model's pipeline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from headwater.ml.model import ServingSpec


def score_frame(frame: pd.DataFrame, model: Any, spec: ServingSpec, key: str, version: str) -> pd.DataFrame:
    """Predictions: key, score, label, model_version, fallback_used (one row per input row)."""
    inputs = frame.copy()
    for name in spec.names:
        if name not in inputs.columns:  # the serving code fills a missing column, as it does a NULL
            inputs[name] = None
    numeric = [f.name for f in spec.features if f.kind == "numeric"]
    inputs[numeric] = inputs[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    for feature in spec.features:
        if feature.kind == "categorical":
            column = inputs[feature.name]
            inputs[feature.name] = column.where(column.isna(), column.astype(str)).astype(object)
    fallback = inputs[list(spec.required)].isna().any(axis=1).to_numpy() if spec.required else np.zeros(len(inputs))
    scores = np.full(len(inputs), spec.default_score, dtype=float)
    scored = ~fallback.astype(bool)
    if scored.any():
        features = inputs.loc[scored, list(spec.names)]
        features = features.where(features.notna(), np.nan)
        scores[scored] = model.predict_proba(features)[:, 1]
    scores = np.round(scores, 6)
    return pd.DataFrame(
        {
            key: frame[key].to_numpy(),
            "score": scores,
            "label": (scores >= spec.threshold) & scored,
            "model_version": version,
            "fallback_used": fallback.astype(bool),
        }
    )
