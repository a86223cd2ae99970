"""GX validation results (plain JSON, no great_expectations import) -> failed expectations with their batch.

Accepted shapes, found anywhere in the document:
- a suite validation result: `{"results": [{"expectation_config": {"type", "kwargs", "meta"}, "success",
  "result"}], "suite_name", "meta": {"batch_spec": {"table_name", "schema_name" | "query"},
  "active_batch_definition": {"data_asset_name"}}}` (GX 1.x `to_json_dict()`);
- a checkpoint result holding several of those (`validation_results`, `run_results.*.validation_result`,
  or headwater's `checkpoint_result_dict`);
- `describe_dict()` output: `{"expectations": [{"expectation_type", "kwargs", "success", "result"}]}`, whose
  only trace of the batch is `kwargs.batch_id` (`<datasource>-<asset>`). With the GX context's root
  (`context_root`), the asset is resolved to its table through the configuration GX saved
  (`gx_context.read_assets`); without it the asset name alone is matched (`marts.dim_customers`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from headwater.errors import ConfigError
from headwater.trace.checks import Check
from headwater.trace.gx_context import BatchRef, read_context
from headwater.trace.gx_map import check_from_expectation

__all__ = ["BatchRef", "FailedExpectation", "expectation_results", "failed_expectations", "read_validation_result"]


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


def read_validation_result(path: Path, context_root: Path | None = None) -> list[FailedExpectation]:
    """Read a GX result JSON file (I/O here, parsing in `failed_expectations`); `context_root` resolves the
    `batch_id` of `describe_dict()` output to the asset's table."""
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"validation result {path} does not exist; pass the JSON GX wrote") from None
    except orjson.JSONDecodeError as err:
        raise ConfigError(f"validation result {path} is not JSON ({err}); pass the JSON GX wrote") from None
    found = failed_expectations(raw, context_root)
    if found is None:
        raise ConfigError(
            f"{path} holds no GX validation result (no `results` with `expectation_config`); "
            "pass a checkpoint or suite validation result"
        )
    return found


def failed_expectations(raw: Any, context_root: Path | None = None) -> list[FailedExpectation] | None:
    """Every failed expectation in a GX result document; None when it holds no validation result."""
    found = expectation_results(raw, context_root)
    return None if found is None else [e for success, e in found if not success]


def expectation_results(raw: Any, context_root: Path | None = None) -> list[tuple[bool, FailedExpectation]] | None:
    """Every expectation of a GX result document with its success (passed ones too: OpenLineage's data
    quality assertions list both); None when the document holds no validation result."""
    suites = list(_validation_results(raw))
    if not suites:
        return None
    context = read_context(context_root)
    out: list[tuple[bool, FailedExpectation]] = []
    for suite in suites:
        batch = _batch(suite)
        name = str(suite.get("suite_name") or _map(suite.get("meta")).get("expectation_suite_name") or "")
        items = suite.get("results") or suite.get("expectations")
        # A result from another GX version, or hand-edited, may hold anything anywhere: what is not the
        # documented shape reads as absent (an expectation without a type is untraceable, not a crash).
        for item in (i for i in (items if isinstance(items, list) else ()) if isinstance(i, Mapping)):
            config = _map(item.get("expectation_config")) or item
            kind = str(config.get("type") or config.get("expectation_type") or "")
            batch_id = str(_map(config.get("kwargs")).get("batch_id") or "")
            kwargs = {str(k): v for k, v in _map(config.get("kwargs")).items() if k != "batch_id"}
            here = _batch(item) if _has_batch(item) else batch
            if batch_id and not (here.table or here.query or here.asset):
                here = context.batch(batch_id)  # describe_dict(): the batch is only named
            exception = _map(item.get("exception_info"))
            message = str(exception.get("exception_message") or "") if exception.get("raised_exception") else ""
            expectation = FailedExpectation(
                expectation_type=kind,
                kwargs=kwargs,
                check=check_from_expectation(kind, kwargs),
                batch=here,
                suite=name or context.suite_of(here.asset),
                meta=_map(config.get("meta")),
                result=_map(item.get("result")),
                exception=message,
            )
            out.append((bool(item.get("success", True)), expectation))
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


def _map(value: Any) -> Mapping[str, Any]:
    """`value` where it is an object, else empty: a field of the wrong JSON type reads as absent."""
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _has_batch(item: Mapping[str, Any]) -> bool:
    return bool(_map(item.get("meta")).get("batch_spec") or item.get("batch_spec"))


def _batch(suite: Mapping[str, Any]) -> BatchRef:
    meta = _map(suite.get("meta"))
    spec = _map(meta.get("batch_spec")) or _map(suite.get("batch_spec"))
    definition = _map(meta.get("active_batch_definition"))
    asset = _text(definition.get("data_asset_name")) or _text(spec.get("data_asset_name")) or ""
    return BatchRef(
        asset=asset,
        schema=_text(spec.get("schema_name")),
        table=_text(spec.get("table_name")),
        database=_text(spec.get("database_name")),
        query=_text(spec.get("query")),
    )
