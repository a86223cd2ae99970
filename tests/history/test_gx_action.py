"""The trace action remembers every checkpoint run: each expectation's outcome, and a snapshot when it passed.
One real checkpoint run on a built copy of the example (GX costs ~7 s to import); the failure path reuses
its result with one expectation turned into a failure."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from headwater.example.build import database_path
from headwater.history.store import open_store
from headwater.history.timeline import FIRST_BAD, LAST_GOOD, timeline

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "expectations" / "gx" / "expectations"

pytestmark = pytest.mark.slow


def test_trace_action_records_outcomes_and_a_snapshot(built_example: Path, tmp_path: Path) -> None:
    from headwater.gx.actions import TraceRootCauseAction, remember
    from headwater.gx.checkpoint import checkpoint_result_dict, close_datasources, ensure_context

    root = tmp_path / "expectations"
    shutil.copytree(SUITES, root / "gx" / "expectations")
    context = ensure_context(root, database_path(built_example))
    checkpoint = context.checkpoints.get("marts")
    action = TraceRootCauseAction(project_dir=str(built_example), report_dir=str(tmp_path / "reports"))
    checkpoint.actions.append(action)
    context.checkpoints.add_or_update(checkpoint)
    try:
        result = context.checkpoints.get("marts").run()
    finally:
        close_datasources(context)
    assert result.success
    raw = checkpoint_result_dict(result)
    evaluated = sum(len(v["results"]) for v in raw["validation_results"])
    assert not (tmp_path / "reports").exists()  # nothing failed: nothing traced

    store = open_store(project_dir=built_example)
    (snap,) = store.load()  # GX keeps action results to itself: read what the action wrote
    assert len(snap.profiles) == 23 and not snap.skipped  # 22 SQL relations + ml.fraud_predictions
    outcomes = store.outcomes()
    assert len(outcomes) == evaluated and all(o.success for o in outcomes)
    assert {o.snapshot_id for o in outcomes} == {snap.snapshot_id}
    by_suite = {o.suite: o for o in outcomes}
    assert by_suite["dim_customers"].unique_id == "model.headwater_example.dim_customers"
    assert by_suite["dim_customers"].relation == "marts.dim_customers"
    assert any(o.column == "email" and o.suite == "dim_customers" for o in outcomes)

    # A later run fails one expectation: its outcomes are recorded, no snapshot is taken, and the
    # timeline marks the last good and the first bad run of that check.
    failed = copy.deepcopy(raw)
    failed["success"] = False
    item = next(
        i for v in failed["validation_results"] if v["suite_name"] == "dim_customers" for i in v["results"]
        if (i["expectation_config"]["kwargs"] or {}).get("column") == "email"
    )  # fmt: skip
    item["success"] = False
    item["result"] = {"unexpected_count": 7, "element_count": 5000}
    again = remember(failed, action)
    assert again["snapshot"] is None and again["outcomes"] == evaluated
    events = [e for e in timeline(store.load(), store.outcomes()) if e.kind == "check" and e.mark]
    assert [(e.mark, e.success, e.column) for e in events] == [(LAST_GOOD, True, "email"), (FIRST_BAD, False, "email")]
    assert "7 of 5000 rows unexpected" in events[1].summary
    # No dbt project and no store named: nothing is written, the reason is returned.
    lost = TraceRootCauseAction(project_dir=str(tmp_path / "no_project"))
    assert "no dbt project" in remember(failed, lost)["error"]
    assert not (tmp_path / "no_project").exists()

