"""The demo's last section: an ML incident traced end to end, prediction check -> feature -> source."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.demo import console, run_ml_incident

pytestmark = pytest.mark.slow


def test_demo_ml_incident_names_the_feature_and_its_source(example_template: Path, tmp_path: Path) -> None:
    with console.capture() as captured:
        found = run_ml_incident(example_template, tmp_path / "demo")
    out = " ".join(captured.get().split())
    assert found, out[-3000:]
    assert "expect_column_most_common_value_share_to_be_below" in out
    assert "have `customer_country` NULL" in out  # the attribution numbers, in the report
    assert "raw.orders" in out or "shop.orders" in out
    assert (tmp_path / "demo" / "ml" / "trace.md").is_file()
