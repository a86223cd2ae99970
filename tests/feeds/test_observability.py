"""headwater's own feeds on a real trace of a faulted example: JSON log lines, the Prometheus textfile, spans."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from headwater.feeds.sinks import install
from headwater.trace.api import trace
from tests.feeds.conftest import GxRun

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "headwater.cli", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def traced(gx_run: GxRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    metrics = tmp_path_factory.mktemp("metrics") / "headwater.prom"
    done = _cli("--log-format", "json", "--metrics", str(metrics), "trace", str(gx_run.full_result),
                "--project-dir", str(gx_run.project), "--no-history", "--format", "json")  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return done, metrics


def test_json_logs_parse_line_by_line_with_probes_and_verdicts(
    traced: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = traced
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == len([ln for ln in done.stderr.splitlines() if ln.strip()])  # nothing but JSON on stderr
    events = [line.get("event") for line in lines]
    assert {"artifacts", "lineage", "probe", "verdict", "trace"} <= set(events)
    probes = [line for line in lines if line.get("event") == "probe"]
    assert all(isinstance(p["seconds"], float) and isinstance(p["rows"], int) and p["relation"] for p in probes)
    report = json.loads(done.stdout)
    verdicts = [line for line in lines if line.get("event") == "verdict"]
    assert [v["verdict"] for v in verdicts] == [f["verdict"] for f in report["failures"]]
    assert sum(1 for _ in probes) == report["summary"]["probes"]


def test_metrics_file_parses_and_counts_the_run(traced: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, path = traced
    report = json.loads(done.stdout)
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    cmd = (("command", "trace"),)
    assert samples[("headwater_checks_traced_total", cmd)] == len(report["failures"])
    assert samples[("headwater_probes_total", cmd)] == report["summary"]["probes"]
    assert samples[("headwater_trace_seconds", cmd)] > 0
    traced_count = samples.get(("headwater_check_failures_total", (("command", "trace"), ("verdict", "traced"))), 0)
    assert traced_count == report["summary"]["traced"]
    mechanisms = {dict(k[1]).get("mechanism") for k in samples if k[0] == "headwater_root_causes_total"}
    assert {f["root_causes"][0]["mechanism"] for f in report["failures"] if f["root_causes"]} <= mechanisms
    assert not list(path.parent.glob("*.tmp*"))  # written to a temporary file and renamed


def test_spans_per_stage_reach_the_exporter(gx_run: GxRun) -> None:
    exporter = InMemorySpanExporter()
    sinks = install("trace", exporter=exporter)
    try:
        result = trace(gx_run.full_result, project_dir=gx_run.project, use_history=False)
    finally:
        sinks.finish(result.exit_code if "result" in locals() else 1)
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    assert names[-1] == "headwater trace"
    root = spans[-1]
    assert {"artifacts", "lineage", "probe", "verdict", "trace"} <= set(names)
    assert names.count("probe") == result.probe_count
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in spans[:-1])
    probe = next(s for s in spans if s.name == "probe")
    assert probe.end_time >= probe.start_time and "headwater.relation" in probe.attributes


def test_snapshot_metrics_and_logs(example_template: Path, tmp_path: Path) -> None:
    """`--metrics` of a snapshot: its duration and its probes, next to a JSON log line for the snapshot."""
    metrics = tmp_path / "snapshot.prom"
    history = tmp_path / "history.duckdb"
    done = _cli("--log-format", "json", "--metrics", str(metrics), "snapshot", "--project-dir", str(example_template),
                "--history", f"duckdb:///{history}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    (snapshot,) = [line for line in lines if line.get("event") == "snapshot"]
    probes = [line for line in lines if line.get("event") == "probe"]
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    cmd = (("command", "snapshot"),)
    assert samples[("headwater_snapshot_seconds", cmd)] == pytest.approx(snapshot["seconds"])
    assert samples[("headwater_snapshot_seconds", cmd)] > 0
    assert samples[("headwater_probes_total", cmd)] == len(probes) > 0
    assert samples[("headwater_checks_traced_total", cmd)] == 0  # a snapshot traces nothing
