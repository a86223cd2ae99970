"""Several `headwater trace` and `headwater snapshot` processes at once on the same DuckDB warehouse, the same
history store and the same report folder: none fails on a lock (the warehouse is opened read-only, the
history store retries a locked write), every report is whole (written to a temporary file, then renamed),
and the history holds every snapshot.

Cost: one copy of a faulted example and five CLI processes started together (about two process start-ups
of wall time on two cores)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from headwater.example.faults import FAULTS
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from tests.conftest import copy_built
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow
FAULT = "null_customer_email"
TRACES, SNAPSHOTS = 3, 2


def test_parallel_traces_and_snapshots(faulted_example: Callable[[str], Path], tmp_path: Path) -> None:
    project = copy_built(faulted_example(FAULT), tmp_path / "project")
    history = tmp_path / "history.duckdb"
    reports = tmp_path / "reports"
    reports.mkdir()
    result = tmp_path / "result.json"
    result.write_text(json.dumps(validation_result(FAULTS[FAULT])))
    common = ["--project-dir", str(project), "--history", str(history)]
    # the store exists before the race: a trace given --history refuses a store that is not there yet
    record_snapshot(SnapshotOptions(project_dir=project, history=f"duckdb:///{history}", profile=False))
    commands = [
        # two traces write the same report: the rename makes one of them win whole, never a mix
        ["trace", str(result), *common, "--format", "json", "--out", str(reports / f"trace-{min(i, 1)}.json")]
        for i in range(TRACES)
    ] + [["snapshot", *common] for _ in range(SNAPSHOTS)]
    env = {**os.environ, "NO_COLOR": "1"}
    started = [
        subprocess.Popen([sys.executable, "-m", "headwater.cli", *args], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args in commands
    ]
    done = [(args[0], p.wait(timeout=300), *p.communicate()) for args, p in zip(commands, started, strict=True)]
    for command, code, _, err in done:
        assert code == 0, f"{command} exited {code}: {err[-2000:]}"
        assert "lock" not in err.lower(), err[-2000:]
    assert sorted(p.name for p in reports.iterdir()) == ["trace-0.json", "trace-1.json"]  # no temporary left
    for report in reports.iterdir():
        parsed = json.loads(report.read_text())
        (failure,) = parsed["failures"]
        assert failure["verdict"] == "traced" and failure["root_causes"][0]["node"] == FAULTS[FAULT].truth.node
    with duckdb.connect(str(history), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        assert "snapshots" in tables, tables
        assert con.execute("select count(*) from snapshots").fetchone() == (1 + SNAPSHOTS,)
        # the parallel ones profiled the warehouse (read-only, next to the traces) and all of it landed
        profiled = con.execute(
            "select s.snapshot_id, count(distinct p.unique_id) from snapshots s "
            "join profiles p using (snapshot_id) group by 1"
        ).fetchall()
        assert len(profiled) == SNAPSHOTS and len({n for _, n in profiled}) == 1 and profiled[0][1] >= 10, profiled
