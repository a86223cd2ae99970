"""The bad-input corpus: broken dbt artifacts GENERATED from real ones (nothing here is hand-written JSON).

`generate()` derives every case from the example project's `target/manifest.json` + `catalog.json` (and,
when ../shared is there, a foreign catalog for the mismatch cases): truncations, schema versions, every
kept key of a model / source / catalog table deleted or retyped, broken SQL, cycles, huge identifiers.
`run_pipeline(dir)` is what a user's `headwater lineage` does with such a target folder, in process.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from headwater.dbt.loader import load_artifacts
from headwater.lineage.build import build_lineage
from headwater.lineage.graph import LineageStats
from headwater.lineage.model import ColumnRef

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "dbt_project_example" / "target"
CORPORA = REPO.parent / "shared" / "corpora"

Json = dict[str, Any]
# Values of every JSON type but the right one, for "mistyped key" cases.
WRONG_VALUES: dict[str, Any] = {"none": None, "int": 7, "list": ["x"], "str": "x", "dict": {"k": 1}, "bool": True}
NODE_KEYS = (
    "unique_id", "resource_type", "name", "depends_on", "columns", "config", "checksum", "compiled_code",
    "database", "schema", "alias", "relation_name", "language", "raw_code", "fqn", "contract", "package_name",
)
SOURCE_KEYS = ("unique_id", "name", "identifier", "schema", "database", "relation_name", "columns", "source_name")
CATALOG_TABLE_KEYS = ("metadata", "columns", "unique_id")
CATALOG_COLUMN_KEYS = ("name", "type", "index")


@dataclass(frozen=True)
class Case:
    id: str
    manifest: bytes
    catalog: bytes | None  # None: no catalog.json at all


def real_artifacts() -> tuple[Json, Json]:
    """The example's artifacts, without the macros and docs headwater never reads (keeps each case small)."""
    manifest = orjson.loads((TARGET / "manifest.json").read_bytes())
    manifest["macros"], manifest["docs"] = {}, {}
    return manifest, orjson.loads((TARGET / "catalog.json").read_bytes())


def _dump(data: Any) -> bytes:
    return orjson.dumps(data)


def _models(manifest: Json) -> list[str]:
    return [uid for uid, n in manifest["nodes"].items() if n.get("resource_type") == "model"]


def _mutated(base: Json, change: Callable[[Json], None]) -> Json:
    data = copy.deepcopy(base)
    change(data)
    return data


def generate() -> list[Case]:
    manifest, catalog = real_artifacts()
    cases = list(_cases(manifest, catalog))
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


def _cases(manifest: Json, catalog: Json) -> Iterator[Case]:
    good_m, good_c = _dump(manifest), _dump(catalog)
    models = _models(manifest)
    first, leaf = models[0], models[-1]
    source = next(iter(manifest["sources"]))
    # 1. Truncated JSON, at ten cut points of each file.
    for i in range(1, 11):
        yield Case(f"truncated-manifest-{i}", good_m[: len(good_m) * i // 11], good_c)
        yield Case(f"truncated-catalog-{i}", good_m, good_c[: len(good_c) * i // 11])
    yield Case("empty-manifest-file", b"", good_c)
    yield Case("manifest-json-array", b"[]", good_c)
    yield Case("manifest-json-null", b"null", good_c)
    yield Case("catalog-json-array", good_m, b"[1, 2]")
    # 2. Schema versions v1..v13 plus malformed version fields.
    for version in range(1, 14):
        url = f"https://schemas.getdbt.com/dbt/manifest/v{version}.json"
        yield Case(f"schema-v{version}", _dump(_mutated(manifest, lambda m, u=url: m["metadata"].update(
            dbt_schema_version=u))), good_c)
    for label, value in {**WRONG_VALUES, "garbage-url": "https://example.com/x.json"}.items():
        yield Case(f"schema-version-{label}", _dump(_mutated(manifest, lambda m, v=value: m["metadata"].update(
            dbt_schema_version=v))), good_c)
    yield Case("metadata-missing", _dump(_mutated(manifest, lambda m: m.pop("metadata"))), good_c)
    for label, value in WRONG_VALUES.items():
        yield Case(f"metadata-{label}", _dump(_mutated(manifest, lambda m, v=value: m.update(metadata=v))), good_c)
        yield Case(f"adapter-type-{label}", _dump(_mutated(manifest, lambda m, v=value: m["metadata"].update(
            adapter_type=v))), good_c)
    # 3. Top-level sections missing or mistyped.
    for section in ("nodes", "sources", "exposures"):
        yield Case(f"{section}-missing", _dump(_mutated(manifest, lambda m, s=section: m.pop(s))), good_c)
        for label, value in WRONG_VALUES.items():
            yield Case(f"{section}-{label}", _dump(_mutated(manifest, lambda m, s=section, v=value: m.update(
                {s: v}))), good_c)
    # 4. Every key headwater reads, on a model and on a source: deleted, or of each wrong type.
    for owner, uid, keys in (("nodes", first, NODE_KEYS), ("sources", source, SOURCE_KEYS)):
        for key in keys:
            yield Case(f"{owner}-{key}-deleted", _dump(_mutated(manifest, lambda m, o=owner, u=uid, k=key: m[o][
                u].pop(k, None))), good_c)
            for label, value in WRONG_VALUES.items():
                yield Case(f"{owner}-{key}-{label}", _dump(_mutated(manifest, lambda m, o=owner, u=uid, k=key,
                                                                     v=value: m[o][u].update({k: v}))), good_c)
    yield Case("node-itself-a-list", _dump(_mutated(manifest, lambda m: m["nodes"].update({first: ["x"]}))), good_c)
    yield Case("node-itself-null", _dump(_mutated(manifest, lambda m: m["nodes"].update({first: None}))), good_c)
    for label, value in WRONG_VALUES.items():
        yield Case(f"depends-on-nodes-{label}", _dump(_mutated(manifest, lambda m, v=value: m["nodes"][first][
            "depends_on"].update(nodes=v))), good_c)
        yield Case(f"model-column-entry-{label}", _dump(_mutated(manifest, lambda m, v=value: m["nodes"][first][
            "columns"].update(extra=v))), good_c)
        yield Case(f"config-materialized-{label}", _dump(_mutated(manifest, lambda m, v=value: m["nodes"][first][
            "config"].update(materialized=v))), good_c)
    yield Case("depends-on-missing-node", _dump(_mutated(manifest, lambda m: m["nodes"][first]["depends_on"][
        "nodes"].append("model.nowhere.ghost"))), good_c)
    # 5. SQL that is not what the model should hold.
    for label, sql in _bad_sql().items():
        yield Case(f"sql-{label}", _dump(_mutated(manifest, lambda m, s=sql: m["nodes"][first].update(
            compiled_code=s))), good_c)
    yield Case("no-compiled-code-anywhere", _dump(_mutated(manifest, lambda m: [
        n.pop("compiled_code", None) for n in m["nodes"].values()])), good_c)
    yield Case("no-compiled-code-one-model", _dump(_mutated(manifest, lambda m: m["nodes"][first].pop(
        "compiled_code"))), good_c)
    # 6. Graph shape: a cycle, a self-loop.
    yield Case("cycle-two-models", _dump(_mutated(manifest, lambda m: m["nodes"][first]["depends_on"][
        "nodes"].append(leaf) or m["nodes"][leaf]["depends_on"]["nodes"].append(first))), good_c)
    yield Case("self-loop", _dump(_mutated(manifest, lambda m: m["nodes"][first]["depends_on"]["nodes"].append(
        first))), good_c)
    big = "x" * 10_000
    yield Case("identifier-10kb-alias", _dump(_mutated(manifest, lambda m: m["nodes"][first].update(
        alias=big, name=big))), good_c)
    yield Case("identifier-10kb-column", _dump(_mutated(manifest, lambda m: m["nodes"][first].update(
        compiled_code=f"select 1 as {big}"))), good_c)
    # 7. Catalogs: none, empty, mismatched, and every key of a table / column deleted or retyped.
    yield Case("catalog-absent", good_m, None)
    yield Case("catalog-empty-object", good_m, b"{}")
    yield Case("catalog-no-tables", good_m, _dump({"metadata": catalog["metadata"], "nodes": {}, "sources": {}}))
    if (CORPORA / "colibri_duckdb" / "catalog.json").exists():
        yield Case("catalog-of-another-project", good_m, (CORPORA / "colibri_duckdb" / "catalog.json").read_bytes())
    table = next(iter(catalog["nodes"]))
    for section in ("nodes", "sources"):
        for label, value in WRONG_VALUES.items():
            yield Case(f"catalog-{section}-{label}", good_m, _dump(_mutated(catalog, lambda c, s=section, v=value:
                                                                            c.update({s: v}))))
    for key in CATALOG_TABLE_KEYS:
        yield Case(f"catalog-table-{key}-deleted", good_m, _dump(_mutated(catalog, lambda c, k=key: c["nodes"][
            table].pop(k))))
        for label, value in WRONG_VALUES.items():
            yield Case(f"catalog-table-{key}-{label}", good_m, _dump(_mutated(catalog, lambda c, k=key, v=value: c[
                "nodes"][table].update({k: v}))))
    column = next(iter(catalog["nodes"][table]["columns"]))
    for key in CATALOG_COLUMN_KEYS:
        yield Case(f"catalog-column-{key}-deleted", good_m, _dump(_mutated(catalog, lambda c, k=key: c["nodes"][
            table]["columns"][column].pop(k))))
        for label, value in WRONG_VALUES.items():
            yield Case(f"catalog-column-{key}-{label}", good_m, _dump(_mutated(catalog, lambda c, k=key, v=value: c[
                "nodes"][table]["columns"][column].update({k: v}))))
    for label, value in WRONG_VALUES.items():
        yield Case(f"catalog-column-itself-{label}", good_m, _dump(_mutated(catalog, lambda c, v=value: c["nodes"][
            table]["columns"].update({column: v}))))


def _bad_sql() -> dict[str, str]:
    return {
        "empty": "",
        "whitespace": "  \n ",
        "jinja-expression": "select {{ ref('x') }}.id from t",
        "jinja-block": "{% if true %}select 1 as a{% endif %}",
        "jinja-comment": "select 1 as a {# note #}",
        "not-a-select": "insert into t values (1)",
        "ddl": "create table t as select 1 as a",
        "garbage": "select from where )(",
        "unterminated-string": "select 'abc as a from t",
        "tsql-top": "select top 5 [id] from [dbo].[orders]",
        "snowflake-flatten": "select f.value:id::int as id from t, lateral flatten(input => t.payload) f",
        "snowflake-metadata-column": "select metadata$filename as file_name from t",
        "bigquery-struct": "select struct(1 as a).a as a, array_agg(x ignore nulls) as xs from `p.d.t`",
        "postgres-dollar-quote": "select $$abc$$ as a",
        "mysql-backticks": "select `id` from `db`.`t`",
        "deep-nesting": "select " + "(" * 300 + "1" + ")" * 300 + " as a",
        "many-unions": " union all ".join(f"select {i} as a" for i in range(300)),
        "two-statements": "select 1 as a; select 2 as b",
        "nul-bytes": "select 1 as a\x00\x00",
        "non-ascii": "select 'żółw' as \"żółw\", 1 as \"列\"",
        "only-comment": "-- nothing here",
    }


def run_pipeline(target: Path) -> LineageStats:
    """What `headwater lineage --stats` does with a target folder, then every model's edges and walks."""
    artifacts = load_artifacts(target_path=target, include_run_results=False)
    graph = build_lineage(artifacts, use_cache=False, workers=1)
    stats = graph.stats()
    for uid in graph.raw:
        for column in graph.columns_of(uid):
            graph.upstream(ColumnRef(uid, column))
            graph.downstream(ColumnRef(uid, column))
    return stats
