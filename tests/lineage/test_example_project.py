"""The example project end to end: build it (session fixture), then trace its columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.dbt import load_artifacts
from headwater.lineage import ColumnRef, EdgeKind, build_lineage

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graph(example_template: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # The template is shared and read-only: the lineage cache goes to a private folder.
    return build_lineage(load_artifacts(project_dir=example_template), cache_dir=tmp_path_factory.mktemp("cache"))


def test_every_column_resolves(graph) -> None:  # type: ignore[no-untyped-def]
    stats = graph.stats()
    assert stats.models >= 15 and stats.models_failed == 0
    assert stats.coverage == 1.0, stats.to_dict()


def test_ephemeral_model_is_a_node(graph) -> None:  # type: ignore[no-untyped-def]
    fct = graph.node_id("fct_orders")
    eph = graph.node_id("int_successful_payments")
    assert graph.manifest[eph].is_ephemeral
    sources = {e.source.node for e in graph.upstream(ColumnRef(fct, "order_id"), depth=1) if e.source}
    assert eph in sources
    assert graph.model(eph).edges  # analysed from its own compiled SQL


def test_cast_in_staging_is_found_with_its_line(graph) -> None:  # type: ignore[no-untyped-def]
    mart = graph.node_id("mart_fraud_features")
    casts = [e for e in graph.upstream(ColumnRef(mart, "amount")) if e.kind is EdgeKind.CAST]
    assert casts and casts[0].source == ColumnRef("source.headwater_example.shop.payments", "amount")
    assert "cast(amount as decimal" in casts[0].expression.lower()
    loc = casts[0].location
    assert loc and loc.file == "models/staging/stg_payments.sql" and loc.line and not loc.compiled
    # the cast is written by a dispatch macro (portable to PostgreSQL): its line is the macro call's
    written = (REPO / "dbt_project_example" / loc.file).read_text().splitlines()[loc.line - 1]
    assert "try_cast_or_null('amount'" in written


def test_left_join_miss_path_is_visible(graph) -> None:  # type: ignore[no-untyped-def]
    enriched = graph.node_id("int_orders_enriched")
    joins = [e for e in graph.edges_into(ColumnRef(enriched, "customer_region")) if e.kind is EdgeKind.JOIN]
    assert any(e.join_side == "left" and e.source and e.source.column == "customer_id" for e in joins)


def test_filter_edge_in_staging_events(graph) -> None:  # type: ignore[no-untyped-def]
    daily = graph.node_id("fct_events_daily")
    upstream = graph.upstream(ColumnRef(daily, "device"))
    assert any(e.source and e.source.node.endswith("shop.events") for e in upstream)
