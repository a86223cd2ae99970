"""The marts suites on Spark: GX's own Spark datasource, one dataframe asset per suite's table, whole-dataframe
batches, in the caller's SparkSession (a notebook, a job on a cluster, the test run's local session).

Also the Spark implementations of headwater's metrics (registered when this module is imported): the table
schema from the dataframe's plan (no scan), top values and orphans as Spark aggregates (a column is never
collected). Spark reports every column of a file source nullable, so only `nullable: false` is known there,
as in `headwater.contracts.actual`.

    frames = session_frames(spark, suite_dir(root))   # suite table -> spark.table(schema.table)
    outcome = run_suites_on_spark(suite_dir(root), frames)
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import great_expectations as gx
import orjson
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.result_format import ResultFormat
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine.sparkdf_execution_engine import SparkDFExecutionEngine
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from headwater.errors import ConfigError
from headwater.gx import metrics as m
from headwater.gx.checkpoint import CheckpointOutcome, failures_of

Kw = dict[str, Any]
DATASOURCE_NAME = "spark"
BATCH_DEFINITION_NAME = "whole_dataframe"

# The dataframes of the run in progress (relation -> DataFrame, lower-case keys): `to_table` of an orphans
# check names one of them first, as a table of the same datasource, before the session's catalog.
_FRAMES: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar("headwater_frames", default=None)


def load_suites(suites_dir: str | Path) -> list[ExpectationSuite]:
    """The committed suites (`<suite>.json`), sorted by name."""
    paths = sorted(Path(suites_dir).glob("*.json"))
    if not paths:
        raise ConfigError(f"No expectation suites under {suites_dir}; add one per mart table.")
    return [ExpectationSuite(**orjson.loads(p.read_bytes())) for p in paths]


def suite_relation(suite: ExpectationSuite, default_schema: str = "marts") -> str:
    """`schema.table` a suite validates: its `meta.headwater` table and schema (default: `default_schema`)."""
    options = dict((suite.meta or {}).get("headwater") or {})
    return f"{options.get('schema') or default_schema}.{options.get('table') or suite.name}"


def session_frames(spark: Any, suites_dir: str | Path, default_schema: str = "marts") -> dict[str, Any]:
    """relation -> `spark.table(relation)` for every suite's table (lazy: nothing is read yet)."""
    return {
        relation: spark.table(".".join(f"`{p}`" for p in relation.split(".")))
        for relation in (suite_relation(s, default_schema) for s in load_suites(suites_dir))
    }


def run_suites_on_spark(
    suites_dir: str | Path,
    frames: Mapping[str, Any],
    default_schema: str = "marts",
    results_dir: Path | None = None,
    name: str = "marts",
    result_format: ResultFormat = ResultFormat.SUMMARY,
) -> CheckpointOutcome:
    """Validate each suite against the dataframe of its relation (see `suite_relation`) in an ephemeral GX
    context; the same summary as the DuckDB checkpoint, and its raw JSON in `results_dir` if given."""
    keyed = {k.lower(): v for k, v in frames.items()}
    context = gx.get_context(mode="ephemeral")
    # tqdm bars from every metric computation would drown the caller's output.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_spark(DATASOURCE_NAME)
    run_id = RunIdentifier(run_name=name)
    validations = []
    with _frames(keyed):
        for suite in load_suites(suites_dir):
            relation = suite_relation(suite, default_schema)
            if relation.lower() not in keyed:
                raise ConfigError(f"Suite {suite.name!r} validates {relation}, which has no dataframe.")
            batch = datasource.add_dataframe_asset(relation).add_batch_definition_whole_dataframe(BATCH_DEFINITION_NAME)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=context.suites.add(suite))
            )
            result = definition.run(
                batch_parameters={"dataframe": keyed[relation.lower()]},
                result_format=result_format,
                run_id=run_id,
            )
            validations.append(result.to_json_dict())  # type: ignore[no-untyped-call]
    raw = {
        "checkpoint": name,
        "success": all(v["success"] for v in validations),
        "run_id": run_id.to_json_dict(),
        "validation_results": validations,
    }
    path = Path()
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        path = results_dir / f"{name}-spark-{run_id.run_time:%Y%m%dT%H%M%S%fZ}.json"
        path.write_bytes(orjson.dumps(raw, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str))
    return CheckpointOutcome(
        success=bool(raw["success"]),
        checkpoint=name,
        evaluated=sum(len(v["results"]) for v in validations),
        failures=failures_of(raw),
        result_path=path,
        raw=raw,
    )


@contextmanager
def _frames(frames: Mapping[str, Any]) -> Iterator[None]:
    token = _FRAMES.set(frames)
    try:
        yield
    finally:
        _FRAMES.reset(token)


# --- Spark implementations of headwater's metrics ------------------------------------------------------


def _column(engine: SparkDFExecutionEngine, domain: Kw) -> tuple[Any, Any]:
    df, _, accessor = engine.get_compute_domain(domain, domain_type=MetricDomainTypes.COLUMN)
    return df, df[str(accessor["column"])]


class SparkTopValues(ColumnAggregateMetricProvider):
    metric_name = m.TOP_VALUES
    value_keys = ("limit",)
    default_kwarg_values = {"limit": 1000}

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: Kw,
               metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        from pyspark.sql import functions as F

        df, col = _column(execution_engine, metric_domain_kwargs)
        limit = int(metric_value_kwargs.get("limit") or 1000)
        counted = df.where(col.isNotNull()).groupBy(col.alias("value")).agg(F.count(F.lit(1)).alias("n"))
        top = counted.orderBy(F.desc("n"), F.asc("value")).limit(limit).collect()
        nonnull, rows = df.agg(F.count(col), F.count(F.lit(1))).first() or (0, 0)
        return {"top": [(r["value"], int(r["n"])) for r in top], "nonnull": int(nonnull), "rows": int(rows)}


class SparkOrphans(ColumnAggregateMetricProvider):
    metric_name = m.ORPHANS
    value_keys = ("to_table", "to_column", "sample_size")
    default_kwarg_values = {"to_column": None, "sample_size": 20}

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: Kw,
               metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        from pyspark.sql import functions as F

        df, col = _column(execution_engine, metric_domain_kwargs)
        to_table = str(metric_value_kwargs["to_table"])
        target = (_FRAMES.get() or {}).get(to_table.lower())
        if target is None:
            target = df.sparkSession.table(".".join(f"`{p}`" for p in to_table.split(".")))
        to_column = str(metric_value_kwargs.get("to_column") or metric_domain_kwargs["column"])
        # Own names on both sides: the anti-join must not resolve the key to the target's column.
        keys = df.select(col.alias("hw_key")).where(F.col("hw_key").isNotNull())
        known = target.select(target[to_column].alias("hw_ref")).distinct()
        missing = keys.join(known, keys["hw_key"] == known["hw_ref"], "left_anti")
        checked = keys.count()
        orphans = missing.count()
        size = int(metric_value_kwargs.get("sample_size") or 20)
        sample = [r[0] for r in missing.distinct().orderBy("hw_key").limit(size).collect()] if orphans else []
        return {"orphans": int(orphans), "checked": int(checked), "sample": sample}


class SparkTableSchema(TableMetricProvider):
    metric_name = m.SCHEMA

    @metric_value(engine=SparkDFExecutionEngine)
    def _spark(cls, execution_engine: SparkDFExecutionEngine, metric_domain_kwargs: Kw,
               metric_value_kwargs: Kw, metrics: Kw,
               runtime_configuration: Kw) -> list[dict[str, Any]]:  # fmt: skip
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        return [
            {"name": f.name, "data_type": f.dataType.simpleString(), "nullable": False if not f.nullable else None}
            for f in df.schema.fields
        ]
