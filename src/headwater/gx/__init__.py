"""headwater's Great Expectations plugin: the only package that imports `great_expectations` (~7 s).

Importing `headwater.gx` registers, with GX, everything a file context may refer to by type name, so a
context saved by one process reloads in another:
- the `duckdb` datasource (`DuckDBDatasource`: correct metrics on DuckDB, opened read-only);
- the metrics and expectations of `headwater.gx.expectations`;
- the checkpoint actions of `headwater.gx.actions` (`headwater_trace_root_cause`, `headwater_contract_gate`).

The marts checkpoint used by the demo and tests: `headwater.gx.checkpoint.run_marts_checkpoint`.
"""

from __future__ import annotations

from headwater.gx import metrics  # noqa: F401  (registers the metrics)
from headwater.gx.actions import ContractGateAction, ContractGateError, TraceRootCauseAction
from headwater.gx.datasource import DuckDBDatasource, DuckDBExecutionEngine, duckdb_url
from headwater.gx.expectations import (
    ExpectColumnDistributionToMatchBaseline,
    ExpectColumnMostCommonValueShareToBeBelow,
    ExpectColumnValuesToExistInTable,
    ExpectTableSchemaToMatchContract,
    ExpectTableToBeFresh,
)

__all__ = [
    "ContractGateAction",
    "ContractGateError",
    "DuckDBDatasource",
    "DuckDBExecutionEngine",
    "ExpectColumnDistributionToMatchBaseline",
    "ExpectColumnMostCommonValueShareToBeBelow",
    "ExpectColumnValuesToExistInTable",
    "ExpectTableSchemaToMatchContract",
    "ExpectTableToBeFresh",
    "TraceRootCauseAction",
    "duckdb_url",
]
