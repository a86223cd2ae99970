"""The example on PostgreSQL end to end: every fault of the list traced with the same ground truth as on
DuckDB, the gate, a snapshot and the committed marts suites (GX's own PostgreSQL datasource) on the same
warehouse, and the warehouse's checksums unchanged by them.

Cost: one `dbt build` on PostgreSQL per session, then per fault a database fork (CREATE DATABASE ... TEMPLATE)
and a `dbt run` of only the models downstream of what the fault changed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.trace import Verdict, trace
from tests.conftest import run_cli
from tests.engines.checksums import postgres_checksums
from tests.engines.conftest import PgExample
from tests.trace.faultcases import validation_result

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

COMMITTED = Path(__file__).resolve().parents[2] / "expectations" / "gx" / "expectations"
Fork = Callable[[str], PgExample]
Use = Callable[[PgExample], PgExample]


# The whole fault list, as on DuckDB: each fault costs a database copy, a partial rebuild and a trace on the
# server (~7-15 s). HEADWATER_PG_FAULTS=some keeps one fault per kind of mechanism the SQL differs in
# (source data, schema, join, fan-out, the portable cast macro), for a quick run.
_SOME = (
    "null_customer_email",
    "retype_payment_amount",
    "items_join_inner_to_left",
    "fraud_join_key_fanout",
    "payment_cast_narrowed",
)
_CHOSEN = list(_SOME) if os.environ.get("HEADWATER_PG_FAULTS") == "some" else list(FAULTS)


@pytest.mark.parametrize("fault_id", _CHOSEN)
def test_fault_traced_on_postgres(pg_faulted: Fork, on_pg: Use, fault_id: str) -> None:
    fault = FAULTS[fault_id]
    example = on_pg(pg_faulted(fault_id))
    assert example.sync is not None and all(r.ok for r in example.sync.dbt[1:]), "docs generate failed"
    result = trace(validation_result(fault), project_dir=example.project, use_history=False)
    assert result.warehouse.startswith("postgresql://")
    (failure,) = result.failures
    if fault.truth.needs_history:
        assert failure.verdict == Verdict.UNKNOWN, [(c.node, c.column, c.mechanism.value) for c in failure.root_causes]
        return
    assert failure.verdict == Verdict.TRACED, failure.reason
    top = failure.top
    assert top is not None
    got = (top.node, top.column, top.mechanism.value, top.file, top.line)
    assert (top.node, top.mechanism.value) == (fault.truth.node, fault.truth.mechanism), got
    assert top.column in fault.truth.columns, got
    assert top.file and top.line, got
    assert fault.truth.where in (example.project / top.file).read_text().splitlines()[top.line - 1], got
    conn = example.server.connect()
    try:
        with conn.cursor() as cur:  # the evidence re-runs as is, in PostgreSQL's dialect
            cur.execute(top.evidence.sql)
            cur.fetchall()
    finally:
        conn.close()


def test_gate_traces_a_data_rule_on_postgres(pg_faulted: Fork, on_pg: Use, capsys: pytest.CaptureFixture[str]) -> None:
    example = on_pg(pg_faulted("unknown_payment_method"))
    code = run_cli(["gate", "--project-dir", str(example.project), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1, out
    contracts = {c["name"]: c for c in json.loads(out)["contracts"]}
    findings = contracts["mart_fraud_features"]["findings"]
    described = [(f["category"], f.get("column"), (f.get("cause") or {}).get("node")) for f in findings]
    assert described == [("quality_failed", "payment_method", FAULTS["unknown_payment_method"].truth.node)], described


def marts_suites_on_postgres(example: PgExample) -> dict[str, bool]:
    """The committed marts suites through GX's PostgreSQL datasource, a whole-table batch per suite's
    relation: suite name -> success. (A checkpoint of the example's GX context is DuckDB's.)"""
    import great_expectations as gx

    import headwater.gx  # noqa: F401  (registers headwater's expectations)
    from headwater.gx.spark import load_suites, suite_relation

    context = gx.get_context(mode="ephemeral")
    url = example.server.url().replace("postgresql://", "postgresql+psycopg2://", 1)
    source = context.data_sources.add_postgres("warehouse", connection_string=url)
    outcome: dict[str, bool] = {}
    for suite in load_suites(COMMITTED):
        schema, table = suite_relation(suite).split(".")
        batch = source.add_table_asset(table, table_name=table, schema_name=schema).add_batch_definition_whole_table(
            "all"
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=context.suites.add(suite))
        )
        result = definition.run()
        raised = [r for r in result.results if (r.exception_info or {}).get("raised_exception")]
        assert not raised, (suite.name, [r.exception_info.get("exception_message") for r in raised])
        outcome[suite.name] = bool(result.success)
    return outcome


def test_read_only_checksums_snapshot_trace_gate(
    pg_faulted: Fork, on_pg: Use, tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every table's rows and hash are the same before and after the marts suites, snapshot, trace and gate."""
    example = on_pg(pg_faulted("null_customer_email"))
    admin = example.server.connect()
    try:
        before = postgres_checksums(admin)
        assert len(before) >= 10 and before["raw.customers"][0] > 0
        suites = marts_suites_on_postgres(example)
        # every suite ran; only the fault's fails (the committed contracts' DuckDB types hold on PostgreSQL)
        assert len(suites) == len(list(COMMITTED.glob("*.json"))), suites
        assert [name for name, ok in suites.items() if not ok] == [FAULTS["null_customer_email"].expectation.model]
        history = f"duckdb:///{tmp_path}/history.duckdb"
        report = record_snapshot(SnapshotOptions(project_dir=example.project, history=history))
        assert report.queries > 0 and report.snapshot.profiles
        assert any(p.unique_id.endswith("dim_customers") for p in report.snapshot.profiles)
        traced = trace(node="dim_customers", column="email", check="not_null", project_dir=example.project)
        assert traced.failures[0].verdict == Verdict.TRACED
        assert run_cli(["gate", "--project-dir", str(example.project), "--format", "json"]) in (0, 1)
        capsys.readouterr()
        assert postgres_checksums(admin) == before
    finally:
        admin.close()
