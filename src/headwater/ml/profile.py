"""The per-feature profile of a training frame: the baseline serving data is compared against.

Each column gets the profile `headwater.semantics.drift` reads (numeric: quantile bin edges and shares;
categorical: value shares) plus its null rate and observed range, so a tracer can tell "NULL now, never in
training" and "out of the training range" apart from a shift inside the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from headwater.ml.model import Feature
from headwater.semantics import drift

BASELINE_VERSION = 1


def column_profile(values: pd.Series, kind: str, bins: int = 10) -> dict[str, Any]:
    total = len(values)
    present = values.dropna()
    null_rate = 1 - len(present) / total if total else 0.0
    if kind == "numeric":
        numbers = present.astype(float).to_numpy()
        if len(numbers) == 0:
            return {"kind": "numeric", "bins": [0.0, 0.0], "weights": [0.0], "count": 0, "null_rate": null_rate}
        edges = drift.quantile_edges(np.quantile(numbers, np.linspace(0, 1, bins + 1)).tolist())
        counts, _ = np.histogram(np.clip(numbers, edges[0], edges[-1]), bins=np.asarray(edges))
        profile: dict[str, Any] = drift.profile_to_dict(drift.numeric_profile(edges, counts.tolist()))
        profile.update(min=float(numbers.min()), max=float(numbers.max()))
    else:
        counted = present.astype(str).value_counts()
        pairs = [(str(v), int(n)) for v, n in counted.items()]
        profile = drift.profile_to_dict(drift.categorical_profile(pairs, len(present)))
    profile["null_rate"] = null_rate
    return profile


def frame_profile(frame: pd.DataFrame, features: Sequence[Feature], relation: str) -> dict[str, Any]:
    """The baseline document: `{"headwater_baseline": 1, "relation": ..., "columns": {name: profile}}`."""
    return {
        "headwater_baseline": BASELINE_VERSION,
        "relation": relation,
        "columns": {f.name: column_profile(frame[f.name], f.kind) for f in features},
    }
