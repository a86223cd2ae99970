"""A manifest where some models lack compiled SQL is analysed; only one without any is refused."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from headwater.dbt.loader import load_artifacts
from headwater.errors import ArtifactError
from headwater.lineage.build import build_lineage
from headwater.lineage.graph import NO_COMPILED_SQL
from headwater.lineage.model import EdgeKind
from headwater.lineage.render import render_stats

TARGET = Path(__file__).resolve().parents[2] / "dbt_project_example" / "target"


def _target(tmp_path: Path, drop: int | None) -> tuple[Path, list[str]]:
    manifest = orjson.loads((TARGET / "manifest.json").read_bytes())
    models = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    dropped = models if drop is None else models[:drop]
    for uid in dropped:
        manifest["nodes"][uid].pop("compiled_code")
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    (tmp_path / "catalog.json").write_bytes((TARGET / "catalog.json").read_bytes())
    return tmp_path, dropped


def test_models_without_compiled_sql_get_unknown_edges(tmp_path: Path) -> None:
    target, dropped = _target(tmp_path, drop=2)
    graph = build_lineage(load_artifacts(target_path=target, include_tests=False), use_cache=False)
    stats = graph.stats()
    assert stats.models_uncompiled == 2 and stats.models_failed == 2
    for uid in dropped:
        lineage = graph.model(uid)
        assert lineage.columns and lineage.error == NO_COMPILED_SQL
        assert all(e.kind is EdgeKind.UNKNOWN and e.reason == NO_COMPILED_SQL for e in lineage.edges)
    others = [uid for uid in graph.raw if uid not in dropped and uid.startswith("model.")]
    assert others and all(not graph.model(uid).error for uid in others)
    assert "2 without compiled SQL" in render_stats(stats, as_json=False)


def test_a_manifest_without_any_compiled_sql_is_refused(tmp_path: Path) -> None:
    target, _ = _target(tmp_path, drop=None)
    with pytest.raises(ArtifactError, match="no compiled SQL for any"):
        load_artifacts(target_path=target)


def test_only_analyses_the_upstream_closure_and_agrees_with_a_full_build() -> None:
    from headwater.lineage.build import upstream_closure

    artifacts = load_artifacts(target_path=TARGET, include_tests=False)
    full = build_lineage(artifacts, use_cache=False)
    leaf = next(uid for uid in reversed(list(full.raw)) if full.manifest.nodes[uid].depends_on)
    partial = build_lineage(load_artifacts(target_path=TARGET, include_tests=False), use_cache=False, only=[leaf])
    closure = upstream_closure(artifacts.manifest, [leaf])
    assert leaf in partial.raw and set(partial.raw) == closure & set(full.raw)
    assert len(partial.raw) < len(full.raw)
    assert all(partial.raw[uid] == full.raw[uid] for uid in partial.raw)


def test_a_column_the_catalog_lacks_makes_only_its_readers_unknown(tmp_path: Path) -> None:
    """DuckDB's `rowid` (like Snowflake's METADATA$FILENAME) is a pseudo-column no catalog lists: the one
    output reading it is unknown (missing column), every other column of the model keeps its lineage."""
    manifest = orjson.loads((TARGET / "manifest.json").read_bytes())
    uid, node = next(
        (u, n)
        for u, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n.get("compiled_code", "").strip().endswith("where event_type is not null")
    )
    relation = next(
        t
        for t in orjson.loads((TARGET / "catalog.json").read_bytes())["sources"].values()
        if t["metadata"]["name"] == "events"
    )["metadata"]
    node["compiled_code"] = (
        f'select *, rowid as source_row from "{relation["database"]}"."{relation["schema"]}"."events" '
        "where event_type is not null"
    )
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    (tmp_path / "catalog.json").write_bytes((TARGET / "catalog.json").read_bytes())
    graph = build_lineage(load_artifacts(target_path=tmp_path, include_tests=False), use_cache=False)
    lineage = graph.model(uid)
    assert not lineage.error and "source_row" in lineage.columns
    unknown = {e.target.column for e in lineage.edges if e.kind is EdgeKind.UNKNOWN}
    assert unknown == {"source_row"}
    assert all(e.reason.startswith("missing column: rowid") for e in lineage.edges if e.kind is EdgeKind.UNKNOWN)
    not_values = {EdgeKind.UNKNOWN, EdgeKind.JOIN, EdgeKind.FILTER, EdgeKind.GROUP}  # row edges reach every column
    resolved = {e.target.column for e in lineage.edges if e.kind not in not_values}
    assert resolved == set(lineage.columns) - {"source_row"} and len(resolved) > 3
    assert graph.stats().models_failed == 0
