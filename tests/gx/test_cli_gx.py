"""The `headwater gx run` and `headwater baseline` commands, end to end in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from headwater.example.build import database_path

REPO = Path(__file__).resolve().parents[2]
HEADWATER = [sys.executable, "-m", "headwater.cli"]

pytestmark = pytest.mark.slow


def test_gx_run_and_baseline(example_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations" / "gx" / "expectations", root / "gx" / "expectations")
    run = subprocess.run(
        [*HEADWATER, "gx", "run", "--context-root", str(root), "--duckdb", str(database_path(example_template))],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "marts: 34/34 expectations passed" in run.stdout
    attach = subprocess.run(
        [*HEADWATER, "gx", "attach", "--context-root", str(root), "--checkpoint", "marts", "--trace", "--gate",
         "--project-dir", str(example_template), "--report-dir", str(tmp_path / "reports")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert attach.returncode == 0, attach.stderr[-2000:]
    assert "added headwater_trace_root_cause, added headwater_contract_gate (backup: " in attach.stdout
    actions = json.loads((root / "gx" / "checkpoints" / "marts.json").read_text())["actions"]
    assert actions[0]["project_dir"] == str(example_template.resolve())
    assert actions[0]["report_dir"] == str((tmp_path / "reports").resolve())
    typo = subprocess.run(
        [*HEADWATER, "gx", "attach", "--context-root", str(root), "--checkpoint", "mart", "--gate"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert (
        typo.returncode == 2
        and "no checkpoint 'mart'" in typo.stderr
        and "Did you mean 'marts'?" in typo.stderr
    )
    out = tmp_path / "baseline.json"
    baseline = subprocess.run(
        [*HEADWATER, "baseline", "--warehouse", str(database_path(example_template)), "--table",
         "marts.fct_events_daily", "--column", "device", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert baseline.returncode == 0, baseline.stderr[-2000:]
    profile = json.loads(out.read_text())["columns"]["device"]
    assert profile["kind"] == "categorical" and set(profile["values"]) == {"web", "app", "tablet"}


def test_gx_run_refuses_a_missing_warehouse(tmp_path: Path) -> None:
    done = subprocess.run(
        [*HEADWATER, "gx", "run", "--context-root", str(tmp_path), "--duckdb", str(tmp_path / "nope.duckdb")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 3
    assert "nope.duckdb does not exist" in done.stderr
