"""`headwater trace`, `headwater gate` and `headwater snapshot` end to end on Spark, against the same answers on
DuckDB, with every table's checksum unchanged by them.

The project was compiled by dbt-duckdb: the trace parses its compiled SQL as DuckDB and every probe (the
instrumented model SQL of the code fault included) is rendered as Spark SQL, without the DuckDB file's
catalog in its names. The CLI runs in this process so that it finds the test run's SparkSession (a notebook
or a job on a cluster works the same way).

Cost: the shared session and example (`spark_example`), then one module run: a checksum pass, two traces, a
gate and a snapshot of the data fault's three relations (two Spark jobs each) on Spark, a checksum pass; the
DuckDB references take well under a second each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.history.model import Snapshot
from headwater.history.store import open_store
from headwater.trace import trace
from tests.conftest import run_cli
from tests.engines.spark_example import CODE_FAULT, DATA_FAULT, SparkExample, spark_checksums
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow
SPARK = "spark://local[2]"
# The data fault's path (null emails): a source, a view and a mart, with text, integer, decimal, date and
# timestamp columns. Not the whole example: each relation costs two Spark jobs.
SNAPSHOT_SELECT = "source:shop.customers stg_customers dim_customers"
# A contract the data fault breaks (a quality rule) next to a schema break (a required column that is not
# there): the gate reads the table's schema and runs the rule on Spark, and traces the rule's failure.
CONTRACT = """\
apiVersion: v3.0.2
kind: DataContract
id: urn:headwater:tests:spark
name: Spark gate
version: 1.0.0
status: active
schema:
  - name: dim_customers
    physicalName: marts.dim_customers
    physicalType: table
    properties:
      - {name: customer_id, logicalType: integer, required: true, unique: true}
      - name: email
        logicalType: string
        quality:
          - {metric: nullValues, mustBe: 0}
      - {name: loyalty_tier, logicalType: string, required: true}
"""


@dataclass(frozen=True)
class Runs:
    traces: dict[str, dict[str, Any]]  # fault id -> the JSON report of `headwater trace` on Spark
    codes: dict[str, int]  # fault id -> its exit code
    gate: tuple[int, dict[str, Any]]  # `headwater gate` on Spark: exit code, JSON report
    snapshot: tuple[int, Snapshot]  # `headwater snapshot` on Spark: exit code, the snapshot it stored
    before: dict[str, tuple[int, int]]
    after: dict[str, tuple[int, int]]



@pytest.fixture(scope="module")
def runs(spark: Any, spark_example: SparkExample, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Snapshot of checksums, the traces and the gate on Spark, checksums again: run once for the module."""
    folder = tmp_path_factory.mktemp("spark-runs")
    project = str(spark_example.project)
    before = spark_checksums(spark)
    traces, codes = {}, {}
    for fault_id in (CODE_FAULT, DATA_FAULT):
        result = folder / f"{fault_id}.json"
        result.write_text(json.dumps(validation_result(FAULTS[fault_id])))
        report = folder / f"{fault_id}.report.json"
        codes[fault_id] = run_cli(["trace", str(result), "--project-dir", project, "--warehouse", SPARK,
                                   "--no-history", "--format", "json", "--out", str(report)])
        traces[fault_id] = json.loads(report.read_text())
    gate_report = folder / "gate.json"
    contract = folder / "contract.odcs.yaml"
    contract.write_text(CONTRACT)
    gate_code = run_cli(["gate", "--project-dir", project, "--warehouse", SPARK, "--contract", str(contract),
                         "--format", "json", "--output", str(gate_report)])
    gate = (gate_code, json.loads(gate_report.read_text()))
    history = f"duckdb:///{folder}/history.duckdb"
    snap_code = run_cli(["snapshot", "--project-dir", project, "--warehouse", SPARK, "--select", SNAPSHOT_SELECT,
                         "--history", history, "--budget-seconds", "600"])  # fmt: skip
    stored = open_store(history, spark_example.project).latest()
    assert stored is not None
    return Runs(traces, codes, gate, (snap_code, stored), before, spark_checksums(spark))


def on_duckdb(example: SparkExample, fault_id: str) -> tuple[str, str, str, str, int | None]:
    result = trace(validation_result(FAULTS[fault_id]), project_dir=example.project,
                   warehouse=f"duckdb:///{database_path(example.project)}", use_history=False)
    top = result.failures[0].top
    assert top is not None
    return (top.node, top.column, top.mechanism.value, top.file, top.line)


@pytest.mark.parametrize("fault_id", [CODE_FAULT, DATA_FAULT])
def test_trace_on_spark_reaches_the_ground_truth(
    runs: Runs, spark: Any, spark_example: SparkExample, fault_id: str
) -> None:
    report, fault = runs.traces[fault_id], FAULTS[fault_id]
    assert report["warehouse"] == SPARK and runs.codes[fault_id] == 0, report["summary"]
    (failure,) = report["failures"]
    assert failure["verdict"] == "traced", failure["reason"]
    top = failure["root_causes"][0]
    got = (top["node"], top["column"], top["mechanism"], top["file"], top["line"])
    assert (top["node"], top["mechanism"]) == (fault.truth.node, fault.truth.mechanism), got
    assert top["column"] in fault.truth.columns, got
    assert got == on_duckdb(spark_example, fault_id)
    lines = (spark_example.project / top["file"]).read_text().splitlines()
    assert fault.truth.where in lines[top["line"] - 1], got
    probes = [p["sql"] for p in failure["probes"]]
    catalog = f"`{database_path(spark_example.project).stem}`."  # the DuckDB file's: no such catalog on Spark
    assert probes and all("`" in sql and catalog not in sql for sql in probes), probes
    spark.sql(top["evidence"]["sql"]).collect()  # the evidence re-runs as is, in Spark SQL


def test_gate_on_spark_matches_duckdb(
    runs: Runs, spark_example: SparkExample, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = runs.gate
    contract = tmp_path / "contract.odcs.yaml"
    contract.write_text(CONTRACT)
    on_duck = run_cli(["gate", "--project-dir", str(spark_example.project), "--contract", str(contract),
                       "--format", "json", "--warehouse", f"duckdb:///{database_path(spark_example.project)}"])
    duck = json.loads(capsys.readouterr().out)

    def findings(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(c["name"], c["status"], f["category"], f.get("column"), (f.get("cause") or {}).get("node"))
                for c in report["contracts"] for f in c["findings"]]

    assert report["actual_source"] == "warehouse" and code == on_duck == 1
    assert findings(report) == findings(duck)
    assert ("dim_customers", "broken", "quality_failed", "email", FAULTS[DATA_FAULT].truth.node) in findings(report)
    assert any(f[2] == "column_removed" and f[3] == "loyalty_tier" for f in findings(report))


def test_snapshot_on_spark_matches_duckdb(runs: Runs, spark_example: SparkExample, tmp_path: Path) -> None:
    """The columns Spark has (its own types) and their profiles: rows and NULLs exact, as on DuckDB; distinct
    counts and quantiles are Spark's sketches (approx_count_distinct, percentile_approx)."""
    code, spark_snap = runs.snapshot
    assert code == 0 and not spark_snap.skipped, spark_snap.skipped
    assert run_cli(["snapshot", "--project-dir", str(spark_example.project), "--select", SNAPSHOT_SELECT,
                    "--warehouse", f"duckdb:///{database_path(spark_example.project)}",
                    "--history", f"duckdb:///{tmp_path}/history.duckdb"]) == 0  # fmt: skip
    duck_snap = open_store(f"duckdb:///{tmp_path}/history.duckdb", spark_example.project).latest()
    assert duck_snap is not None

    def exact(snapshot: Snapshot) -> dict[str, tuple[int, tuple[tuple[str, int], ...]]]:
        return {p.unique_id: (p.row_count, tuple((c.column, c.null_count) for c in p.columns))
                for p in snapshot.profiles}  # fmt: skip

    assert len(spark_snap.profiles) == 3 and exact(spark_snap) == exact(duck_snap)
    emails = {p.unique_id: next(c for c in p.columns if c.column == "email") for p in spark_snap.profiles}
    assert all(c.null_count > 0 for c in emails.values()), emails  # the data fault, seen by the profile
    live = {s.unique_id: s for s in spark_snap.schemas if s.source == "information_schema"}
    assert sorted(live) == sorted(exact(spark_snap))  # read from Spark, not the DuckDB-typed catalog.json
    types = {c.data_type for s in live.values() for c in s.columns}
    assert "STRING" in types and "VARCHAR" not in types, types
    for profile in spark_snap.profiles:
        duck = next(p for p in duck_snap.profiles if p.unique_id == profile.unique_id)
        for ours, theirs in zip(profile.columns, duck.columns, strict=True):
            if ours.histogram:  # numbers: the exact ends, the inner edges within a tenth of the range
                low, high = theirs.histogram[0], theirs.histogram[-1]
                assert (ours.histogram[0], ours.histogram[-1]) == (low, high), ours.column
                span = max(high - low, 1.0)
                assert all(abs(a - b) <= span / 10 for a, b in zip(ours.histogram, theirs.histogram, strict=True))
            if ours.distinct_count is not None and theirs.distinct_count:  # both sketches: within 10 %
                assert abs(ours.distinct_count - theirs.distinct_count) <= 0.1 * theirs.distinct_count + 2


def test_read_only_checksums_trace_gate_snapshot_on_spark(runs: Runs, spark_example: SparkExample) -> None:
    """Every table's row count and hash are the same before and after the traces, the gate and the snapshot."""
    assert sorted(runs.before) == sorted(spark_example.tables) and all(n > 0 for n, _ in runs.before.values())
    assert runs.after == runs.before
