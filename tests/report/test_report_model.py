"""The report model on real traced faults: every format carries the root cause, the SQL evidence and what
was ruled out; the five whys has one numbered step per failing hop, with its numbers; the Markdown ticket
has its sections; with a last good state the report has the timeline, the diff and the before/after chart."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.report.build import build_report, failing_chain
from headwater.report.model import Category, IncidentReport, Verdict
from headwater.report.suggest import write_suggestions
from headwater.report.trace import render_trace
from headwater.trace import trace
from headwater.trace.model import TraceResult
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow

FAULT = "null_customer_email"  # a source fault, traced without history
JOIN_FAULT = "orphan_order_customers"  # the example: the LEFT JOIN finds no customer for some keys
HISTORY_FAULT = "product_price_unit_dropped"  # a code fault, traced against the last good state


@pytest.fixture(scope="module")
def traced(faulted_example: Callable[[str], Path]) -> TraceResult:
    return trace(validation_result(FAULTS[FAULT]), project_dir=faulted_example(FAULT), use_history=False)


@pytest.fixture(scope="module")
def joined(faulted_example: Callable[[str], Path]) -> TraceResult:
    return trace(validation_result(FAULTS[JOIN_FAULT]), project_dir=faulted_example(JOIN_FAULT), use_history=False)


@pytest.fixture(scope="module")
def with_history(
    faulted_example: Callable[[str], Path], example_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> TraceResult:
    history = f"duckdb:///{tmp_path_factory.mktemp('history') / 'history.duckdb'}"
    record_snapshot(SnapshotOptions(project_dir=example_template, history=history))
    return trace(validation_result(FAULTS[HISTORY_FAULT]), project_dir=faulted_example(HISTORY_FAULT), history=history)


def _flat(text: str) -> str:
    for entity, char in (("&#34;", '"'), ("&quot;", '"'), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">")):
        text = text.replace(entity, char)
    return " ".join(re.sub(r"</?code>", "`", text).split())


@pytest.mark.parametrize("case", ["traced", "with_history"])
def test_every_format_carries_cause_sql_and_ruled_out(case: str, request: pytest.FixtureRequest) -> None:
    result: TraceResult = request.getfixturevalue(case)
    (incident,) = build_report(result).incidents
    assert incident.evidence.sql.startswith("SELECT")
    sql_words = " ".join(incident.evidence.sql.split())
    candidates = [c.subject for c in incident.ruled_out]
    for fmt in ("text", "json", "md", "html"):
        flat = _flat(render_trace(result, fmt, sql=True))
        assert incident.root_cause.rstrip(".")[:80] in flat, fmt
        assert sql_words[:60] in flat or fmt == "json", fmt
        assert all(c in flat for c in candidates), fmt
    data = json.loads(render_trace(result, "json"))
    assert data["report_version"] == 1
    reported = data["report"]["incidents"][0]
    assert reported["evidence"]["sql"] == incident.evidence.sql
    assert set(reported["fishbone"]) == {c.value for c in Category}
    assert sum(len(found) for found in reported["fishbone"].values()) == len(incident.ruled_out)


def _whys_follow_the_path(incident: IncidentReport) -> None:
    chain = failing_chain(incident.path)
    past = 0 if chain[-1].node == incident.node else 1  # a cause diagnosed past the last re-run check
    assert [w.number for w in incident.whys] == list(range(1, len(chain) + past + 1))
    assert [w.node for w in incident.whys[: len(chain)]] == [h.node for h in chain]
    for why, hop in zip(incident.whys, chain, strict=False):
        assert hop.failing is not None and f"{hop.failing:,}" in why.question, why.question
        assert re.search(r"\d", why.answer), why.answer
    assert incident.whys[-1].answer.removeprefix("Because ").rstrip(".") in incident.root_cause  # answered by it


def test_five_whys_one_per_hop(traced: TraceResult) -> None:
    (incident,) = build_report(traced).incidents
    assert incident.node == FAULTS[FAULT].truth.node
    _whys_follow_the_path(incident)


def test_five_whys_of_a_join_miss_name_the_key_and_the_join(joined: TraceResult) -> None:
    """fct_orders.customer_region is NULL because the join key finds no customer, because the keys are
    absent at the source: one step per hop, each with its row count."""
    (incident,) = build_report(joined).incidents
    assert incident.node == FAULTS[JOIN_FAULT].truth.node
    _whys_follow_the_path(incident)
    key = next(w for w in incident.whys if "join key" in w.answer)
    assert "source." not in key.answer and "shop.orders.customer_id" in key.answer  # dbt ids shortened
    assert "int_orders_enriched.sql:" in incident.whys[-1].answer  # the last why names the join's line


def test_history_gives_timeline_diff_chart_and_verdicts(with_history: TraceResult) -> None:
    (incident,) = build_report(with_history).incidents
    assert incident.node == FAULTS[HISTORY_FAULT].truth.node
    dated = [e.at for e in incident.timeline if e.at != "now"]
    assert dated and dated == sorted(dated) and incident.timeline[-1].at == "now"  # oldest first, changes last
    assert any("code changed" in line for line in incident.diff)
    by_subject = {(c.category, c.subject): c.verdict for c in incident.ruled_out}
    assert by_subject[(Category.CODE, f"code of {incident.label}")] == Verdict.CONVICTED
    inputs = [c for c in incident.ruled_out if c.subject.startswith("shop.products.")]
    assert inputs and all(c.verdict == Verdict.RULED_OUT for c in inputs)  # the input failed the same way before
    (before_after,) = [c for c in incident.charts if "before / after" in c.title]
    assert [b.label for b in before_after.bars] == ["last good", "now"] and all(b.value > 0 for b in before_after.bars)
    page = render_trace(with_history, "html")
    assert re.search(rf"<strong>{re.escape(before_after.title)}</strong></figcaption>\s*<svg", page)


def test_markdown_ticket_has_its_sections_in_order(with_history: TraceResult) -> None:
    ticket = render_trace(with_history, "md")
    (incident,) = build_report(with_history).incidents
    headings = ["**Summary.**", "### Evidence", "### Timeline", "### Five whys", "### Ruled out", "### Fix",
                "### Prevention", "## Failures in detail"]  # fmt: skip
    at = [ticket.index(h) for h in headings]
    assert at == sorted(at), dict(zip(headings, at, strict=True))
    assert f"At `{incident.fix.location}`" in ticket and "```yaml" in ticket and "```json" in ticket


def test_suggested_expectation_loads_into_gx(traced: TraceResult, tmp_path: Path) -> None:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    paths = write_suggestions(build_report(traced), tmp_path)
    suite_file = next(p for p in paths if p.name.endswith(".gx.json"))
    data = json.loads(suite_file.read_text())
    suite = gx.ExpectationSuite(name=data["name"])
    for config in data["expectations"]:
        suite.add_expectation_configuration(ExpectationConfiguration(**config))
    assert suite.expectations[0].column == "email"


def test_text_is_styled_for_a_terminal(traced: TraceResult) -> None:
    """At a terminal the text report is printed with rich styles: the same words, the cause in red."""
    import io

    from rich.console import Console

    from headwater.report.trace_text import styled

    text = render_trace(traced, "text")
    assert text.startswith("incident 1: ")  # incidents first
    shown = styled(text)
    assert shown.plain == text
    styles = {text[s.start : s.end]: str(s.style) for s in shown.spans}
    assert styles["  root cause: "] == "bold red"
    assert any(re.fullmatch(r"[\w./-]+\.ya?ml:\d+", word) and style == "cyan" for word, style in styles.items())
    screen = io.StringIO()
    Console(file=screen, force_terminal=True, color_system="standard", soft_wrap=True).print(shown)
    assert "\x1b[" in screen.getvalue() and re.sub(r"\x1b\[[\d;]*m", "", screen.getvalue()) == text + "\n"
