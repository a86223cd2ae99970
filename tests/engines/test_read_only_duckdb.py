"""Read-only, proven on DuckDB: every table's row count and hash are unchanged by a demo run without the build:
the GX checkpoint, a trace of its result, the gate and a snapshot."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.build import database_path
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.trace import Verdict, trace
from tests.conftest import copy_built, run_cli
from tests.engines.checksums import duckdb_checksums

pytestmark = pytest.mark.slow
COMMITTED = Path(__file__).resolve().parents[2] / "expectations" / "gx" / "expectations"


def test_duckdb_checksums_unchanged(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("null_customer_email"), tmp_path / "project")
    warehouse = database_path(project)
    before = duckdb_checksums(warehouse)
    assert len(before) >= 10 and before["raw.customers"][0] > 0
    root = tmp_path / "expectations"
    shutil.copytree(COMMITTED, root / "gx" / "expectations")
    assert run_cli(["gx", "run", "--context-root", str(root), "--duckdb", str(warehouse)]) == 1  # the fault fails
    (result,) = (root / "gx" / "uncommitted" / "headwater").glob("*.json")
    traced = trace(str(result), project_dir=project, use_history=False)
    assert traced.failures and all(f.verdict == Verdict.TRACED for f in traced.failures)
    assert run_cli(["gate", "--project-dir", str(project), "--format", "json"]) in (0, 1)
    report = record_snapshot(SnapshotOptions(project_dir=project, history=f"duckdb:///{tmp_path}/history.duckdb"))
    assert report.queries > 0 and not report.snapshot.skipped
    capsys.readouterr()
    assert duckdb_checksums(warehouse) == before
