"""`headwater gx suites-from-dbt`: one GX suite per dbt model, from its tests and its model contract.

    not_null         -> expect_column_values_to_not_be_null
    unique           -> expect_column_values_to_be_unique
    accepted_values  -> expect_column_values_to_be_in_set
    relationships    -> expect_column_values_to_exist_in_table (headwater)
    contract columns -> expect_table_schema_to_match_contract (headwater; inline columns, no extras)

Suites are named `dbt_<model>` and name their table in `meta.headwater` (schema, identifier), so
`headwater.gx.checkpoint.ensure_context` validates the right relation. Each generated expectation's
`meta.headwater` points back at the dbt node and test. Re-running updates the suite: generated
expectations are replaced (keeping their ids), expectations a person added are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from headwater.dbt import Manifest, Node, TableGraph, load_artifacts

GENERATOR = "headwater gx suites-from-dbt"
SUITE_PREFIX = "dbt_"


@dataclass(frozen=True)
class SuitesResult:
    written: tuple[Path, ...]
    skipped_tests: tuple[str, ...]  # dbt tests with no GX counterpart (unique_id: reason)


def suites_from_dbt(
    context_root: str | Path,
    project_dir: str | Path = ".",
    select: str | None = None,
    target_path: str | Path | None = None,
) -> SuitesResult:
    """Write `<context_root>/gx/expectations/dbt_<model>.json` for each selected model (all by default)."""
    manifest = load_artifacts(project_dir=project_dir, target_path=target_path, require_compiled=False,
                              include_run_results=False).manifest  # fmt: skip
    graph = TableGraph(manifest)
    chosen = graph.select(select) if select else {n.unique_id for n in manifest.models()}
    folder = Path(context_root) / "gx" / "expectations"
    folder.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    from great_expectations import __version__ as gx_version

    for uid in sorted(chosen):
        node = manifest[uid]
        if node.resource_type != "model" or node.is_ephemeral or not node.identifier:
            continue
        generated: list[dict[str, Any]] = []
        for test_id in graph.tests_of(uid):
            expectation, reason = expectation_for_test(manifest, node, manifest.tests[test_id])
            if expectation is None:
                skipped.append(f"{test_id}: {reason}")
            else:
                generated.append(expectation)
        if node.contract.enforced and node.columns:
            generated.insert(0, contract_expectation(node))
        if not generated:
            continue
        path = folder / f"{SUITE_PREFIX}{node.name}.json"
        path.write_bytes(
            orjson.dumps(
                merge_suite(path, node, generated, gx_version),
                option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
            )
        )
        written.append(path)
    return SuitesResult(tuple(written), tuple(skipped))


def _meta(node: Node, key: str, test: Node | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"generated_by": GENERATOR, "dbt_node": node.unique_id, "key": key}
    if test is not None:
        meta["dbt_test"] = test.unique_id
    return {"headwater": meta}


def _severity(test: Node) -> str:
    return "warning" if test.test is not None and test.test.severity.upper() == "WARN" else "critical"


def expectation_for_test(manifest: Manifest, node: Node, test: Node) -> tuple[dict[str, Any] | None, str]:
    """The expectation (type, kwargs, meta, severity) for one dbt generic test, or (None, why not)."""
    info = test.test
    if info is None or not info.name:
        return None, "not a generic test"
    column = info.column_name or info.kwargs.get("column_name")
    if not column:
        return None, f"{info.name} has no column"
    kwargs: dict[str, Any] = {"column": column}
    kind = {
        "not_null": "expect_column_values_to_not_be_null",
        "unique": "expect_column_values_to_be_unique",
    }.get(info.name)
    if info.name == "accepted_values":
        kind = "expect_column_values_to_be_in_set"
        kwargs["value_set"] = list(
            info.kwargs.get("values") or info.kwargs.get("arguments", {}).get("values") or []
        )
    elif info.name == "relationships":
        target = next(
            (t for d in test.depends_on if d != node.unique_id and (t := manifest.get(d)) is not None), None
        )
        if target is None or not target.identifier:
            return None, "relationships target is not a relation"
        kind = "expect_column_values_to_exist_in_table"
        kwargs["to_table"] = ".".join(p for p in (target.schema, target.identifier) if p)
        kwargs["to_column"] = info.kwargs.get("field") or column
    if kind is None:
        return None, f"no GX counterpart for dbt test {info.name!r}"
    meta = _meta(node, f"{info.name}:{column}", test)
    return {"type": kind, "kwargs": kwargs, "meta": meta, "severity": _severity(test)}, ""


def contract_expectation(node: Node) -> dict[str, Any]:
    columns = []
    for column in node.columns.values():
        spec: dict[str, Any] = {"name": column.name}
        if column.data_type:
            spec["data_type"] = column.data_type
        if "not_null" in column.constraints or "primary_key" in column.constraints:
            spec["nullable"] = False
        columns.append(spec)
    meta = _meta(node, "contract")
    meta["contract"] = True
    return {
        "type": "expect_table_schema_to_match_contract",
        "kwargs": {"columns": columns, "allow_extra": False},
        "meta": meta,
        "severity": "critical",
    }


def merge_suite(path: Path, node: Node, generated: list[dict[str, Any]], gx_version: str) -> dict[str, Any]:
    """The suite to write: generated expectations (ids kept by key), then the ones a person added."""
    existing: dict[str, Any] = orjson.loads(path.read_bytes()) if path.is_file() else {}
    old = existing.get("expectations") or []
    ids = {_key(e): e.get("id") for e in old if _key(e)}
    kept = [e for e in old if not _key(e)]
    for expectation in generated:
        expectation["id"] = ids.get(_key(expectation)) or str(uuid.uuid4())
    meta = dict(existing.get("meta") or {})
    meta["great_expectations_version"] = gx_version
    meta["headwater"] = {**(meta.get("headwater") or {}), "table": node.identifier, "schema": node.schema,
                         "dbt_node": node.unique_id, "generated_by": GENERATOR}  # fmt: skip
    return {
        "name": f"{SUITE_PREFIX}{node.name}",
        "id": existing.get("id") or str(uuid.uuid4()),
        "expectations": [*generated, *kept],
        "meta": meta,
        "notes": existing.get("notes"),
    }


def _key(expectation: Mapping[str, Any]) -> str | None:
    meta = (expectation.get("meta") or {}).get("headwater") or {}
    return str(meta["key"]) if meta.get("generated_by") == GENERATOR and meta.get("key") else None
