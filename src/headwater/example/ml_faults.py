"""ML faults on the example: upstream data and code faults seen at the fraud model's predictions, and a code
regression in the ML step itself. Same `Fault` / `GroundTruth` types as `headwater.example.faults`; the
expected failure is a check of the prediction suite (expectations/ml) on `fraud_predictions`.

After `apply`, rebuild with `headwater.example.build.rebuild_models` (it re-scores with the newest
registered model version).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from headwater.example.build import database_path
from headwater.example.faults import (
    ExpectedFailure,
    Fault,
    GroundTruth,
    _code_fault,
    _data_fault,
    model_id,
    source_id,
)

PREDICTIONS = "fraud_predictions"
MART = "models/marts/mart_fraud_features.sql"


def _retrain(shuffled: bool) -> Callable[[Path], None]:
    def run(project_dir: Path) -> None:
        from headwater.ml.fraud import train

        train(project_dir, database_path(project_dir), shuffle_feature_order=shuffled, build_features=False)

    return run


ML_FAULTS: tuple[Fault, ...] = (
    _data_fault(
        "ml_country_join_miss",
        "data",
        "~40% of raw.orders point at customers that do not exist: the customers join misses, customer_country "
        "is NULL and the fraud model serves its default prediction for those payments",
        GroundTruth(source_id("orders"), ("customer_id",), "source_data"),
        ExpectedFailure(PREDICTIONS, "score", "most_common_share"),
        "UPDATE raw.orders SET customer_id = customer_id + 1000000 WHERE hash(order_id, 141) % 100 < 40",
    ),
    _code_fault(
        "ml_feature_renamed",
        "mart_fraud_features renames customer_country to country: the model's feature is missing and every "
        "prediction falls back to the default",
        GroundTruth(model_id("mart_fraud_features"), ("customer_country",), "schema_change", where="as country"),
        ExpectedFailure(PREDICTIONS, "score", "most_common_share"),
        MART,
        "        orders.customer_country,",
        "        orders.customer_country as country,",
    ),
    _data_fault(
        "ml_amount_units_x100",
        "data",
        "raw.payments.amount arrives in cents (x100) for ~40% of payments: the fraud score distribution drifts",
        GroundTruth(source_id("payments"), ("amount",), "source_data", where="name: amount"),
        ExpectedFailure(PREDICTIONS, "score", "drift"),
        "UPDATE raw.payments SET amount = amount * 100 WHERE hash(payment_id, 142) % 100 < 40",
    ),
    _code_fault(
        "ml_serving_skew_account_age",
        "account_age_days is computed in weeks instead of days at serving (training saw days): training/serving "
        "skew, the score distribution drifts",
        GroundTruth(model_id("mart_fraud_features"), ("account_age_days",), "expression", where="'week') }}"),
        ExpectedFailure(PREDICTIONS, "score", "drift"),
        MART,
        "'cast(orders.ordered_at as date)', 'day') }}",
        "'cast(orders.ordered_at as date)', 'week') }}",
    ),
    Fault(
        "ml_retrained_shuffled_features",
        "code",
        "the fraud model was retrained with its numeric feature columns handed over in the wrong order (a code "
        "regression in the ML step): version 2 scores each column with another column's weight",
        # no history needed: the check's baseline is the training score profile of version 1 (rule model_change)
        GroundTruth(model_id(PREDICTIONS), ("score",), "model_change"),
        ExpectedFailure(PREDICTIONS, "score", "drift"),
        _retrain(shuffled=True),
        _retrain(shuffled=False),
    ),
)
ML_FAULT_MAP: dict[str, Fault] = {fault.id: fault for fault in ML_FAULTS}
