"""Differential diagnosis: every fault of the example traced against a snapshot of the clean build (the
last good state) names its exact ground truth, including the faults today's data alone cannot tell apart
(a unit conversion dropped in a model, over a source whose values were always in cents). `--state` (the
deployed run's dbt artifacts) gives the code and schema part of the comparison."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS, UNTYPED
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.trace import Verdict, trace
from tests.conftest import copy_built
from tests.trace.faultcases import validation_result
from tests.trace.test_accuracy import assert_names_the_truth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def clean_history(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A history store holding one snapshot: the clean build (its code, schema and column profiles)."""
    url = f"duckdb:///{tmp_path_factory.mktemp('history') / 'history.duckdb'}"
    record_snapshot(SnapshotOptions(project_dir=example_template, history=url))
    return url


@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_fault_traced_against_the_last_good_state(
    faulted_example: Callable[[str], Path], clean_history: str, fault_id: str
) -> None:
    project = faulted_example(fault_id)
    result = trace(validation_result(FAULTS[fault_id]), project_dir=project, history=clean_history)
    assert_names_the_truth(fault_id, project, result)


@pytest.mark.parametrize("fault_id", list(UNTYPED))
def test_undeclared_type_schema_fault_against_the_last_good_state(
    untyped_example: Callable[[str], Path], clean_history: str, fault_id: str
) -> None:
    """No declared data_type: the good state's catalog says what the column was."""
    project = untyped_example(fault_id)
    result = trace(validation_result(UNTYPED[fault_id]), project_dir=project, history=clean_history)
    assert_names_the_truth(fault_id, project, result)
    if UNTYPED[fault_id].truth.needs_history:
        assert result.failures[0].top is not None and result.failures[0].top.decided_by.startswith("schema: ")


def test_the_verdict_says_which_comparison_decided(faulted_example: Callable[[str], Path], clean_history: str) -> None:
    project = faulted_example("product_price_unit_dropped")
    (failure,) = trace(
        validation_result(FAULTS["product_price_unit_dropped"]), project_dir=project, history=clean_history
    ).failures
    top = failure.top
    assert top is not None and top.decided_by.startswith("code: the compiled SQL of stg_products differs")
    assert "raw.products.unit_price_cents` failed between" in top.decided_by  # the source was ruled out
    assert "/ 100" in top.evidence.detail  # the expression then, and now
    ruled_out = [s for s in failure.path if s.via == "history"]
    assert ruled_out and ruled_out[0].node == "source.headwater_example.shop.products"


def test_a_snapshot_of_the_bad_state_is_not_taken_for_good(
    faulted_example: Callable[[str], Path], tmp_path: Path
) -> None:
    """The newest snapshot, taken after the fault, fails the check too: it is no baseline, and the trace is
    judged on today's data (unknown here, where only the good state could tell)."""
    project = faulted_example("product_price_unit_dropped")
    url = f"duckdb:///{tmp_path / 'history.duckdb'}"
    record_snapshot(SnapshotOptions(project_dir=project, history=url))
    (failure,) = trace(
        validation_result(FAULTS["product_price_unit_dropped"]), project_dir=project, history=url
    ).failures
    assert failure.verdict == Verdict.UNKNOWN


def test_state_dir_compares_code_and_schema(
    faulted_example: Callable[[str], Path], example_template: Path, tmp_path: Path
) -> None:
    """dbt's `--state`: the deployed run's target/ holds the code and the schema. A source column retyped in
    a project that declares no data_type is `unknown` on today's data alone (a retyped source and a cast
    that was always too narrow look the same), and a schema change at the source against the deployed
    catalog, with the types before and after."""
    project = copy_built(faulted_example("retype_payment_amount"), tmp_path / "project")
    manifest_path = project / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["sources"]["source.headwater_example.shop.payments"]["columns"]["amount"]["data_type"] = None
    manifest_path.write_text(json.dumps(manifest))
    question = validation_result(FAULTS["retype_payment_amount"])

    (alone,) = trace(question, project_dir=project, use_history=False).failures
    assert alone.verdict == Verdict.UNKNOWN and "no declared data_type" in alone.reason, alone.reason

    top = trace(question, project_dir=project, state=example_template / "target", use_history=False).failures[0].top
    assert top is not None
    assert (top.node, top.column, top.mechanism.value) == (
        "source.headwater_example.shop.payments",
        "amount",
        "schema_change",
    )
    assert top.decided_by.startswith("schema: catalog of dbt state") and "VARCHAR" in top.summary


def test_timeline_shows_what_changed_on_the_path(faulted_example: Callable[[str], Path], clean_history: str) -> None:
    """The trace result's timeline: the snapshot of the good state, and the code change since, on the cause's
    node first; in JSON and text."""
    from headwater.report.trace import render_trace

    project = faulted_example("product_price_unit_dropped")
    result = trace(validation_result(FAULTS["product_price_unit_dropped"]), project_dir=project, history=clean_history)
    (failure,) = result.failures
    kinds = [(e.kind, e.node, e.at) for e in failure.timeline]
    assert kinds[0] == ("code", "model.headwater_example.stg_products", "now"), kinds
    assert any(kind == "snapshot" for kind, _, _ in kinds)
    data = json.loads(render_trace(result, "json"))
    assert data["failures"][0]["timeline"][0]["kind"] == "code"
    assert "now  code stg_products: code changed" in render_trace(result, "text")


def test_a_renamed_source_column_is_named_by_its_values(
    faulted_example: Callable[[str], Path], clean_history: str
) -> None:
    """`product_name` vanished and `title` appeared: the new column holds the values the old one had."""
    project = faulted_example("rename_product_name")
    (failure,) = trace(
        validation_result(FAULTS["rename_product_name"]), project_dir=project, history=clean_history
    ).failures
    top = failure.top
    assert top is not None and "renamed to `title`" in top.summary, top.summary
    assert top.decided_by.startswith("profile: `title` now matches `product_name`")


def test_a_source_data_fault_says_what_moved_in_the_profile(
    faulted_example: Callable[[str], Path], clean_history: str
) -> None:
    project = faulted_example("null_customer_email")
    (failure,) = trace(
        validation_result(FAULTS["null_customer_email"]), project_dir=project, history=clean_history
    ).failures
    top = failure.top
    assert top is not None and top.mechanism.value == "source_data"
    assert top.decided_by.startswith("data: the profile of raw.customers.email moved (email: null_share 0.00% ->")


def test_an_unreadable_default_store_is_a_note_not_a_failure(
    faulted_example: Callable[[str], Path], tmp_path: Path
) -> None:
    """Forensics by default must not break a trace: the project's own store, found but unreadable, is named
    in a note and the trace goes on today's data (a store named with --history must be readable)."""
    from headwater.errors import HeadwaterError
    from headwater.report.trace import render_trace

    project = copy_built(faulted_example("null_customer_email"), tmp_path / "project")
    (project / ".headwater").mkdir(exist_ok=True)  # the build's MLflow store lives there too
    (project / ".headwater" / "history.duckdb").write_bytes(b"not a database")
    result = trace(validation_result(FAULTS["null_customer_email"]), project_dir=project)
    assert result.failures[0].verdict == Verdict.TRACED
    assert result.notes and result.notes[0].startswith("history not used:")
    assert "note: history not used:" in render_trace(result, "text")
    with pytest.raises(HeadwaterError):
        trace(
            validation_result(FAULTS["null_customer_email"]),
            project_dir=project,
            history=f"duckdb:///{project / '.headwater' / 'history.duckdb'}",
        )
