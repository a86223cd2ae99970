"""Accuracy on the example's fault list: the top root cause names the ground-truth node, column and
mechanism; plus controls (clean build, cause outside the lineage, an unrelated faulty column)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from headwater.cli import main
from headwater.example.build import database_path, rebuild_models
from headwater.example.fault_list import get_fault
from headwater.example.faults import FAULTS, UNTYPED, Fault
from headwater.trace import CauseKind, RootCause, TraceResult, Verdict, trace
from tests.trace.faultcases import REPO, SUITES, validation_result

pytestmark = pytest.mark.slow


def fault_lines(fault: Fault, project: Path, column: str) -> tuple[str, set[int]]:
    """The file and lines a fault's cause is written at: for a code fault, the lines its edit wrote; for a
    data or schema fault, the line of the source column's entry under its table in the YAML that declares
    it. Found here from the fault and the files, not from anything the tracer says."""
    if fault.edit is not None:
        file, _, new = fault.edit
        text = (project / file).read_text()
        first = text[: text.index(new)].count("\n") + 1
        return file, set(range(first, first + new.count("\n") + 1))
    table = fault.truth.node.rsplit(".", 1)[1]
    for path in sorted((project / "models").rglob("*.yml")):
        lines = path.read_text().splitlines()
        for start, line in enumerate(lines):
            head = re.match(rf"^(\s*)- name: {re.escape(table)}\s*$", line)
            if head is None or "sources:" not in "\n".join(lines[:start]):
                continue
            for number in range(start + 1, len(lines)):
                if re.match(rf"^{head.group(1)}- ", lines[number]):
                    break
                if re.search(rf"name: {re.escape(column)}\b", lines[number]):
                    return str(path.relative_to(project)), {number + 1}
    raise LookupError(f"{fault.id}: no YAML entry for {table}.{column}")


def names_the_place(fault: Fault, project: Path, cause: RootCause) -> bool:
    """The cause is written where the fault is: its file, and one of the lines the fault edits."""
    file, lines = fault_lines(fault, project, cause.column)
    if cause.file != file or cause.line not in lines:
        return False
    return fault.truth.where in (project / file).read_text().splitlines()[cause.line - 1]


def assert_names_the_truth(fault_id: str, project: Path, result: TraceResult) -> None:
    """The top root cause is the fault's ground truth: node, column, mechanism, and the file and line it
    edits (a model's SQL line, or the source column's YAML line), with evidence SQL that re-runs as it is."""
    fault = get_fault(fault_id)
    (failure,) = result.failures
    assert failure.verdict == Verdict.TRACED, failure.reason
    top = failure.top
    assert top is not None
    got = (top.node, top.column, top.mechanism.value, top.file, top.line)
    assert top.node == fault.truth.node, got
    assert top.column in fault.truth.columns, got
    assert top.mechanism.value == fault.truth.mechanism, got
    assert top.summary and top.evidence.sql
    assert names_the_place(fault, project, top), (got, fault_lines(fault, project, top.column))
    assert not names_the_place(fault, project, replace(top, line=1)), "a cause forced to line 1 must not pass"
    with duckdb.connect(str(database_path(project)), read_only=True) as con:  # the evidence re-runs as is
        con.execute(top.evidence.sql).fetchall()
    assert result.exit_code == 0


def assert_right_without_history(fault_id: str, project: Path) -> None:
    """Without any history. A fault only the last good state can tell apart is `unknown`, never wrong."""
    result = trace(validation_result(get_fault(fault_id)), project_dir=project, use_history=False)
    if get_fault(fault_id).truth.needs_history:
        (failure,) = result.failures
        assert failure.verdict == Verdict.UNKNOWN, [(c.node, c.column, c.mechanism.value) for c in failure.root_causes]
        assert "headwater snapshot" in failure.reason
        return
    assert_names_the_truth(fault_id, project, result)


@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_top_root_cause_matches_ground_truth(faulted_example: Callable[[str], Path], fault_id: str) -> None:
    assert_right_without_history(fault_id, faulted_example(fault_id))


@pytest.mark.parametrize("fault_id", list(UNTYPED))
def test_undeclared_type_schema_fault(untyped_example: Callable[[str], Path], fault_id: str) -> None:
    """A renamed source column is a schema change with or without a declared type; a retyped one whose type
    nothing declares is `unknown` on today's data (the cast downstream is not blamed)."""
    assert_right_without_history(fault_id, untyped_example(fault_id))


def _all_expectations() -> dict[str, object]:
    suites = []
    for path in sorted(SUITES.glob("*.json")):
        suite = json.loads(path.read_text())
        suites.append(
            {
                "suite_name": path.stem,
                "results": [
                    {"success": False, "expectation_config": {"type": e["type"], "kwargs": e["kwargs"]}}
                    for e in suite["expectations"]
                ],
                "meta": {"batch_spec": {"table_name": path.stem, "schema_name": "marts"}},
            }
        )
    return {"validation_results": suites}


def test_control_clean_build_names_nothing(example_template: Path) -> None:
    result = trace(_all_expectations(), project_dir=example_template)
    assert result.failures
    assert {f.verdict for f in result.failures} == {Verdict.NOT_REPRODUCED}
    assert not any(f.root_causes for f in result.failures)
    assert result.exit_code == 0


def test_control_cause_outside_lineage_is_unknown(built_example: Path) -> None:
    # Someone writes to the mart directly: no model, no source explains it. Never name a node.
    with duckdb.connect(str(database_path(built_example))) as con:
        con.execute("UPDATE marts.dim_customers SET email = NULL WHERE customer_id % 25 = 0")
    result = trace(node="dim_customers", column="email", check="not_null", project_dir=built_example)
    (failure,) = result.failures
    assert failure.verdict == Verdict.UNKNOWN
    assert all(c.kind == CauseKind.UNKNOWN for c in failure.root_causes)
    assert "outside its lineage" in failure.reason
    assert result.exit_code == 1


def test_control_unrelated_faulty_column_is_not_blamed(built_example: Path) -> None:
    FAULTS["null_customer_email"].apply(built_example)
    with duckdb.connect(str(database_path(built_example))) as con:  # a second fault no failing check reads
        con.execute("UPDATE raw.customers SET first_name = NULL WHERE customer_id % 7 = 0")
    rebuild_models(built_example, score=False)
    result = trace(_all_expectations(), project_dir=built_example)
    traced = [f for f in result.failures if f.verdict != Verdict.NOT_REPRODUCED]
    assert [(f.relation, f.column) for f in traced] == [("marts.dim_customers", "email")]
    named = {(c.node, c.column) for f in result.failures for c in f.root_causes}
    assert named == {("source.headwater_example.shop.customers", "email")}


def test_gx_failure_on_a_vanished_column_is_a_schema_change(faulted_example: Callable[[str], Path]) -> None:
    # GX raises on a missing column; the tracer treats it as a failure to trace, not as a usage error
    raw = validation_result(FAULTS["rename_product_name"])
    raw["results"][0]["expectation_config"] = {  # type: ignore[index]
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "product_name"},
    }
    (failure,) = trace(raw, project_dir=faulted_example("rename_product_name")).failures
    assert failure.top is not None
    assert (failure.top.node, failure.top.column, failure.top.mechanism.value) == (
        "source.headwater_example.shop.products",
        "product_name",
        "schema_change",
    )


def test_unknown_expectation_type_is_untraceable(example_template: Path) -> None:
    raw = validation_result(FAULTS["null_customer_email"])
    raw["results"][0]["expectation_config"]["type"] = "expect_column_pair_values_to_be_equal"  # type: ignore[index]
    (failure,) = trace(raw, project_dir=example_template).failures
    assert failure.verdict == Verdict.UNTRACEABLE
    assert "expect_column_pair_values_to_be_equal" in failure.reason


def test_row_provenance_follows_keys_upstream(faulted_example: Callable[[str], Path]) -> None:
    project = faulted_example("null_customer_email")
    (failure,) = trace(node="dim_customers", column="email", check="not_null", project_dir=project, rows=3).failures
    assert len(failure.rows) == 3
    for row in failure.rows:
        assert row.row["email"] is None
        sources = [u for u in row.upstream if u.node == "source.headwater_example.shop.customers"]
        assert sources and all(u.values["email"] is None for u in sources)


def test_cli_formats_and_exit_codes(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = faulted_example("orphan_order_customers")
    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(validation_result(FAULTS["orphan_order_customers"])))
    with pytest.raises(SystemExit) as done:
        main(["trace", str(result_file), "--project-dir", str(project), "--format", "json"])
    assert done.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"version", "summary", "failures", "exit_code"}
    (failure,) = report["failures"]
    assert set(failure) >= {"expectation", "node", "column", "check", "verdict", "root_causes", "path", "probes"}
    cause = failure["root_causes"][0]
    assert set(cause) >= {"kind", "node", "relation", "column", "expression", "file", "line", "mechanism", "evidence"}
    # orphans at the source: the join misses because raw.orders carries customer ids raw.customers lacks
    assert (cause["node"], cause["mechanism"]) == ("source.headwater_example.shop.orders", "source_data")
    assert cause["line"] and "finds no match" in cause["summary"]
    assert all(set(p) >= {"sql", "rows", "seconds"} for p in failure["probes"])

    out = tmp_path / "trace.md"
    with pytest.raises(SystemExit) as done:
        main(["trace", str(result_file), "--project-dir", str(project), "--format", "md", "--out", str(out)])
    assert done.value.code == 0 and out.read_text().startswith("# headwater trace")

    with pytest.raises(SystemExit) as done:
        main(["trace", "--node", "fct_order", "--column", "x", "--check", "not_null", "--project-dir", str(project)])
    assert done.value.code == 2
    assert "Did you mean 'fct_orders'" in capsys.readouterr().err

    with pytest.raises(SystemExit) as done:
        main(
            [
                "trace",
                str(result_file),
                "--project-dir",
                str(project),
                "--warehouse",
                "postgresql://nobody@127.0.0.1:1/none",
            ]
        )
    assert done.value.code == 3

    with pytest.raises(SystemExit) as done:
        main(
            [
                "trace",
                "--node",
                "fct_orders",
                "--column",
                "customer_region",
                "--check",
                "not_null",
                "--project-dir",
                str(project),
            ]
        )
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "LEFT JOIN" in text and len(text.splitlines()) < 25


def test_real_gx_checkpoint_result(faulted_example: Callable[[str], Path], tmp_path: Path) -> None:
    """The JSON GX itself writes (through headwater.gx's checkpoint) is what the tracer reads."""
    from headwater.gx.checkpoint import run_marts_checkpoint

    project = faulted_example("payment_cast_narrowed")
    context_root = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations", context_root, ignore=shutil.ignore_patterns("uncommitted"))
    outcome = run_marts_checkpoint(context_root, database_path(project))
    assert not outcome.success
    result = trace(outcome.result_path, project_dir=project)
    by_column = {(f.relation, f.column): f for f in result.failures}
    failure = by_column[("marts.mart_fraud_features", "amount")]
    assert failure.top is not None
    assert (failure.top.node, failure.top.mechanism.value) == ("model.headwater_example.stg_payments", "cast_failure")


def test_failures_sharing_a_cause_are_one_incident(faulted_example: Callable[[str], Path]) -> None:
    """The lower-cased country join breaks two marts' checks: one incident, one root cause, both checks, and
    the models downstream of the cause; the text leads with it."""
    from headwater.report.trace import render_trace

    result = trace(_all_expectations(), project_dir=faulted_example("country_join_lowercased"), use_history=False)
    (incident,) = result.incidents
    assert (incident.cause.node, incident.cause.mechanism.value) == (
        "model.headwater_example.int_orders_enriched",
        "expression",
    )
    assert sorted(incident.failures) == [
        "marts.fct_orders.customer_region not_null",
        "marts.mart_fraud_features.fraud_score most common value share < 0.55",
    ]
    assert {"model.headwater_example.fct_orders", "model.headwater_example.mart_fraud_features"} <= set(
        incident.downstream
    )
    # the blast radius names the checks that read the cause's descendants: GX expectations of the result
    # (passed ones too) and the project's dbt tests
    readers = set(incident.checks)
    assert any(r.startswith("mart_fraud_features: ") and "(fraud_score)" in r for r in readers), readers
    assert any(r.startswith("fct_orders: ") and "(order_id)" in r for r in readers), readers
    assert any(r.startswith("dbt test ") and "fct_orders" in r for r in readers), readers
    assert render_trace(result, "text").startswith("incident 1: expression at int_orders_enriched")
    assert json.loads(render_trace(result, "json"))["incidents"][0]["failures"] == list(incident.failures)
