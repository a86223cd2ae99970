"""`headwater trace --suggest DIR` writes the check that would have caught the fault at its cause: run each one
there. The GX suite, validated by GX on the cause's table, the dbt test, merged into the project's YAML and
run by `dbt test`, and the ODCS rule, evaluated by headwater's gate, fail on the faulted build and pass on the
clean one; for a fault at a source column and for one in a model's SQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from headwater.contracts.gate import GateOptions, run_gate
from headwater.contracts.model import QualityFailed
from headwater.contracts.odcs import read_odcs
from headwater.example.build import database_path
from headwater.example.dbt_runner import run_dbt
from headwater.example.faults import FAULTS
from tests.conftest import copy_built, run_cli
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow

FAULTS_AT = {
    "null_customer_email": "source",  # the cause is a source column: the suggestion is a source test
    "payment_cast_narrowed": "model",  # the cause is a model's cast: a model test on the staging column
}


@pytest.fixture(scope="module", params=sorted(FAULTS_AT), ids=lambda f: f"{FAULTS_AT[f]}-{f}")
def suggested(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest,
    faulted_example: Callable[[str], Path],
    tmp_path_factory: pytest.TempPathFactory,
):
    fault = request.param
    folder = tmp_path_factory.mktemp(f"suggest-{fault}")
    result_file = folder / "result.json"
    result_file.write_text(json.dumps(validation_result(FAULTS[fault])))
    report = folder / "report.json"
    code = run_cli(["trace", str(result_file), "--project-dir", str(faulted_example(fault)), "--no-history",
                    "--format", "json", "--out", str(report), "--suggest", str(folder / "suggestions")])  # fmt: skip
    assert code == 0
    (incident,) = json.loads(report.read_text())["report"]["incidents"]
    assert incident["node"] == FAULTS[fault].truth.node
    files = {p.name.split(".", 1)[1]: p for p in (folder / "suggestions").iterdir()}
    return fault, incident["prevention"], files


def _validate_gx(project: Path, relation: str, suite_file: Path) -> bool:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from headwater.gx.datasource import duckdb_url

    data = json.loads(suite_file.read_text())
    suite = gx.ExpectationSuite(name=data["name"])
    for config in data["expectations"]:
        suite.add_expectation_configuration(ExpectationConfiguration(**config))
    schema, table = relation.split(".")
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_duckdb("w", connection_string=duckdb_url(database_path(project)))
    try:
        batch = datasource.add_table_asset("t", table_name=table, schema_name=schema)
        return bool(batch.add_batch_definition_whole_table("all").get_batch().validate(suite).success)
    finally:
        datasource.close()


def _declared(suggestion: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(kind, name, the suggested column entry): kind `sources` names `source.table`, `models` the model."""
    if "sources" in suggestion:
        (source,) = suggestion["sources"]
        (table,) = source["tables"]
        (column,) = table["columns"]
        return "sources", f"{source['name']}.{table['name']}", column
    (model,) = suggestion["models"]
    (column,) = model["columns"]
    return "models", model["name"], column


def _merge_dbt(project: Path, suggestion: Path) -> str:
    """Add the suggested test to the YAML that declares its source table or model (dbt allows one entry per
    node); returns the test's name as dbt generates it."""
    kind, name, column = _declared(yaml.safe_load(suggestion.read_text()))
    (test,) = column["data_tests"]
    for path in sorted((project / "models").rglob("*.yml")):
        doc: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
        entries = [
            (f"{s['name']}.{t['name']}", t) for s in doc.get("sources") or () for t in s.get("tables") or ()
        ] if kind == "sources" else [(m["name"], m) for m in doc.get("models") or ()]  # fmt: skip
        for declared, entry in entries:
            if declared != name:
                continue
            columns = entry.setdefault("columns", [])
            existing = next((c for c in columns if c["name"] == column["name"]), None)
            if existing is None:
                columns.append(existing := {"name": column["name"]})
            existing.setdefault("data_tests", []).append(test)
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            prefix = f"source_{test}_{name.replace('.', '_')}" if kind == "sources" else f"{test}_{name}"
            return f"{prefix}_{column['name']}"
    raise AssertionError(f"no YAML of {project} declares {kind} {name}")


def _dbt_status(project: Path, suggestion: Path) -> str:
    name = _merge_dbt(project, suggestion)
    run_dbt(project, "test", "--select", name, check=False)
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    (status,) = [r["status"] for r in results if r["unique_id"].split(".")[2] == name]
    return str(status)


def _odcs_fails(project: Path, contract: Path) -> bool:
    """The ODCS rule as headwater's gate evaluates it on the warehouse: does it fail?"""
    report = run_gate(GateOptions(contracts=(contract,), warehouse_url=f"duckdb:///{database_path(project)}",
                                  explain=False))  # fmt: skip
    changes = [f.change for f in report.findings()]
    assert all(isinstance(c, QualityFailed) for c in changes), changes  # nothing else in a one-rule contract
    return bool(changes)


def test_suggested_checks_catch_the_fault_at_its_cause(  # type: ignore[no-untyped-def]
    suggested, faulted_example: Callable[[str], Path], example_template: Path, tmp_path: Path
) -> None:
    fault, prevention, files = suggested
    assert set(files) == {"gx.json", "dbt.yml", "odcs.yaml"}
    assert prevention["node"] == FAULTS[fault].truth.node  # written for the cause, not the mart that failed
    contract, _ = read_odcs(files["odcs.yaml"])  # open-data-contract-standard's own model reads it
    assert any(prop.quality for schema in contract.schema_ or () for prop in schema.properties or ())
    faulted = copy_built(faulted_example(fault), tmp_path / "faulted")
    clean = copy_built(example_template, tmp_path / "clean")
    relation = prevention["relation"]
    assert _validate_gx(faulted, relation, files["gx.json"]) is False
    assert _validate_gx(clean, relation, files["gx.json"]) is True
    assert _odcs_fails(faulted, files["odcs.yaml"]) is True
    assert _odcs_fails(clean, files["odcs.yaml"]) is False
    assert _dbt_status(faulted, files["dbt.yml"]) == "fail"
    assert _dbt_status(clean, files["dbt.yml"]) == "pass"
