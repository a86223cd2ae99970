"""Warm lineage equals a cold build after each kind of change (hypothesis over random edit sequences).

Each change kind is one the cache key must see: a model's checksum and SQL, a compiled-only change (same
checksum: a var, a macro, a ref target), a parent's schema in the catalog, a package upgrade (the node's
package version shows in its checksum and compiled SQL), a python model's features in YAML. Dropping the
parents' schemas, the compiled SQL or the python model's meta options from the keys of `build._results` and
`SchemaBook.run_key` makes the catalog, compiled-only and python edits below serve stale lineage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.dbt.loader import load_artifacts
from headwater.lineage.build import build_lineage

TARGET = Path(__file__).resolve().parents[2] / "dbt_project_example" / "target"
MANIFEST = orjson.loads((TARGET / "manifest.json").read_bytes())
MANIFEST["macros"], MANIFEST["docs"] = {}, {}
CATALOG = orjson.loads((TARGET / "catalog.json").read_bytes())
MODELS = sorted(uid for uid, n in MANIFEST["nodes"].items() if n["resource_type"] == "model")
TABLES = sorted(CATALOG["nodes"])


def _lineage(target: Path, cache: Path | None) -> dict[str, Any]:
    artifacts = load_artifacts(target_path=target, include_tests=False, include_run_results=False)
    graph = build_lineage(artifacts, cache_dir=cache, use_cache=cache is not None, workers=1)
    return {uid: (raw.columns, sorted(raw.edges), sorted(raw.row_edges)) for uid, raw in graph.raw.items()}


def _compiled_only(manifest: dict[str, Any], catalog: dict[str, Any], index: int) -> None:
    node = manifest["nodes"][MODELS[index % len(MODELS)]]
    node["compiled_code"] = f"select * from ({node['compiled_code']}) as changed_{index} where 1 = 0"


def _checksum_and_sql(manifest: dict[str, Any], catalog: dict[str, Any], index: int) -> None:
    _compiled_only(manifest, catalog, index)
    manifest["nodes"][MODELS[index % len(MODELS)]]["checksum"]["checksum"] = f"changed-{index}"


def _parent_schema(manifest: dict[str, Any], catalog: dict[str, Any], index: int) -> None:
    columns = catalog["nodes"][TABLES[index % len(TABLES)]]["columns"]
    if columns:
        columns.pop(sorted(columns)[index % len(columns)])


def _package_upgrade(manifest: dict[str, Any], catalog: dict[str, Any], index: int) -> None:
    for uid in MODELS[index % 3 :: 3]:  # a third of the models change code at once, as after `dbt deps`
        _checksum_and_sql(manifest, catalog, index + MODELS.index(uid))


def _python_meta(manifest: dict[str, Any], catalog: dict[str, Any], index: int) -> None:
    """A python model's features, declared in YAML: outside its file's checksum (it has no compiled SQL)."""
    for node in manifest["nodes"].values():
        if node.get("language") == "python":
            for meta in (node["meta"], node["config"]["meta"]):  # dbt writes both; config's wins
                features = meta["headwater"]["features"]
                meta["headwater"]["features"] = features[: 1 + index % (len(features) - 1)]


EDITS = [_compiled_only, _checksum_and_sql, _parent_schema, _package_upgrade, _python_meta]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None)
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), min_size=1, max_size=3))
def test_warm_equals_cold_after_every_edit(tmp_path_factory: Any, edits: list[tuple[Any, int]]) -> None:
    target = tmp_path_factory.mktemp("target")
    cache = target / "cache"
    manifest, catalog = orjson.loads(orjson.dumps(MANIFEST)), orjson.loads(orjson.dumps(CATALOG))
    for edit, index in [(lambda m, c, i: None, 0), *edits]:
        edit(manifest, catalog, index)
        (target / "manifest.json").write_bytes(orjson.dumps(manifest))
        (target / "catalog.json").write_bytes(orjson.dumps(catalog))
        warm = _lineage(target, cache)  # the cache holds the previous state's results
        assert warm == _lineage(target, None), edit.__name__


def _write(target: Path, manifest: dict[str, Any], catalog: dict[str, Any]) -> None:
    (target / "manifest.json").write_bytes(orjson.dumps(manifest))
    (target / "catalog.json").write_bytes(orjson.dumps(catalog))


@pytest.mark.parametrize("edit", EDITS, ids=[e.__name__.strip("_") for e in EDITS])
def test_each_change_kind_changes_lineage_and_warm_follows(edit: Any, tmp_path: Path) -> None:
    """Per change kind: an edit whose cold lineage differs from before (so a cache key blind to it would serve
    the old lineage and fail here), then warm, from the cache of the state before, equals cold."""
    cache = tmp_path / "cache"
    _write(tmp_path, MANIFEST, CATALOG)
    before = _lineage(tmp_path, None)
    for index in range(12):
        manifest, catalog = orjson.loads(orjson.dumps(MANIFEST)), orjson.loads(orjson.dumps(CATALOG))
        edit(manifest, catalog, index)
        _write(tmp_path, manifest, catalog)
        cold = _lineage(tmp_path, None)
        if cold != before:
            break
    else:
        raise AssertionError(f"no {edit.__name__} edit changed the lineage: the test could not see a stale cache")
    _write(tmp_path, MANIFEST, CATALOG)
    assert _lineage(tmp_path, cache) == before  # fills the cache with the state before
    _write(tmp_path, manifest, catalog)
    assert _lineage(tmp_path, cache) == cold
