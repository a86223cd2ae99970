"""GX validation results (plain JSON dicts, no great_expectations import) -> `CheckOutcome`s, passed and failed.

Reads headwater's `checkpoint_result_dict` shape (`validation_results: [suite result, ...]`) or one suite
result (`results: [...]`, GX 1.x `to_json_dict()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from headwater.dbt import Manifest
from headwater.history.model import CheckOutcome

NodeOf = Callable[[str], str | None]


def outcomes_from_result(
    raw: Mapping[str, Any], run_at: str, node_of: NodeOf | None = None, snapshot_id: str | None = None
) -> tuple[CheckOutcome, ...]:
    """Every expectation result of a checkpoint (or suite) result, in document order."""
    checkpoint = str(raw.get("checkpoint") or raw.get("name") or "")
    out = []
    for validation in _validations(raw):
        suite = str(validation.get("suite_name") or (validation.get("meta") or {}).get("expectation_suite_name") or "")
        relation = relation_of(validation)
        unique_id = node_of(relation) if node_of and relation else None
        for item in validation.get("results") or ():
            config = item.get("expectation_config") or {}
            kwargs = config.get("kwargs") or {}
            out.append(
                CheckOutcome(
                    run_at=run_at,
                    checkpoint=checkpoint,
                    suite=suite,
                    expectation_type=str(config.get("type") or config.get("expectation_type") or ""),
                    success=bool(item.get("success")),
                    relation=relation,
                    unique_id=unique_id,
                    column=kwargs.get("column"),
                    observed=observed(item),
                    snapshot_id=snapshot_id,
                    expectation_id=config.get("id"),
                )
            )
    return tuple(out)


def node_resolver(manifest: Manifest) -> NodeOf:
    """`schema.table` (or `table`) -> the unique_id of the dbt node stored there, or None."""

    def node_of(relation: str) -> str | None:
        parts = relation.split(".")
        schema = parts[-2] if len(parts) > 1 else None
        database = parts[-3] if len(parts) > 2 else None
        node = manifest.node_by_relation(database, schema, parts[-1])
        if node is None and schema is None:
            matches = [
                n for n in (*manifest.nodes.values(), *manifest.sources.values())
                if (n.identifier or "").lower() == parts[-1].lower()
            ]  # fmt: skip
            node = matches[0] if len(matches) == 1 else None
        return node.unique_id if node is not None else None

    return node_of


def _validations(raw: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "validation_results" in raw:
        yield from raw["validation_results"] or ()
    elif "results" in raw:
        yield raw
    else:
        for run in (raw.get("run_results") or {}).values():
            result = run.get("validation_result") if isinstance(run, Mapping) else None
            if result:
                yield result


def relation_of(validation: Mapping[str, Any]) -> str:
    meta = validation.get("meta") or {}
    spec = meta.get("batch_spec") or {}
    if spec.get("table_name"):
        return ".".join(str(p) for p in (spec.get("schema_name"), spec["table_name"]) if p)
    return str((meta.get("active_batch_definition") or {}).get("data_asset_name") or "")


def observed(item: Mapping[str, Any]) -> str:
    """One line: the unexpected count, the observed value, or the exception GX raised."""
    exception = item.get("exception_info") or {}
    if exception.get("raised_exception"):
        return f"exception: {str(exception.get('exception_message') or '')[:200]}"
    result = item.get("result") or {}
    if "unexpected_count" in result:
        return f"{result['unexpected_count']} of {result.get('element_count')} rows unexpected"
    if "observed_value" in result:
        text = repr(result["observed_value"])
        return text if len(text) <= 200 else text[:197] + "..."
    return ""
