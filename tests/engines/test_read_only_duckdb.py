"""Read-only, proven on DuckDB: every table's row count and hash are unchanged by snapshot, trace and gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.cli import main
from headwater.example.build import database_path
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.trace import Verdict, trace
from tests.conftest import copy_built
from tests.engines.checksums import duckdb_checksums

pytestmark = pytest.mark.slow


def test_duckdb_checksums_unchanged(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("null_customer_email"), tmp_path / "project")
    before = duckdb_checksums(database_path(project))
    assert len(before) >= 10 and before["raw.customers"][0] > 0
    report = record_snapshot(SnapshotOptions(project_dir=project, history=f"duckdb:///{tmp_path}/history.duckdb"))
    assert report.queries > 0
    traced = trace(node="dim_customers", column="email", check="not_null", project_dir=project)
    assert traced.failures[0].verdict == Verdict.TRACED
    try:
        main(["gate", "--project-dir", str(project), "--format", "json"])
    except SystemExit as done:
        assert done.code in (0, 1, None)
    capsys.readouterr()
    assert duckdb_checksums(database_path(project)) == before
