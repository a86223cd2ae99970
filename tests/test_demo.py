"""`make demo`, end to end on a private copy: build, checkpoint (passes), a git repository and a snapshot of
the good state, a committed code fault, checkpoint (fails), and a trace against the last good state that
names the ground truth and shows the timeline and the diff; then an ML incident traced from the fraud model's
prediction check through the feature to its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.demo import DEFAULT_FAULT, console, run_demo
from tests.conftest import TEST_ROWS, copy_built
from tests.gx.test_marts_checkpoint import fresh_context_root

pytestmark = pytest.mark.slow


def test_demo_traces_a_committed_code_fault_against_the_snapshot(example_template: Path, tmp_path: Path) -> None:
    project = copy_built(example_template, tmp_path / "example")  # step 1 is `build_example`, as the fixture's
    with console.capture() as captured:
        code = run_demo(project, fresh_context_root(tmp_path), DEFAULT_FAULT, TEST_ROWS, tmp_path / "demo", built=True)
    out = " ".join(captured.get().split())  # the console wraps long lines
    assert code == 0, out[-3000:]
    assert "all 34 expectations passed" in out
    assert "snapshot " in out and "relations profiled" in out  # the good state was recorded
    assert "decided by code: the compiled SQL of stg_products differs" in out
    assert "now code stg_products: code changed" in out  # the timeline
    assert "- cast(unit_price_cents as decimal(12, 2)) / 100 as unit_price" in out  # the diff behind it
    assert "the top root cause matches" in out
    assert (tmp_path / "demo" / "project" / ".headwater" / "history.duckdb").is_file()
    # 7. the ML incident: the prediction check, the feature's attribution numbers, the source behind it
    assert "expect_column_most_common_value_share_to_be_below" in out
    assert "have `customer_country` NULL" in out
    assert "raw.orders" in out or "shop.orders" in out
    assert (tmp_path / "demo" / "ml" / "trace.md").is_file()
