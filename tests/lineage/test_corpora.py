"""Every shared corpus parses; coverage is high and every column that is not resolved says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.dbt import load_artifacts
from headwater.lineage import ColumnRef, EdgeKind, build_lineage
from headwater.lineage.names import column_case, stored
from tests.conftest import CORPORA

NAMES = sorted(p.name for p in CORPORA.glob("*") if (p / "manifest.json").exists())
# colibri_* deliberately join a hard-coded table that is no node of the manifest (`customers_hardcoded`):
# it becomes an EXTERNAL leaf (counted as resolved, and reported apart in `external`).
MIN_COVERAGE = 0.98

pytestmark = pytest.mark.skipif(not NAMES, reason="no shared corpora")


@pytest.fixture(scope="module", params=NAMES)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    artifacts = load_artifacts(target_path=CORPORA / request.param, include_run_results=False)
    graph = build_lineage(artifacts, cache_dir=tmp_path_factory.mktemp("cache"))
    return request.param, graph


def test_coverage(corpus) -> None:  # type: ignore[no-untyped-def]
    name, graph = corpus
    stats = graph.stats()
    assert stats.models == sum(1 for _ in graph.manifest.models())
    assert stats.models_failed == 0
    assert stats.coverage >= MIN_COVERAGE, stats.to_dict()
    assert not stats.unknown_reasons, stats.to_dict()
    if name.startswith("colibri_"):
        assert [r.endswith("public.customers_hardcoded") for r in stats.external_relations] == [True]
        assert stats.external >= 1 and not stats.row_unknown


def test_every_unresolved_column_leads_to_an_unknown_reason(corpus) -> None:  # type: ignore[no-untyped-def]
    _, graph = corpus
    for node_id, raw in graph.raw.items():
        for column in raw.columns:
            ref = ColumnRef(node_id, column)
            edges = graph.upstream(ref, rows=False)
            unknown = [e for e in edges if e.kind is EdgeKind.UNKNOWN]
            assert all(e.reason for e in unknown)
            if not graph.is_resolved(ref):
                assert unknown, f"{ref} is unresolved but no UNKNOWN edge upstream says why"
            for edge in edges:  # every named source is a node of the manifest
                assert edge.source is None or graph.manifest.get(edge.source.node) is not None


def test_jaffle_expand_spot_checks(tmp_path: Path) -> None:
    if "jaffle_shop_expand" not in NAMES:
        pytest.skip("corpus missing")
    graph = build_lineage(load_artifacts(target_path=CORPORA / "jaffle_shop_expand"), cache_dir=tmp_path)
    uid = graph.node_id("inc_fct_orders")
    region = graph.edges_into(ColumnRef(uid, "customer_name"))
    kinds = {(e.kind, e.source.node if e.source else None) for e in region}
    assert (EdgeKind.PASSTHROUGH, "model.jaffle_shop.stg_customers") in kinds
    joins = [e for e in region if e.kind is EdgeKind.JOIN]
    assert joins and all(e.join_side == "left" for e in joins)
    assert any("o.customer_id = c.customer_id" in e.expression for e in joins)
    # the edge says where it is written: the model file and a line
    assert all(e.location and e.location.file.endswith("inc_fct_orders.sql") for e in region)


def _shape(graph) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Everything but expression text and lines (qualify rewrites the text of `*` expansions)."""
    return {
        uid: (
            raw.columns,
            sorted({(e.target, e.kind, e.source_node or "", e.source_column or "", e.reason) for e in raw.edges}),
            sorted({(e.kind, e.source_node or "", e.source_column or "", e.join_side) for e in raw.row_edges}),
        )
        for uid, raw in graph.raw.items()
    }


@pytest.mark.parametrize("name", NAMES)
def test_fast_pass_agrees_with_sqlglot_qualify(name: str) -> None:
    artifacts = load_artifacts(target_path=CORPORA / name, include_run_results=False)
    fast = build_lineage(artifacts, use_cache=False, workers=1)
    exact = build_lineage(artifacts, use_cache=False, workers=1, always_qualify=True)
    assert _shape(fast) == _shape(exact)


@pytest.mark.parametrize("name", ["colibri_duckdb", "jaffle_shop_expand"])
def test_same_lineage_without_catalog(name: str, tmp_path: Path) -> None:
    """`select *` resolves from columns inferred upstream when there is no catalog.json."""
    if name not in NAMES:
        pytest.skip("corpus missing")
    (tmp_path / "manifest.json").write_bytes((CORPORA / name / "manifest.json").read_bytes())
    with_catalog = build_lineage(load_artifacts(target_path=CORPORA / name), use_cache=False)
    without = build_lineage(load_artifacts(target_path=tmp_path), use_cache=False)
    assert without.stats().coverage == with_catalog.stats().coverage
    assert _shape(without) == _shape(with_catalog)


def test_forked_workers_give_the_same_lineage() -> None:
    """The CLI analyses in one process per CPU; the result must not depend on it."""
    if "jaffle_shop_expand" not in NAMES:
        pytest.skip("corpus missing")
    artifacts = load_artifacts(target_path=CORPORA / "jaffle_shop_expand", include_tests=False)
    one = build_lineage(artifacts, use_cache=False, workers=1)
    two = build_lineage(artifacts, use_cache=False, workers=2)
    assert one.raw == two.raw


def test_columns_are_named_as_the_warehouse_stores_them(corpus) -> None:  # type: ignore[no-untyped-def]
    """Every column lineage gives a model is one the catalog lists, compared as the dialect compares names:
    colibri_postgres's `tax_paid as "TAX_PAID_CENTS"` is a column TAX_PAID_CENTS (PostgreSQL keeps a quoted
    name's case), and its snapshot holds both TAX_PAID_CENTS and an older tax_paid_cents, which never
    collide. (jaffle_shop_expand is left out: DuckDB names an unaliased expression by its text.)"""
    name, graph = corpus
    if not name.startswith("colibri_"):
        pytest.skip("DuckDB names unaliased expressions by their SQL text; lineage names them _col_<n>")
    case = column_case(graph.dialect)
    catalog = load_artifacts(target_path=CORPORA / name, include_run_results=False).catalog
    assert catalog is not None
    compared = 0
    for node_id, raw in graph.raw.items():
        listed = catalog.column_types(node_id)
        if listed:
            compared += 1
            assert set(raw.columns) <= {stored(n, case) for n, _ in listed}, node_id
    assert compared >= 10
    if name == "colibri_postgres":
        stg = graph.node_id("stg_orders")
        assert "TAX_PAID_CENTS" in graph.columns_of(stg) and "tax_paid_cents" not in graph.columns_of(stg)
        [edge] = [e for e in graph.edges_into(ColumnRef(stg, "TAX_PAID_CENTS")) if not e.kind.is_row_edge]
        assert edge.source == ColumnRef("source.jaffle_shop.ecom.raw_orders", "tax_paid")
