"""`build_lineage(edge_text=False)` (the CLI's `--stats --no-cache`) skips the edges' text and lines only.

Row edges are told apart by their condition's text, so a run without text must still give it to them: the
statistics (edge counts above all) must be those of a full run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.dbt import load_artifacts
from headwater.lineage import build_lineage
from tests.conftest import CORPORA

NAMES = sorted(p.name for p in CORPORA.glob("colibri_*") if (p / "manifest.json").exists())

pytestmark = pytest.mark.skipif(not NAMES, reason="no shared corpora")


def _stats(graph):  # type: ignore[no-untyped-def]
    data = graph.stats().to_dict()
    del data["seconds"]
    return data


@pytest.mark.parametrize("name", NAMES)
def test_stats_without_edge_text_are_those_of_a_full_run(name: str) -> None:
    artifacts = load_artifacts(target_path=CORPORA / name, include_run_results=False)
    full = build_lineage(artifacts, use_cache=False)
    bare = build_lineage(artifacts, use_cache=False, edge_text=False)
    assert _stats(bare) == _stats(full)
    value_edges = [e for raw in bare.raw.values() for e in raw.edges if e.source_node is not None]
    assert value_edges and all(e.expression == "" and e.line is None for e in value_edges)
    rows = [e for raw in bare.raw.values() for e in raw.row_edges]
    assert rows and all(e.expression for e in rows)  # the text that tells them apart
    assert all(e.line is None for e in rows)


def test_a_cache_written_without_edge_text_still_stores_it(tmp_path: Path) -> None:
    artifacts = load_artifacts(target_path=CORPORA / NAMES[0], include_run_results=False)
    cold = build_lineage(artifacts, cache_dir=tmp_path, edge_text=False)
    assert cold.raw == build_lineage(artifacts, use_cache=False).raw
    warm = build_lineage(artifacts, cache_dir=tmp_path)
    assert warm.raw == cold.raw
    assert warm.cache_hits == len(cold.raw)
