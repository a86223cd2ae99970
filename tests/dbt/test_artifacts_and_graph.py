from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from headwater.dbt import TableGraph, load_artifacts
from headwater.errors import ArtifactError, ConfigError
from tests.conftest import CORPORA

DUCK = CORPORA / "colibri_duckdb"
pytestmark = pytest.mark.skipif(not DUCK.exists(), reason="no shared corpora")


@pytest.fixture(scope="module")
def arts():  # type: ignore[no-untyped-def]
    return load_artifacts(target_path=DUCK)


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = json.loads((DUCK / "manifest.json").read_text())
    mutate(raw)
    (tmp_path / "manifest.json").write_text(json.dumps(raw))
    return tmp_path


def test_manifest_fields(arts) -> None:  # type: ignore[no-untyped-def]
    m = arts.manifest
    assert m.metadata.schema_version == 12 and m.adapter_type == "duckdb" and m.dialect == "duckdb"
    orders = m.find_node("orders")
    assert orders.resource_type == "model" and orders.materialized == "table"
    assert orders.relation_name and orders.compiled_code and orders.checksum
    assert "model.jaffle_shop.stg_orders" in orders.depends_on
    src = m.find_node("ecom.raw_orders")
    assert src.resource_type == "source" and src.source_name == "ecom"
    assert arts.catalog is not None and arts.catalog.columns(orders.unique_id)
    assert m.tests and all(t.test is not None for t in m.tests.values())


def test_node_by_relation_is_case_insensitive(arts) -> None:  # type: ignore[no-untyped-def]
    node = arts.manifest.node_by_relation("JAFFLE_SHOP", "RAW", "raw_customers")
    assert node is not None and node.unique_id == "source.jaffle_shop.ecom.RAW_CUSTOMERS"


def test_find_node_suggests(arts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="Did you mean 'customers'"):
        arts.manifest.find_node("customerz")


def test_column_tests_attached(arts) -> None:  # type: ignore[no-untyped-def]
    node = arts.manifest.find_node("stg_order_items")
    assert node.columns["order_item_id"].tests


@pytest.mark.parametrize("version", ["v6", "v13"])
def test_unsupported_manifest_version_is_refused(tmp_path: Path, version: str) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["metadata"]["dbt_schema_version"] = f"https://schemas.getdbt.com/dbt/manifest/{version}.json"

    with pytest.raises(ArtifactError, match=rf"schema {version} is not supported"):
        load_artifacts(target_path=_write(tmp_path, mutate))


def test_manifest_without_compiled_code(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        for node in raw["nodes"].values():
            node.pop("compiled_code", None)

    with pytest.raises(ArtifactError, match="dbt compile"):
        load_artifacts(target_path=_write(tmp_path, mutate))


def test_missing_manifest_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no manifest\.json"):
        load_artifacts(project_dir=tmp_path)


def test_project_dir_reads_target(tmp_path: Path) -> None:
    (tmp_path / "target").mkdir()
    shutil.copy(DUCK / "manifest.json", tmp_path / "target" / "manifest.json")
    arts = load_artifacts(project_dir=tmp_path)
    assert arts.catalog is None and arts.target_path == tmp_path / "target"


def test_selectors(arts) -> None:  # type: ignore[no-untyped-def]
    g = TableGraph(arts.manifest)
    assert g.select("orders") == {"model.jaffle_shop.orders"}
    up = g.select("+orders")
    assert "source.jaffle_shop.ecom.raw_orders" in up and "model.jaffle_shop.orders" in up
    assert g.select("1+orders") < up
    assert "model.jaffle_shop.customers" in g.select("stg_orders+")
    assert g.select("source:ecom.raw_orders") == {"source.jaffle_shop.ecom.raw_orders"}
    staging = g.select("path:models/staging")
    assert staging and all("staging" in arts.manifest[u].original_file_path for u in staging)
    assert g.select("resource_type:snapshot") == {"snapshot.jaffle_shop.orders_snapshot"}
    assert g.tests_of("model.jaffle_shop.stg_order_items")
    with pytest.raises(ConfigError, match="matches nothing"):
        g.select("tag:nope")


def test_depth_limit(arts) -> None:  # type: ignore[no-untyped-def]
    g = TableGraph(arts.manifest)
    one = g.ancestors("model.jaffle_shop.customers", depth=1)
    assert one == set(g.parents("model.jaffle_shop.customers"))
    assert one < g.ancestors("model.jaffle_shop.customers")


def test_cycle_is_reported_as_a_path(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["nodes"]["model.jaffle_shop.stg_orders"]["depends_on"]["nodes"].append("model.jaffle_shop.orders")

    g = TableGraph(load_artifacts(target_path=_write(tmp_path, mutate)).manifest)
    with pytest.raises(ConfigError, match=r"Found a cycle: .* --> "):
        g.topological_order()


@pytest.mark.parametrize("corpus", ["colibri_duckdb", "jaffle_shop_expand"])
def test_lazy_nodes_match_eager_nodes(corpus: str) -> None:
    """Without tests, nodes are built on first access from their raw dicts: the same nodes (tests aside),
    the same lookups, and the same lineage run key (hashed from the raw dicts) as eagerly built ones."""
    from dataclasses import replace

    from headwater.lineage.schemas import SchemaBook

    folder = CORPORA / corpus
    lazy = load_artifacts(target_path=folder, include_tests=False)
    eager = load_artifacts(target_path=folder, include_tests=True)
    assert SchemaBook(lazy).run_key("k") == SchemaBook(eager).run_key("k")  # before any node is built
    lm, em = lazy.manifest, eager.manifest
    assert list(lm.nodes) == list(em.nodes) and list(lm.sources) == list(em.sources)
    assert len(lm.nodes) == len(em.nodes) and "no.such.node" not in lm.nodes and lm.nodes.get("x") is None
    for table, other in ((lm.nodes, em.nodes), (lm.sources, em.sources)):
        for uid, node in other.items():
            bare = {name: replace(col, tests=()) for name, col in node.columns.items()}
            assert table[uid] == replace(node, columns=bare)
    some = next(iter(em.models()))
    assert lm.find_node(some.name).unique_id == some.unique_id and lm[some.unique_id].name == some.name
    if some.relation_key is not None:
        assert lm.node_by_relation(some.database, some.schema, some.identifier or "") is lm[some.unique_id]
