"""`headwater baseline`: profile columns of a table into the JSON that
`ExpectColumnDistributionToMatchBaseline(baseline_path=...)` compares against.

Numeric columns get quantile bin edges and the share of rows in each bin; other columns their most common
values and shares. Everything is computed in the engine through headwater's metrics (one quantile query
and one binned count per numeric column, one group-by per categorical column).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import great_expectations as gx
import orjson
from great_expectations.datasource.fluent.interfaces import Batch
from great_expectations.validator.metric_configuration import MetricConfiguration
from great_expectations.validator.metrics_calculator import MetricsCalculator

from headwater.errors import ConfigError, suggest
from headwater.gx import metrics as m
from headwater.gx.datasource import DuckDBDatasource, duckdb_url
from headwater.semantics import drift
from headwater.semantics.types import TypeFamily, normalize_type

BASELINE_VERSION = 1
_NUMERIC = {TypeFamily.INTEGER, TypeFamily.DECIMAL, TypeFamily.FLOAT, TypeFamily.NUMBER}


def _calculator(batch: Batch) -> MetricsCalculator:
    engine = batch.data.execution_engine
    engine.batch_manager.load_batch_list(batch_list=[batch])
    return MetricsCalculator(execution_engine=engine, show_progress_bars=False)


def _metric(calculator: MetricsCalculator, batch: Batch, name: str, column: str | None, **value: Any) -> Any:
    domain: dict[str, Any] = {"batch_id": batch.id}
    if column is not None:
        domain["column"] = column
    return calculator.get_metric(MetricConfiguration(name, domain, value or None))


def profile_batch(
    batch: Batch, columns: Sequence[str] | None = None, bins: int = 10, max_values: int = 50
) -> dict[str, drift.Profile]:
    """One profile per column (all columns when `columns` is None), computed in the batch's engine."""
    calculator = _calculator(batch)
    schema = {c["name"]: c for c in _metric(calculator, batch, m.SCHEMA, None)}
    wanted = list(columns) if columns else list(schema)
    profiles: dict[str, drift.Profile] = {}
    for column in wanted:
        if column not in schema:
            raise ConfigError(f"no column {column!r} in the table.{suggest(column, schema)}")
        family = normalize_type(str(schema[column]["data_type"]), "duckdb").family
        if family in _NUMERIC:
            points = [i / bins for i in range(bins + 1)]
            edges = drift.quantile_edges(
                _metric(calculator, batch, m.QUANTILES, column, quantiles=tuple(points))
            )
            counts = _metric(calculator, batch, m.BINNED_COUNTS, column, bins=edges)
            profiles[column] = drift.numeric_profile(edges, counts)
        else:
            top = _metric(calculator, batch, m.TOP_VALUES, column, limit=max_values)
            pairs = [(_json_value(v), n) for v, n in top["top"]]
            profiles[column] = drift.categorical_profile(pairs, top["nonnull"], max_values)
    return profiles


def baseline_document(relation: str, profiles: dict[str, drift.Profile]) -> dict[str, Any]:
    return {
        "headwater_baseline": BASELINE_VERSION,
        "relation": relation,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "columns": {name: drift.profile_to_dict(p) for name, p in profiles.items()},
    }


def write_baseline(path: str | Path, document: dict[str, Any]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return out


def baseline_from_warehouse(
    warehouse: str, table: str, out: str | Path, columns: Sequence[str] | None = None, bins: int = 10
) -> Path:
    """Profile `schema.table` of a warehouse (a DuckDB file path / `duckdb:///path`, or a PostgreSQL URL)."""
    schema, _, name = table.rpartition(".")
    context = gx.get_context(mode="ephemeral")
    if warehouse.startswith(("postgresql://", "postgresql+", "postgres://")):
        datasource: Any = context.data_sources.add_postgres("warehouse", connection_string=warehouse)
    else:
        path = warehouse.removeprefix("duckdb:///")
        if not Path(path).is_file():
            raise ConfigError(f"DuckDB file {path} does not exist; pass --warehouse PATH or a URL.")
        datasource = context.data_sources.add_duckdb("warehouse", connection_string=duckdb_url(path))
    try:
        asset = datasource.add_table_asset(table, table_name=name, schema_name=schema or None)
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        profiles = profile_batch(batch, columns, bins)
    finally:
        if isinstance(datasource, DuckDBDatasource):
            datasource.close()
    return write_baseline(out, baseline_document(table, profiles))


def _json_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
