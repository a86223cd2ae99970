"""Each ML fault makes its prediction check fail, and the trace from that check reaches its ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.example.build import copy_project, database_path, rebuild_models
from headwater.example.ml_faults import ML_FAULTS
from headwater.gx.checkpoint import CheckpointOutcome, run_marts_checkpoint
from headwater.trace import Verdict, trace
from tests.ml.conftest import prediction_context_root

pytestmark = pytest.mark.slow
FAULTS = {fault.id: fault for fault in ML_FAULTS}
CHECK_TYPES = {
    "most_common_share": "expect_column_most_common_value_share_to_be_below",
    "drift": "expect_column_distribution_to_match_baseline",
}


def faulted(template: Path, tmp_path: Path, fault_id: str) -> tuple[Path, CheckpointOutcome]:
    project = copy_project(template, tmp_path / "project", with_build=True)
    FAULTS[fault_id].apply(project)
    rebuild_models(project)
    return project, run_marts_checkpoint(prediction_context_root(tmp_path), database_path(project))


@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_ml_fault_traced_to_its_ground_truth(example_template: Path, tmp_path: Path, fault_id: str) -> None:
    fault = FAULTS[fault_id]
    project, outcome = faulted(example_template, tmp_path, fault_id)
    failed = {(f.column, f.expectation_type) for f in outcome.failures}
    assert (fault.expectation.column, CHECK_TYPES[fault.expectation.check]) in failed, failed
    result = trace(outcome.raw, project_dir=project, use_history=False)
    (failure,) = [f for f in result.failures if f.expectation == CHECK_TYPES[fault.expectation.check]]
    assert failure.verdict == Verdict.TRACED, failure.reason
    top = failure.top
    assert top is not None
    got = (top.node, top.column, top.mechanism.value, top.summary)
    assert (top.node, top.mechanism.value) == (fault.truth.node, fault.truth.mechanism), got
    assert top.column in fault.truth.columns, got
    if fault.truth.where:  # the cause names the line that broke it
        assert top.file and top.line, got
        assert fault.truth.where in (project / top.file).read_text().splitlines()[top.line - 1], got
    if fault.expectation.check == "most_common_share":  # the attribution numbers ride on the cause
        assert "of the predictions at" in top.summary or "no longer has" in top.summary, got
    elif fault.truth.mechanism == "model_change":  # the two versions, and what differs between them
        assert "version 1" in top.evidence.detail and "version 2" in top.evidence.detail, got
        assert "feature order differs" in top.evidence.detail, top.evidence.detail
    else:  # the feature's numbers against the training baseline
        assert "training" in top.summary, got
