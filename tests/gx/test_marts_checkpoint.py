"""The committed marts suites pass on the clean example, and each fault makes its expected expectation fail."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.gx.checkpoint import CheckpointOutcome, run_marts_checkpoint

REPO = Path(__file__).resolve().parents[2]
COMMITTED_SUITES = REPO / "expectations" / "gx" / "expectations"

# headwater check name (ExpectedFailure.check) -> GX expectation types that express it.
CHECK_TYPES: dict[str, set[str]] = {
    "not_null": {"expect_column_values_to_not_be_null"},
    "unique": {"expect_column_values_to_be_unique"},
    "between": {"expect_column_values_to_be_between"},
    "in_set": {"expect_column_values_to_be_in_set"},
    "freshness": {"expect_column_max_to_be_between", "expect_table_to_be_fresh"},
    "schema": {"expect_table_columns_to_match_set", "expect_table_schema_to_match_contract"},
    "distinct_set": {"expect_column_distinct_values_to_contain_set"},
    "most_common_share": {"expect_column_most_common_value_share_to_be_below"},
}

pytestmark = pytest.mark.slow


def fresh_context_root(tmp_path: Path) -> Path:
    """A context root holding only the committed suites, as a clean clone has it."""
    root = tmp_path / "expectations"
    shutil.copytree(COMMITTED_SUITES, root / "gx" / "expectations")
    return root


@pytest.fixture(scope="module")
def context_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One context for the module: ensure_context re-points its datasource at each warehouse copy.
    return fresh_context_root(tmp_path_factory.mktemp("gx"))


def mentions(outcome: CheckpointOutcome, suite: str, types: set[str], column: str) -> bool:
    for failure in outcome.failures:
        if failure.suite != suite or failure.expectation_type not in types:
            continue
        named = {failure.column, *(failure.kwargs.get("column_set") or [])}
        named |= {v.get("column") for v in (failure.result.get("details") or {}).get("violations") or []}
        if column in named:
            return True
    return False


def test_clean_build_passes(example_template: Path, context_root: Path) -> None:
    outcome = run_marts_checkpoint(context_root, database_path(example_template))
    assert outcome.success, [str(f) for f in outcome.failures]
    assert outcome.failures == ()
    assert outcome.evaluated >= 30
    raw = orjson.loads(outcome.result_path.read_bytes())
    assert raw["success"] is True
    assert {v["suite_name"] for v in raw["validation_results"]} == {
        p.stem for p in COMMITTED_SUITES.glob("*.json")
    }


def test_context_is_idempotent_and_keeps_the_checkpoint(example_template: Path, tmp_path: Path) -> None:
    root = fresh_context_root(tmp_path)
    run_marts_checkpoint(root, database_path(example_template))
    before = (root / "gx" / "checkpoints" / "marts.json").read_bytes()
    outcome = run_marts_checkpoint(root, database_path(example_template))
    assert outcome.success
    assert (root / "gx" / "checkpoints" / "marts.json").read_bytes() == before


@pytest.mark.parametrize("fault_id", sorted(FAULTS))
def test_fault_fails_its_expectation(
    fault_id: str, faulted_example: Callable[[str], Path], context_root: Path
) -> None:
    expected = FAULTS[fault_id].expectation
    outcome = run_marts_checkpoint(context_root, database_path(faulted_example(fault_id)))
    assert not outcome.success
    assert mentions(outcome, expected.model, CHECK_TYPES[expected.check], expected.column), (
        f"{fault_id}: expected {expected} to fail; failed: "
        + "; ".join(f"{f.suite}/{f.expectation_type}/{f.column}: {f.observed}" for f in outcome.failures)
    )
