"""The marts checkpoint of a GX file context: created by code where absent, run, and summarised.

Layout of a context root (e.g. `expectations/` in the repository):

    <context_root>/gx/expectations/<suite>.json   committed: one suite per mart table (suite name = table)
    <context_root>/gx/great_expectations.yml      generated: the DuckDB path differs per copy of the project
    <context_root>/gx/validation_definitions/     generated: one per suite, whole-table batch
    <context_root>/gx/checkpoints/marts.json      generated once; actions attached later are kept
    <context_root>/gx/uncommitted/headwater/      raw checkpoint results for the tracer

A suite may name its table in `meta.headwater.table` (default: the suite name) and its schema in
`meta.headwater.schema` (default: found in the warehouse catalog).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import orjson
import sqlalchemy as sa
from great_expectations.checkpoint.checkpoint import Checkpoint, CheckpointResult
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.result_format import ResultFormat
from great_expectations.data_context.data_context.abstract_data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.exceptions.exceptions import DataContextError

from headwater.errors import ConfigError, WarehouseError, suggest
from headwater.gx.datasource import DuckDBDatasource, duckdb_url

DATASOURCE_NAME = "warehouse"
CHECKPOINT_NAME = "marts"
BATCH_DEFINITION_NAME = "whole_table"
RESULTS_DIR = Path("gx") / "uncommitted" / "headwater"


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not pass, in the terms the demo prints and the tracer reads."""

    suite: str
    table: str  # schema.table the suite validated
    expectation_type: str
    column: str | None
    kwargs: Mapping[str, Any]
    observed: str  # one-line summary of what GX observed
    result: Mapping[str, Any] = field(repr=False)
    severity: str = "critical"
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False)
    exception: str | None = None  # set when GX could not evaluate it (e.g. a missing column)


@dataclass(frozen=True)
class CheckpointOutcome:
    success: bool
    checkpoint: str
    evaluated: int  # expectations evaluated, over all suites
    failures: tuple[FailedExpectation, ...]
    result_path: Path  # the raw GX result JSON (input of `headwater trace`); Path() when not written
    raw: Mapping[str, Any] = field(repr=False, compare=False)


def suite_dir(context_root: str | Path) -> Path:
    return Path(context_root) / "gx" / "expectations"


def ensure_context(
    context_root: str | Path,
    duckdb_path: str | Path,
    checkpoint_name: str = CHECKPOINT_NAME,
) -> AbstractDataContext:
    """Open (or create) the file context at `context_root`, pointed at `duckdb_path`.

    Idempotent: the datasource follows `duckdb_path`, every committed suite gets a table asset, a
    validation definition and a place in the checkpoint; actions already on the checkpoint are kept.
    """
    root = Path(context_root)
    warehouse = Path(duckdb_path)
    if not warehouse.is_file():
        raise WarehouseError(f"DuckDB file {warehouse} does not exist; build the example first.")
    context = gx.get_context(mode="file", project_root_dir=str(root))
    _disable_progress_bars(context)
    datasource = _ensure_datasource(context, warehouse)
    suites = sorted(context.suites.all(), key=lambda s: s.name)
    if not suites:
        raise ConfigError(f"No expectation suites under {suite_dir(root)}; add one per mart table.")
    schemas = _table_schemas(warehouse)
    definitions = [_ensure_validation_definition(context, datasource, suite, schemas) for suite in suites]
    _ensure_checkpoint(context, checkpoint_name, definitions)
    return context


def run_marts_checkpoint(
    context_root: str | Path,
    duckdb_path: str | Path,
    checkpoint_name: str = CHECKPOINT_NAME,
) -> CheckpointOutcome:
    """Run the checkpoint over the marts and summarise it; the raw result is written for the tracer."""
    context = ensure_context(context_root, duckdb_path, checkpoint_name)
    checkpoint = context.checkpoints.get(checkpoint_name)
    try:
        result = checkpoint.run()
    finally:
        _close_datasources(context)
    return summarise(result, Path(context_root) / RESULTS_DIR)


def summarise(result: CheckpointResult, results_dir: Path | None) -> CheckpointOutcome:
    """Turn a GX CheckpointResult into a CheckpointOutcome; with `results_dir`, write its raw JSON there."""
    raw = checkpoint_result_dict(result)
    path = Path()
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = results_dir / f"{result.name}-{stamp}.json"
        path.write_bytes(
            orjson.dumps(raw, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)
        )
    evaluated = sum(len(v["results"]) for v in raw["validation_results"])
    return CheckpointOutcome(
        success=bool(result.success),
        checkpoint=result.name,
        evaluated=evaluated,
        failures=failures_of(raw),
        result_path=path,
        raw=raw,
    )


def failures_of(raw: Mapping[str, Any]) -> tuple[FailedExpectation, ...]:
    """Every failed expectation of a checkpoint result dict (as `checkpoint_result_dict` makes it)."""
    failures: list[FailedExpectation] = []
    for validation in raw["validation_results"]:
        table = _relation_of(validation)
        for item in validation["results"]:
            if not item["success"]:
                failures.append(_failed(validation["suite_name"], table, item))
    return tuple(failures)


def checkpoint_result_dict(result: CheckpointResult) -> dict[str, Any]:
    """JSON-able checkpoint result: GX's own validation result dicts, one per suite."""
    validations = [r.to_json_dict() for r in result.run_results.values()]  # type: ignore[no-untyped-call]
    return {
        "checkpoint": result.name,
        "success": bool(result.success),
        "run_id": result.run_id.to_json_dict(),
        "validation_results": validations,
    }


def close_datasources(context: AbstractDataContext) -> None:
    """Release the DuckDB files the context's datasources hold open."""
    _close_datasources(context)


# --- internals -------------------------------------------------------------------------------------


def _disable_progress_bars(context: AbstractDataContext) -> None:
    # tqdm bars from every metric computation would drown the demo's output.
    bars = context.variables.progress_bars
    globally = bars.get("globally", True) if isinstance(bars, dict) else getattr(bars, "globally", True)
    if bars is None or globally:
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        context.variables.save()


def _ensure_datasource(context: AbstractDataContext, warehouse: Path) -> DuckDBDatasource:
    url = duckdb_url(warehouse)
    try:
        existing = context.data_sources.get(DATASOURCE_NAME)
    except (KeyError, ValueError, DataContextError):
        existing = None
    if isinstance(existing, DuckDBDatasource):
        if str(existing.connection_string) != url:
            existing.connection_string = url
            context.update_datasource(existing)
        return existing
    if existing is not None:
        raise ConfigError(
            f"Datasource {DATASOURCE_NAME!r} in {context.root_directory} is of type {existing.type!r},"
            " not 'duckdb'; rename it or point the marts checkpoint at another context."
        )
    datasource: DuckDBDatasource = context.data_sources.add_duckdb(
        DATASOURCE_NAME, connection_string=url
    )
    return datasource


def _table_schemas(warehouse: Path) -> dict[str, list[str]]:
    """table name → schemas holding it, read from the DuckDB catalog (read-only)."""
    engine = sa.create_engine(duckdb_url(warehouse), connect_args={"read_only": True})
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "select table_name, table_schema from information_schema.tables"
                    " where table_catalog = current_database() order by table_schema"
                )
            ).fetchall()
    except sa.exc.DBAPIError as err:
        raise WarehouseError(f"Cannot read the catalog of {warehouse}: {err.orig}") from err
    finally:
        engine.dispose()
    schemas: dict[str, list[str]] = {}
    for table, schema in rows:
        schemas.setdefault(str(table).lower(), []).append(str(schema))
    return schemas


def _suite_target(suite: ExpectationSuite, schemas: Mapping[str, Sequence[str]]) -> tuple[str, str]:
    options = dict((suite.meta or {}).get("headwater") or {})
    table = str(options.get("table") or suite.name)
    schema = options.get("schema")
    if schema:
        return str(schema), table
    found = schemas.get(table.lower(), [])
    if not found:
        raise ConfigError(
            f"Suite {suite.name!r} validates table {table!r}, which is not in the warehouse."
            + suggest(table, schemas)
        )
    # Prefer the marts schema when a name exists in several (e.g. a staging view of the same name).
    return ("marts" if "marts" in found else found[0]), table


def _ensure_validation_definition(
    context: AbstractDataContext,
    datasource: DuckDBDatasource,
    suite: ExpectationSuite,
    schemas: Mapping[str, Sequence[str]],
) -> gx.ValidationDefinition:
    schema, table = _suite_target(suite, schemas)
    asset_name = f"{schema}.{table}"
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_table_asset(asset_name, table_name=table, schema_name=schema)
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION_NAME)
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
    try:
        existing = context.validation_definitions.get(suite.name)
        if existing.data.name == BATCH_DEFINITION_NAME and existing.data.data_asset.name == asset_name:
            return existing
    except (KeyError, ValueError, DataContextError):
        pass
    definition = gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=suite)
    return context.validation_definitions.add_or_update(definition)


def _ensure_checkpoint(
    context: AbstractDataContext, name: str, definitions: list[gx.ValidationDefinition]
) -> Checkpoint:
    try:
        checkpoint = context.checkpoints.get(name)
    except (KeyError, ValueError, DataContextError):
        checkpoint = None
    if checkpoint is not None:
        have = [d.name for d in checkpoint.validation_definitions]
        if have == [d.name for d in definitions]:
            return checkpoint
        # Keep the actions (e.g. attached by `headwater gx attach`), refresh the definitions.
        checkpoint.validation_definitions = definitions
        return context.checkpoints.add_or_update(checkpoint)
    checkpoint = Checkpoint(name=name, validation_definitions=definitions, result_format=ResultFormat.SUMMARY)
    return context.checkpoints.add(checkpoint)


def _close_datasources(context: AbstractDataContext) -> None:
    for datasource in context.data_sources.all().values():
        if isinstance(datasource, DuckDBDatasource):
            datasource.close()


def _relation_of(validation: Mapping[str, Any]) -> str:
    spec = (validation.get("meta") or {}).get("batch_spec") or {}
    table = spec.get("table_name")
    if table:
        return f"{spec['schema_name']}.{table}" if spec.get("schema_name") else str(table)
    batch = (validation.get("meta") or {}).get("active_batch_definition") or {}
    return str(batch.get("data_asset_name", ""))


def _failed(suite: str, table: str, item: Mapping[str, Any]) -> FailedExpectation:
    config = item["expectation_config"]
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    exception = item.get("exception_info") or {}
    message = exception.get("exception_message") if exception.get("raised_exception") else None
    return FailedExpectation(
        suite=suite,
        table=table,
        expectation_type=config["type"],
        column=kwargs.get("column"),
        kwargs=kwargs,
        observed=message or observed_summary(item.get("result") or {}),
        result=item.get("result") or {},
        severity=str(config.get("severity") or "critical"),
        meta=config.get("meta") or {},
        exception=message,
    )


def observed_summary(result: Mapping[str, Any]) -> str:
    """One line: what GX saw (unexpected counts and samples, or the observed value)."""
    if "unexpected_count" in result:
        count, total = result["unexpected_count"], result.get("element_count")
        sample = result.get("partial_unexpected_list") or []
        distinct = list(dict.fromkeys(repr(v) for v in sample))[:5]
        share = (
            f" ({result['unexpected_percent']:.2f}%)" if result.get("unexpected_percent") is not None else ""
        )
        text = f"{count} of {total} rows unexpected{share}"
        return text + (f", e.g. {', '.join(distinct)}" if distinct else "")
    if "observed_value" in result:
        value = result["observed_value"]
        text = repr(value)
        return f"observed {text if len(text) <= 200 else text[:197] + '...'}"
    details = result.get("details")
    return f"details {details!r}"[:200] if details else "no observed value"
