"""Contracts on a real, larger project (shared corpus jaffle_shop_expand): enforced dbt contracts checked
against its catalog.json, and a blast radius that reaches exposures. Artifacts are copied to a tmp dir
first: the corpus folder is never written (the lineage cache goes to <target>/headwater)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from headwater.contracts.dbt_contracts import contracts_from_manifest
from headwater.contracts.gate import GateOptions, exit_code, run_gate
from headwater.contracts.impact import Impact
from headwater.dbt import load_artifacts
from tests.conftest import CORPORA

CORPUS = CORPORA / "jaffle_shop_expand"
pytestmark = pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="no shared corpora")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jaffle") / "target"
    folder.mkdir()
    for name in ("manifest.json", "catalog.json"):
        shutil.copy(CORPUS / name, folder / name)
    return folder


def test_enforced_contracts_match_the_catalog(target: Path) -> None:
    artifacts = load_artifacts(target_path=target, require_compiled=False)
    contracts = contracts_from_manifest(artifacts.manifest)
    assert [c.name for c in contracts] == ["dim_departments", "dim_expense_categories"]
    report = run_gate(GateOptions(target_path=target, dbt_contracts=True, from_catalog=True))
    assert exit_code(report) == 0, [f.change.reason for f in report.findings()]


def test_blast_radius_reaches_exposures(target: Path) -> None:
    artifacts = load_artifacts(target_path=target, require_compiled=False)
    impact = Impact(artifacts, None, contracts_from_manifest(artifacts.manifest))
    node = "model.jaffle_shop.stg_orders"
    blast = impact.blast_radius(node, impact.lineage.columns_of(node))
    assert "exposure.jaffle_shop.weekly_business_review" in blast.exposures
    assert len(blast.models) > 10
    assert all(m != node for m in blast.models)
