"""GX metrics behind headwater's expectations. On SQL engines every one is a single aggregate query in
the warehouse (histograms, group-by counts, anti-joins, information_schema): a column is never pulled
into pandas. On pandas they compute the same thing on the DataFrame.

Registered with GX (by name) when this module is imported, which `import headwater.gx` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

Kw = dict[str, Any]

SCHEMA = "headwater.table.schema"
BINNED_COUNTS = "headwater.column.binned_counts"
TOP_VALUES = "headwater.column.top_values"
ORPHANS = "headwater.column.orphans"
QUANTILES = "headwater.column.quantiles"


def sql_dialect(engine: SqlAlchemyExecutionEngine) -> str:
    """The sqlglot dialect name of a GX SQL engine (`postgresql` → `postgres`)."""
    name = engine.dialect_name
    return {"postgresql": "postgres"}.get(name, name)


def _column_domain(engine: Any, domain: Kw) -> tuple[Any, str]:
    data, _, accessor = engine.get_compute_domain(domain, domain_type=MetricDomainTypes.COLUMN)
    return data, str(accessor["column"])


def _bin_index_case(column: sa.ColumnElement[Any], edges: tuple[float, ...]) -> sa.ColumnElement[Any]:
    # Bin i holds [e_i, e_{i+1}); below e_1 is bin 0 and from e_{k-1} on is bin k-1 (outer bins clip).
    inner = edges[1:-1]
    whens = [(column < edge, index) for index, edge in enumerate(inner)]
    return sa.case(*whens, else_=len(inner)) if whens else sa.literal(0)


class BinnedCounts(ColumnAggregateMetricProvider):
    """Non-null counts per bin of `bins` (k+1 edges → k counts; the outer bins take what lies beyond)."""

    metric_name = BINNED_COUNTS
    value_keys = ("bins",)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: Kw,
                    metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> list[int]:  # fmt: skip
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        edges = tuple(float(e) for e in metric_value_kwargs["bins"])
        col: Any = sa.column(column)
        index = _bin_index_case(col, edges).label("bin")
        query = (
            sa.select(index, sa.func.count().label("n"))
            .select_from(selectable)
            .where(col.is_not(None))
            .group_by(sa.text("1"))
        )
        counts = [0] * (len(edges) - 1)
        for bin_index, count in _rows(execution_engine, query):
            counts[int(bin_index)] += int(count)
        return counts

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: Kw,
                metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> list[int]:  # fmt: skip
        import numpy as np

        df, column = _column_domain(execution_engine, metric_domain_kwargs)
        edges = np.asarray([float(e) for e in metric_value_kwargs["bins"]])
        values = pd.to_numeric(df[column].dropna()).to_numpy(dtype=float)
        index = np.searchsorted(edges[1:-1], values, side="right")
        return [int(c) for c in np.bincount(index, minlength=len(edges) - 1)]


class TopValues(ColumnAggregateMetricProvider):
    """{"top": [(value, count)] most common first (at most `limit`), "nonnull": n, "rows": N}."""

    metric_name = TOP_VALUES
    value_keys = ("limit",)
    default_kwarg_values = {"limit": 1000}

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: Kw,
                    metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        col: Any = sa.column(column)
        limit = int(metric_value_kwargs.get("limit") or 1000)
        top_query = (
            sa.select(col.label("value"), sa.func.count().label("n"))
            .select_from(selectable)
            .where(col.is_not(None))
            .group_by(col)
            .order_by(sa.desc("n"), col)
            .limit(limit)
        )
        totals = sa.select(sa.func.count(col), sa.func.count()).select_from(selectable)
        top = [(value, int(n)) for value, n in _rows(execution_engine, top_query)]
        nonnull, rows = (_rows(execution_engine, totals) or [(0, 0)])[0]
        return {"top": top, "nonnull": int(nonnull), "rows": int(rows)}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: Kw,
                metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        df, column = _column_domain(execution_engine, metric_domain_kwargs)
        limit = int(metric_value_kwargs.get("limit") or 1000)
        counts = df[column].dropna().value_counts().head(limit)
        top = [(_plain(v), int(n)) for v, n in counts.items()]
        return {"top": top, "nonnull": int(df[column].notna().sum()), "rows": len(df)}


class Orphans(ColumnAggregateMetricProvider):
    """{"orphans": rows whose key is not in `to_table.to_column`, "checked": non-null keys, "sample": [...]}.

    SQL: one anti-join in the warehouse (`to_table` is `schema.table` of the same datasource).
    pandas: `to_table` is a CSV file path (a pandas datasource has no other tables to join).
    """

    metric_name = ORPHANS
    value_keys = ("to_table", "to_column", "sample_size")
    default_kwarg_values = {"to_column": None, "sample_size": 20}

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: Kw,
                    metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        schema, _, table = str(metric_value_kwargs["to_table"]).rpartition(".")
        to_column = str(metric_value_kwargs.get("to_column") or column)
        target = sa.table(table, sa.column(to_column), schema=schema or None)
        # Project the key under a name of our own: the anti-join must not resolve it to the target's column.
        source = sa.select(sa.column(column).label("hw_key")).select_from(selectable).subquery("hw_src")
        key = source.c.hw_key
        missing = ~sa.exists(sa.select(sa.literal(1)).select_from(target).where(target.c[to_column] == key))
        counts = (
            sa.select(
                sa.func.count(key),
                sa.func.count().filter(missing),  # count() FILTER: DuckDB and PostgreSQL
            )
            .select_from(source)
            .where(key.is_not(None))
        )
        checked, orphans = (_rows(execution_engine, counts) or [(0, 0)])[0]
        sample_query = (
            sa.select(key).select_from(source).where(key.is_not(None), missing).distinct()
            .order_by(key).limit(int(metric_value_kwargs.get("sample_size") or 20))
        )  # fmt: skip
        sample = [row[0] for row in _rows(execution_engine, sample_query)] if orphans else []
        return {"orphans": int(orphans), "checked": int(checked), "sample": sample}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: Kw,
                metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> dict[str, Any]:  # fmt: skip
        df, column = _column_domain(execution_engine, metric_domain_kwargs)
        to_column = str(metric_value_kwargs.get("to_column") or column)
        reference = pd.read_csv(Path(str(metric_value_kwargs["to_table"])), usecols=[to_column])[to_column]
        keys = df[column].dropna()
        mask = ~keys.isin(set(reference.dropna().tolist()))
        sample = sorted({_plain(v) for v in keys[mask]})[: int(metric_value_kwargs.get("sample_size") or 20)]
        return {"orphans": int(mask.sum()), "checked": len(keys), "sample": sample}


class Quantiles(ColumnAggregateMetricProvider):
    """Discrete quantiles of a numeric column (for baselines), one aggregate query on SQL engines."""

    metric_name = QUANTILES
    value_keys = ("quantiles",)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: Kw,
                    metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> list[float]:  # fmt: skip
        selectable, column = _column_domain(execution_engine, metric_domain_kwargs)
        col: Any = sa.column(column)
        parts = [
            sa.func.percentile_disc(float(q)).within_group(col) for q in metric_value_kwargs["quantiles"]
        ]
        row = (_rows(execution_engine, sa.select(*parts).select_from(selectable)) or [()])[0]
        return [float(v) for v in row or () if v is not None]

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: Kw,
                metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> list[float]:  # fmt: skip
        df, column = _column_domain(execution_engine, metric_domain_kwargs)
        series = pd.to_numeric(df[column].dropna())
        return [
            float(series.quantile(float(q), interpolation="lower")) for q in metric_value_kwargs["quantiles"]
        ]


class TableSchema(TableMetricProvider):
    """[{name, data_type, nullable}] of the batch's table: information_schema on SQL (no scan), dtypes on
    pandas (nullable unknown there: None)."""

    metric_name = SCHEMA

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine: SqlAlchemyExecutionEngine, metric_domain_kwargs: Kw,
                    metric_value_kwargs: Kw, metrics: Kw,
                    runtime_configuration: Kw) -> list[dict[str, Any]]:  # fmt: skip
        batch_id: Any = (
            metric_domain_kwargs.get("batch_id") or execution_engine.batch_manager.active_batch_data_id
        )
        batch_data = cast(Any, execution_engine.batch_manager.batch_data_cache.get(batch_id))
        selectable = batch_data.selectable
        table = batch_data.source_table_name or getattr(selectable, "name", None)
        schema = batch_data.source_schema_name or getattr(selectable, "schema", None)
        if isinstance(selectable, sa.Table) or batch_data.source_table_name:
            query = sa.text(
                "select column_name, data_type, is_nullable, character_maximum_length, numeric_precision,"
                " numeric_scale from information_schema.columns where table_catalog = current_database()"
                " and table_schema = coalesce(:schema, current_schema()) and table_name = :table"
                " order by ordinal_position"
            ).bindparams(schema=schema, table=str(table))
            rows = _rows(execution_engine, query)
            return [
                {
                    "name": name,
                    "data_type": full_type(str(dtype), length, precision, scale),
                    "nullable": nullable == "YES",
                }
                for name, dtype, nullable, length, precision, scale in rows
            ]
        # A query asset: the types its SELECT reports, nullability unknown.
        subquery = selectable.subquery() if isinstance(selectable, sa.Select) else selectable
        dialect = execution_engine.dialect
        return [
            {"name": c.name, "data_type": str(c.type.compile(dialect=dialect)), "nullable": None}
            for c in subquery.columns
        ]

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: Kw,
                metric_value_kwargs: Kw, metrics: Kw, runtime_configuration: Kw) -> list[dict[str, Any]]:  # fmt: skip
        df, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        return [
            {"name": str(name), "data_type": pandas_sql_type(df[name]), "nullable": None}
            for name in df.columns
        ]


def _rows(engine: SqlAlchemyExecutionEngine, query: Any) -> list[Any]:
    return list(engine.execute_query(query).fetchall())


def full_type(dtype: str, length: Any, precision: Any, scale: Any) -> str:
    """information_schema's `numeric` + precision/scale → `numeric(12,2)`; DuckDB already spells it out."""
    if "(" in dtype:
        return dtype
    lowered = dtype.lower()
    if lowered in ("numeric", "decimal") and precision is not None:
        return f"{dtype}({precision},{scale or 0})"
    if lowered in ("character varying", "varchar", "character", "char") and length is not None:
        return f"{dtype}({length})"
    return dtype


def pandas_sql_type(series: pd.Series) -> str:
    """A DuckDB-spelled SQL type for a pandas column (so contracts compare across engines)."""
    kind = series.dtype
    if pd.api.types.is_bool_dtype(kind):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(kind):
        return {1: "TINYINT", 2: "SMALLINT", 4: "INTEGER"}.get(kind.itemsize, "BIGINT")
    if pd.api.types.is_float_dtype(kind):
        return "REAL" if kind.itemsize == 4 else "DOUBLE"
    if isinstance(kind, pd.DatetimeTZDtype):
        return "TIMESTAMP WITH TIME ZONE"
    if pd.api.types.is_datetime64_dtype(kind):
        return "TIMESTAMP"
    sample = series.dropna()
    first = sample.iloc[0] if len(sample) else None
    import datetime as dt
    import decimal

    if isinstance(first, decimal.Decimal):
        return "DECIMAL"
    if isinstance(first, dt.date) and not isinstance(first, dt.datetime):
        return "DATE"
    return "VARCHAR"


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars (JSON-able results)."""
    return value.item() if hasattr(value, "item") else value
