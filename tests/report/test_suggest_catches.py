"""`--suggest` writes the check that would have caught the fault at its cause: run it there. The GX suite,
validated by GX on the cause's table, and the dbt test, merged into the project's YAML and run by `dbt test`,
fail on the faulted build and pass on the clean one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from headwater.contracts.odcs import read_odcs
from headwater.example.build import database_path
from headwater.example.dbt_runner import run_dbt
from headwater.example.faults import FAULTS
from headwater.report.build import build_report
from headwater.report.suggest import write_suggestions
from headwater.trace import trace
from tests.conftest import copy_built
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow

FAULT = "null_customer_email"  # a cause at a source column: the suggestion is a source test


@pytest.fixture(scope="module")
def suggested(faulted_example: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    result = trace(validation_result(FAULTS[FAULT]), project_dir=faulted_example(FAULT), use_history=False)
    (failure,) = result.failures
    assert failure.top is not None and failure.top.node == FAULTS[FAULT].truth.node
    paths = write_suggestions(build_report(result), tmp_path_factory.mktemp("suggestions"))
    return failure.top.relation, {p.name.split(".", 1)[1]: p for p in paths}


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


def _merge_dbt(project: Path, suggestion: Path) -> str:
    """Add the suggested source test to the YAML that declares that source table (dbt allows one entry per
    table); returns the test's name as dbt generates it."""
    (source,) = yaml.safe_load(suggestion.read_text())["sources"]
    (table,) = source["tables"]
    (column,) = table["columns"]
    for path in sorted((project / "models").rglob("*.yml")):
        doc: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
        for declared in doc.get("sources") or ():
            if declared["name"] != source["name"]:
                continue
            for entry in declared.get("tables") or ():
                if entry["name"] != table["name"]:
                    continue
                columns = entry.setdefault("columns", [])
                existing = next((c for c in columns if c["name"] == column["name"]), None)
                if existing is None:
                    columns.append(existing := {"name": column["name"]})
                existing.setdefault("data_tests", []).extend(column["data_tests"])
                path.write_text(yaml.safe_dump(doc, sort_keys=False))
                (test,) = column["data_tests"]
                return f"source_{test}_{source['name']}_{table['name']}_{column['name']}"
    raise AssertionError(f"no YAML of {project} declares source {source['name']}.{table['name']}")


def _dbt_status(project: Path, suggestion: Path) -> str:
    name = _merge_dbt(project, suggestion)
    run_dbt(project, "test", "--select", name, check=False)
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    (status,) = [r["status"] for r in results if r["unique_id"].split(".")[2] == name]
    return str(status)


def test_suggested_checks_catch_the_fault_at_its_cause(
    suggested, faulted_example: Callable[[str], Path], example_template: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    relation, files = suggested
    assert set(files) >= {"gx.json", "dbt.yml", "odcs.yaml"}
    # the ODCS rule is a contract headwater's own gate reads (open-data-contract-standard's model)
    contract, _ = read_odcs(files["odcs.yaml"])
    assert any(prop.quality for schema in contract.schema_ or () for prop in schema.properties or ())
    faulted = copy_built(faulted_example(FAULT), tmp_path / "faulted")
    clean = copy_built(example_template, tmp_path / "clean")
    assert _validate_gx(faulted, relation, files["gx.json"]) is False
    assert _validate_gx(clean, relation, files["gx.json"]) is True
    assert _dbt_status(faulted, files["dbt.yml"]) == "fail"
    assert _dbt_status(clean, files["dbt.yml"]) == "pass"
