"""Helpers of the ML stage tests: the predictions of a built project and its prediction suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
PREDICTION_SUITES = REPO / "expectations" / "ml" / "gx" / "expectations"


def predictions(project: Path) -> pd.DataFrame:
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("select * from ml.fraud_predictions order by payment_id").df()


def prediction_context_root(tmp_path: Path) -> Path:
    """A GX context root holding only the committed prediction suite, as a clean clone has it."""
    root = tmp_path / "expectations-ml"
    shutil.copytree(PREDICTION_SUITES, root / "gx" / "expectations")
    return root
