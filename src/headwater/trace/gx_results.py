"""GX validation results (plain JSON, no great_expectations import) -> failed expectations with their batch.

Accepted shapes, found anywhere in the document:
- a suite validation result: `{"results": [{"expectation_config": {"type", "kwargs", "meta"}, "success",
  "result"}], "suite_name", "meta": {"batch_spec": {"table_name", "schema_name" | "query"},
  "active_batch_definition": {"data_asset_name"}}}` (GX 1.x `to_json_dict()`);
- a checkpoint result holding several of those (`validation_results`, `run_results.*.validation_result`,
  or headwater's `checkpoint_result_dict`);
- `describe_dict()` output: `{"expectations": [{"expectation_type", "kwargs", "success", "result"}]}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from headwater.errors import ConfigError
from headwater.trace.checks import Check
from headwater.trace.gx_map import check_from_expectation


@dataclass(frozen=True)
class BatchRef:
    """What a GX batch read: a table (schema, table) or a query, and the asset's name."""

    asset: str = ""
    schema: str | None = None
    table: str | None = None
    database: str | None = None
    query: str | None = None

    def describe(self) -> str:
        if self.table:
            return ".".join(p for p in (self.database, self.schema, self.table) if p)
        return self.asset or (self.query or "")[:60]


@dataclass(frozen=True)
class FailedExpectation:
    expectation_type: str
    kwargs: Mapping[str, Any]
    check: Check
    batch: BatchRef
    suite: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    result: Mapping[str, Any] = field(default_factory=dict)
    exception: str = ""

    @property
    def unexpected_count(self) -> int | None:
        value = self.result.get("unexpected_count")
        return int(value) if isinstance(value, int | float) else None


def read_validation_result(path: Path) -> list[FailedExpectation]:
    """Read a GX result JSON file (I/O here, parsing in `failed_expectations`)."""
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"validation result {path} does not exist; pass the JSON GX wrote") from None
    except orjson.JSONDecodeError as err:
        raise ConfigError(f"validation result {path} is not JSON ({err}); pass the JSON GX wrote") from None
    found = failed_expectations(raw)
    if found is None:
        raise ConfigError(
            f"{path} holds no GX validation result (no `results` with `expectation_config`); "
            "pass a checkpoint or suite validation result"
        )
    return found


def failed_expectations(raw: Any) -> list[FailedExpectation] | None:
    """Every failed expectation in a GX result document; None when it holds no validation result."""
    suites = list(_validation_results(raw))
    if not suites:
        return None
    out: list[FailedExpectation] = []
    for suite in suites:
        batch = _batch(suite)
        name = str(suite.get("suite_name") or (suite.get("meta") or {}).get("expectation_suite_name") or "")
        for item in suite.get("results") or suite.get("expectations") or ():
            if item.get("success", True):
                continue
            config = item.get("expectation_config") or item
            kind = str(config.get("type") or config.get("expectation_type") or "")
            kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
            exception = item.get("exception_info") or {}
            message = str(exception.get("exception_message") or "") if exception.get("raised_exception") else ""
            out.append(
                FailedExpectation(
                    expectation_type=kind,
                    kwargs=kwargs,
                    check=check_from_expectation(kind, kwargs),
                    batch=_batch(item) if _has_batch(item) else batch,
                    suite=name,
                    meta=config.get("meta") or {},
                    result=item.get("result") or {},
                    exception=message,
                )
            )
    return out


def _validation_results(raw: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(raw, Mapping):
        results = raw.get("results")
        expectations = raw.get("expectations")
        if isinstance(results, list) and any(isinstance(r, Mapping) and "expectation_config" in r for r in results):
            yield raw
            return
        if isinstance(expectations, list) and any(
            isinstance(r, Mapping) and "expectation_type" in r and "success" in r for r in expectations
        ):
            yield raw
            return
        for value in raw.values():
            yield from _validation_results(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from _validation_results(value)


def _has_batch(item: Mapping[str, Any]) -> bool:
    return bool((item.get("meta") or {}).get("batch_spec") or item.get("batch_spec"))


def _batch(suite: Mapping[str, Any]) -> BatchRef:
    meta = suite.get("meta") or {}
    spec = meta.get("batch_spec") or suite.get("batch_spec") or {}
    definition = meta.get("active_batch_definition") or {}
    asset = str(definition.get("data_asset_name") or spec.get("data_asset_name") or "")
    return BatchRef(
        asset=asset,
        schema=spec.get("schema_name") or None,
        table=spec.get("table_name") or None,
        database=spec.get("database_name") or None,
        query=spec.get("query") or None,
    )
