"""`headwater trace` and `headwater gate` end to end on Spark, against the same answers on DuckDB, with every
table's checksum unchanged by them.

The project was compiled by dbt-duckdb: the trace parses its compiled SQL as DuckDB and every probe (the
instrumented model SQL of the code fault included) is rendered as Spark SQL, without the DuckDB file's
catalog in its names. The CLI runs in this process so that it finds the test run's SparkSession (a notebook
or a job on a cluster works the same way).

Cost: the shared session and example (`spark_example`), then one module run: a checksum pass, two traces and
a gate on Spark, a checksum pass; the DuckDB references take well under a second each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.trace import trace
from tests.conftest import run_cli
from tests.engines.spark_example import CODE_FAULT, DATA_FAULT, SparkExample, spark_checksums
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow
SPARK = "spark://local[2]"
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
    return Runs(traces, codes, gate, before, spark_checksums(spark))


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


def test_read_only_checksums_trace_and_gate_on_spark(runs: Runs, spark_example: SparkExample) -> None:
    """Every table's row count and hash are the same before and after the traces and the gate."""
    assert sorted(runs.before) == sorted(spark_example.tables) and all(n > 0 for n, _ in runs.before.values())
    assert runs.after == runs.before
