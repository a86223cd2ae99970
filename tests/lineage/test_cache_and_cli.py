from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headwater.cli import _register_commands, app
from headwater.dbt import load_artifacts
from headwater.lineage import ColumnRef, EdgeKind, build_lineage
from headwater.lineage.cache import FILE_NAME, SUMMARY_NAME
from tests.conftest import CORPORA

CORPUS = CORPORA / "colibri_duckdb"
pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="no shared corpora")


@pytest.fixture
def target(tmp_path: Path) -> Path:
    out = tmp_path / "target"
    out.mkdir()
    for name in ("manifest.json", "catalog.json"):
        shutil.copy(CORPUS / name, out / name)
    return out


def test_warm_run_reuses_every_model_and_gives_the_same_result(target: Path) -> None:
    cold = build_lineage(load_artifacts(target_path=target))
    assert cold.cache_misses > 0 and (target / "headwater" / FILE_NAME).exists()
    warm = build_lineage(load_artifacts(target_path=target))
    assert warm.cache_misses == 0 and warm.cache_hits == cold.cache_misses
    assert warm.raw == cold.raw
    assert warm.stats().to_dict() | {"seconds": 0, "cache_hits": 0, "cache_misses": 0} == cold.stats().to_dict() | {
        "seconds": 0, "cache_hits": 0, "cache_misses": 0
    }


def test_changed_model_and_its_children_are_reanalysed(target: Path) -> None:
    build_lineage(load_artifacts(target_path=target))
    manifest = json.loads((target / "manifest.json").read_text())
    node = manifest["nodes"]["model.jaffle_shop.stg_orders"]
    node["compiled_code"] = node["compiled_code"].replace("id as order_id", "id as order_key")
    node["checksum"]["checksum"] = "changed"
    (target / "manifest.json").write_text(json.dumps(manifest))
    catalog = json.loads((target / "catalog.json").read_text())
    catalog["nodes"].pop("model.jaffle_shop.stg_orders", None)  # its schema now comes from lineage
    (target / "catalog.json").write_text(json.dumps(catalog))
    warm = build_lineage(load_artifacts(target_path=target))
    assert "order_key" in warm.columns_of("model.jaffle_shop.stg_orders")
    assert 1 <= warm.cache_misses < warm.cache_hits


@pytest.mark.parametrize("garbage", [b"{not json", b'{"format": "someone-else/9", "entries": {}}', b"[]"])
def test_corrupt_or_foreign_cache_is_ignored(target: Path, garbage: bytes) -> None:
    (target / "headwater").mkdir()
    (target / "headwater" / FILE_NAME).write_bytes(garbage)
    graph = build_lineage(load_artifacts(target_path=target))
    assert graph.cache_hits == 0 and graph.stats().columns > 0
    assert json.loads((target / "headwater" / FILE_NAME).read_text())["format"].startswith("headwater-lineage")


def test_tampered_entry_is_not_trusted(target: Path) -> None:
    build_lineage(load_artifacts(target_path=target))
    path = target / "headwater" / FILE_NAME
    data = json.loads(path.read_text())
    key, _ = data["entries"]["model.jaffle_shop.orders"]
    data["entries"]["model.jaffle_shop.orders"] = [key, ["garbage"]]
    path.write_text(json.dumps(data))
    graph = build_lineage(load_artifacts(target_path=target))
    assert "order_id" in graph.columns_of("model.jaffle_shop.orders")
    assert graph.cache_misses == 1  # counted once per-model results are read (the summary needs none)


def _cli(*args: str) -> tuple[int, str]:
    _register_commands()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_stats_json(target: Path) -> None:
    code, out = _cli("lineage", "--stats", "--format", "json", "--target-path", str(target))
    assert code == 0, out
    stats = json.loads(out)
    assert {"models", "columns", "resolved", "unknown", "unknown_reasons", "seconds"} <= set(stats)
    assert stats["models"] == 22 and stats["unknown"] == 0 and stats["coverage"] >= 0.98
    assert stats["external"] >= 1
    assert [r.endswith("public.customers_hardcoded") for r in stats["external_relations"]] == [True]


@pytest.mark.parametrize("fmt", ["text", "json", "mermaid", "dot"])
def test_cli_column_formats(target: Path, fmt: str) -> None:
    code, out = _cli("lineage", "customers.customer_name", "--format", fmt, "--target-path", str(target))
    assert code == 0, out
    assert "RAW_CUSTOMERS" in out
    if fmt == "json":
        edges = json.loads(out)["edges"]
        assert any(e["kind"] == "rename" and e["source"].endswith("RAW_CUSTOMERS.name") for e in edges)


def test_cli_source_downstream(target: Path) -> None:
    code, out = _cli("lineage", "ecom.raw_orders.id", "--downstream", "--depth", "1", "--target-path", str(target))
    assert code == 0, out
    assert "stg_orders.order_id" in out


def test_cli_unknown_node_suggests(target: Path) -> None:
    code, _ = _cli("lineage", "customerz", "--target-path", str(target))
    assert code != 0


def test_warm_run_from_the_summary_equals_a_cold_run_edge_for_edge(target: Path) -> None:
    """The summary answers `stats()` without per-model results; edges asked for afterwards are the same."""
    cold = build_lineage(load_artifacts(target_path=target))
    assert (target / "headwater" / SUMMARY_NAME).exists()
    warm = build_lineage(load_artifacts(target_path=target))
    strip = {"seconds": 0, "cache_hits": 0, "cache_misses": 0}
    assert warm.stats().to_dict() | strip == cold.stats().to_dict() | strip
    for node_id in cold.raw:
        assert warm.model(node_id) == cold.model(node_id)
    assert warm.cache_misses == 0


def test_summary_is_not_trusted_after_a_change_or_without_its_entries(target: Path) -> None:
    cold = build_lineage(load_artifacts(target_path=target)).stats()
    (target / "headwater" / FILE_NAME).unlink()  # the per-model entries are lost: re-analysed on demand
    lost = build_lineage(load_artifacts(target_path=target))
    assert lost.stats().resolved == cold.resolved
    assert lost.columns_of("model.jaffle_shop.orders") and lost.cache_misses > 0
    assert (target / "headwater" / FILE_NAME).exists()  # written again once re-analysed
    catalog = json.loads((target / "catalog.json").read_text())
    catalog["nodes"].pop("model.jaffle_shop.stg_orders", None)
    (target / "catalog.json").write_text(json.dumps(catalog))
    changed = build_lineage(load_artifacts(target_path=target))
    assert changed.cache_misses >= 1  # another run key: the summary is not used, changed models re-analysed


def test_undeclared_relation_is_an_external_leaf(target: Path) -> None:
    graph = build_lineage(load_artifacts(target_path=target), use_cache=False)
    stats = graph.stats()
    (external,) = stats.external_relations
    node = graph.manifest[external]
    assert node.resource_type == "external" and node.relation_name == "public.customers_hardcoded"
    assert set(graph.columns_of(external)) == {"id", "name"}  # only what the SQL names through `s2.*`
    uid = graph.node_id("stg_customers")
    edges = graph.edges_into(ColumnRef(uid, "hardcoded_name"))
    assert any(e.source == ColumnRef(external, "name") and e.kind is EdgeKind.RENAME for e in edges)
    assert graph.is_resolved(ColumnRef(uid, "hardcoded_name"))
    assert stats.external >= 1 and stats.unknown == 0
