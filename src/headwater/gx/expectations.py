"""headwater's GX expectations: thin classes that gather metrics (computed in the engine) and hand them to
the plain functions of `headwater.semantics` (the same ones the tracer and the gate decide with).
Names and kwargs are public API; stored in a suite as
`expect_table_schema_to_match_contract`, `expect_column_distribution_to_match_baseline`,
`expect_table_to_be_fresh`, `expect_column_most_common_value_share_to_be_below`,
`expect_column_values_to_exist_in_table`. Importing this module registers them with GX.
"""

from __future__ import annotations

from typing import Any

from great_expectations.execution_engine.sparkdf_execution_engine import SparkDFExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation, ColumnAggregateExpectation
from great_expectations.validator.metric_configuration import MetricConfiguration

from headwater.gx import metrics as m
from headwater.semantics import clock, drift, durations, freshness, schema_contract, shares

Metrics = dict[str, Any]


def _add_metric(expectation: Any, dependencies: Any, name: str, value_kwargs: dict[str, Any]) -> None:
    domain = expectation.configuration.get_domain_kwargs()
    dependencies.set_metric_configuration(
        metric_name=name,
        metric_configuration=MetricConfiguration(
            name, metric_domain_kwargs=domain, metric_value_kwargs=value_kwargs
        ),
    )


def _dialect(execution_engine: Any) -> str | None:
    if isinstance(execution_engine, SparkDFExecutionEngine):  # Spark's type names (headwater.gx.spark)
        return "spark"
    return m.sql_dialect(execution_engine) if hasattr(execution_engine, "dialect_name") else "duckdb"


class ExpectTableSchemaToMatchContract(BatchExpectation):
    """Columns present, types (normalised across dialects), nullability, optionally order / no extras.

    The contract: inline `columns` ([{name, data_type, nullable}]), or `dbt_manifest` + `dbt_model`,
    or `odcs_path` (+ `odcs_schema`). Metadata only (information_schema): no table scan.
    """

    columns: list[dict[str, Any]] | None = None
    dbt_manifest: str | None = None
    dbt_model: str | None = None
    odcs_path: str | None = None
    odcs_schema: str | None = None
    dialect: str | None = None  # dialect the contract's type names are written in
    allow_extra: bool | None = None  # None: as the contract says (dbt: no extras; inline/ODCS: allowed)
    exact_order: bool = False
    allow_widening: bool = True

    metric_dependencies = (m.SCHEMA,)
    success_keys = ("columns", "dbt_manifest", "dbt_model", "odcs_path", "odcs_schema", "dialect",
                    "allow_extra", "exact_order", "allow_widening")  # fmt: skip

    def _validate(self, metrics: Metrics, runtime_configuration: dict[str, Any] | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:  # fmt: skip
        kwargs = self.configuration.kwargs
        observed = metrics[m.SCHEMA]
        relation = str(kwargs.get("batch_id") or "batch")
        contract = schema_contract.resolve_contract(relation, kwargs)
        actual = schema_contract.actual_table(relation, observed, _dialect(execution_engine))
        violations = schema_contract.schema_violations(
            contract, actual, exact_order=schema_contract.exact_order(kwargs)
        )
        return {
            "success": not violations,
            "result": {
                "observed_value": f"{len(violations)} violation(s)" if violations else "matches the contract",
                "details": {
                    "violations": [v.as_dict() for v in violations],
                    "columns": [dict(c) for c in observed],
                },
            },
        }


class ExpectColumnDistributionToMatchBaseline(ColumnAggregateExpectation):
    """Numeric: PSI and two-sample KS; categorical: PSI and chi-square; against a baseline profile given
    inline (`baseline`) or as a file written by `headwater baseline` (`baseline_path`, column by name).
    Counts are computed in the engine (binned / grouped), never by pulling the column into pandas.
    """

    baseline: dict[str, Any] | None = None
    baseline_path: str | None = None
    psi_threshold: float | None = 0.2
    ks_pvalue: float | None = 0.01
    chi2_pvalue: float | None = 0.01
    min_sample_size: int = 100

    metric_dependencies = ()
    success_keys = (
        "baseline",
        "baseline_path",
        "psi_threshold",
        "ks_pvalue",
        "chi2_pvalue",
        "min_sample_size",
    )

    def _profile(self) -> drift.Profile:
        return drift.profile_from_kwargs(self.configuration.kwargs)

    def get_validation_dependencies(
        self, execution_engine: Any = None, runtime_configuration: dict[str, Any] | None = None
    ) -> Any:
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        profile = self._profile()
        if isinstance(profile, drift.NumericProfile):
            _add_metric(self, dependencies, m.BINNED_COUNTS, {"bins": profile.bins})
        else:
            _add_metric(self, dependencies, m.TOP_VALUES, {"limit": 1000})
        return dependencies

    def _validate(self, metrics: Metrics, runtime_configuration: dict[str, Any] | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:  # fmt: skip
        kwargs = self.configuration.kwargs
        thresholds = drift.thresholds_from_kwargs(kwargs)
        profile = self._profile()
        if isinstance(profile, drift.NumericProfile):
            verdict = drift.evaluate_numeric(profile, metrics[m.BINNED_COUNTS], thresholds)
        else:
            top = metrics[m.TOP_VALUES]
            verdict = drift.evaluate_categorical(profile, dict(top["top"]), top["nonnull"], thresholds)
        observed = "; ".join(verdict.reasons) or (
            f"PSI {verdict.psi:.3f}" if verdict.psi is not None else "not judged"
        )
        return {
            "success": verdict.success,
            "result": {"observed_value": observed, "details": verdict.as_dict()},
        }


class ExpectTableToBeFresh(ColumnAggregateExpectation):
    """max(`column`) is within `max_lag` ("30m", "12h", "1d", "2w" or seconds) of `reference_time` (ISO;
    default now). Naive timestamps are UTC, in the column and in `reference_time`."""

    max_lag: str | float = "1d"
    reference_time: str | None = None

    metric_dependencies = ("column.max",)
    success_keys = ("max_lag", "reference_time")

    def _validate(self, metrics: Metrics, runtime_configuration: dict[str, Any] | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:  # fmt: skip
        kwargs = self.configuration.kwargs
        verdict = freshness.evaluate_freshness(
            metrics["column.max"], durations.lag_seconds(kwargs), clock.reference_time(kwargs)
        )
        return {
            "success": verdict.success,
            "result": {
                "observed_value": verdict.newest.isoformat() if verdict.newest else None,
                "details": {"lag_seconds": verdict.lag_seconds, "max_lag_seconds": verdict.max_lag_seconds,
                            "reference_time": verdict.reference.isoformat(), "summary": verdict.summary},
            },
        }  # fmt: skip


class ExpectColumnMostCommonValueShareToBeBelow(ColumnAggregateExpectation):
    """Default-value collapse: the most common non-null value must stay below `max_share` of non-null rows."""

    max_share: float = 0.5

    metric_dependencies = ()
    success_keys = ("max_share",)

    def get_validation_dependencies(
        self, execution_engine: Any = None, runtime_configuration: dict[str, Any] | None = None
    ) -> Any:
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        _add_metric(self, dependencies, m.TOP_VALUES, {"limit": 1})
        return dependencies

    def _validate(self, metrics: Metrics, runtime_configuration: dict[str, Any] | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:  # fmt: skip
        top = metrics[m.TOP_VALUES]
        verdict = shares.evaluate_mcv_share(
            top["top"], top["nonnull"], float(self.configuration.kwargs.get("max_share", 0.5))
        )
        return {
            "success": verdict.success,
            "result": {
                "observed_value": verdict.share,
                "details": {"value": verdict.value, "count": verdict.count, "total": verdict.total,
                            "summary": verdict.summary},
            },
        }  # fmt: skip


class ExpectColumnValuesToExistInTable(ColumnAggregateExpectation):
    """Referential integrity: every non-null value of `column` is in `to_table.to_column` (same datasource;
    `to_table` as `schema.table`). Counts orphans with an anti-join in the engine; returns sample keys."""

    to_table: str
    to_column: str | None = None
    mostly: float = 1.0
    sample_size: int = 20

    metric_dependencies = (m.ORPHANS,)
    success_keys = ("to_table", "to_column", "mostly", "sample_size")

    def _validate(self, metrics: Metrics, runtime_configuration: dict[str, Any] | None = None,
                  execution_engine: Any = None) -> dict[str, Any]:  # fmt: skip
        found = metrics[m.ORPHANS]
        verdict = shares.evaluate_orphans(found["orphans"], found["checked"], found["sample"],
                                          float(self.configuration.kwargs.get("mostly", 1.0)))  # fmt: skip
        return {
            "success": verdict.success,
            "result": {
                "observed_value": verdict.orphan_count,
                "element_count": verdict.checked,
                "unexpected_count": verdict.orphan_count,
                "unexpected_percent": 100.0 * verdict.orphan_count / verdict.checked
                if verdict.checked
                else 0.0,
                "partial_unexpected_list": list(verdict.sample),
                "details": {"summary": verdict.summary},
            },
        }
