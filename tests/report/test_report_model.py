"""The report model on a real traced fault: every format carries the root cause, the SQL evidence and what
was ruled out; the five whys has one numbered step per failing hop; `--suggest` writes a GX suite that GX loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS
from headwater.report.build import build_report, failing_chain
from headwater.report.suggest import write_suggestions
from headwater.report.trace import render_trace
from headwater.trace import trace
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow

FAULT = "null_customer_email"


@pytest.fixture(scope="module")
def traced(faulted_example: Callable[[str], Path]):  # type: ignore[no-untyped-def]
    project = faulted_example(FAULT)
    return trace(validation_result(FAULTS[FAULT]), project_dir=project, use_history=False)


def test_every_format_carries_cause_sql_and_ruled_out(traced) -> None:  # type: ignore[no-untyped-def]
    (incident,) = build_report(traced).incidents
    assert incident.node == FAULTS[FAULT].truth.node and incident.evidence.sql.startswith("SELECT")
    sql_words = " ".join(incident.evidence.sql.split())
    candidates = [c.subject for c in incident.ruled_out]
    for fmt in ("text", "json", "md", "html"):
        out = render_trace(traced, fmt, sql=True)
        flat = " ".join(out.replace("&#34;", '"').replace("&quot;", '"').split())
        assert incident.root_cause.rstrip(".")[:80] in flat.replace("&#39;", "'").replace("&lt;", "<"), fmt
        assert sql_words[:60] in flat or fmt == "json", fmt
        assert all(c in flat for c in candidates), fmt
    data = json.loads(render_trace(traced, "json"))
    assert data["report_version"] == 1 and data["report"]["incidents"][0]["evidence"]["sql"] == incident.evidence.sql


def test_five_whys_one_per_hop(traced) -> None:  # type: ignore[no-untyped-def]
    (incident,) = build_report(traced).incidents
    chain = failing_chain(incident.path)
    assert [w.number for w in incident.whys] == list(range(1, len(chain) + 1))
    assert all(any(ch.isdigit() for ch in w.question) for w in incident.whys)


def test_suggested_expectation_loads_into_gx(traced, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    paths = write_suggestions(build_report(traced), tmp_path)
    suite_file = next(p for p in paths if p.name.endswith(".gx.json"))
    data = json.loads(suite_file.read_text())
    suite = gx.ExpectationSuite(name=data["name"])
    for config in data["expectations"]:
        suite.add_expectation_configuration(ExpectationConfiguration(**config))
    assert suite.expectations[0].column == "email"
