"""`headwater gate` and `headwater diff` on the built example: clean, each schema fault, a code fault.

Fixture builds are shared and read-only: every test copies the build it runs on (the gate writes its
lineage cache into target/).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS
from tests.conftest import copy_built, run_cli

pytestmark = pytest.mark.slow

GX_SUITES = Path(__file__).parents[2] / "expectations" / "gx" / "expectations"
SCHEMA_FAULTS = sorted(f.id for f in FAULTS.values() if f.kind == "schema")

# fault id -> (contract, category, column) the gate must report, and the node the upstream cause names.
EXPECTED: dict[str, list[tuple[str, str, str, str]]] = {
    "rename_product_name": [
        ("dim_products", "column_removed", "product_name", "source.headwater_example.shop.products"),
        ("products", "column_removed", "product_name", "source.headwater_example.shop.products"),
    ],
    "retype_payment_amount": [
        ("mart_fraud_features", "quality_failed", "amount", "source.headwater_example.shop.payments"),
        ("payments", "type_changed", "amount", "source.headwater_example.shop.payments"),
    ],
}



def gate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run_cli(["gate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_schema_faults_are_all_covered() -> None:
    assert sorted(EXPECTED) == SCHEMA_FAULTS


def test_clean_build_passes(built_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = gate(["--project-dir", str(built_example)], capsys)
    assert code == 0, out
    assert "5 contract(s), 0 broken" in out
    # Strict mode on the committed GX suites: their schema expectations allow widening (as GX does), so
    # dim_products' HUGEINT units_sold (declared bigint) is no change at all.
    args = ["--project-dir", str(built_example), "--contract", str(GX_SUITES), "--fail-on", "any"]
    code, out, _ = gate(args, capsys)
    assert code == 0, out
    assert "2 contract(s), 0 broken" in out and "~" not in out


def test_clean_build_passes_from_catalog(built_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = gate(["--project-dir", str(built_example), "--from-catalog"], capsys)
    assert code == 0, out
    assert "from the catalog" in out


@pytest.mark.parametrize("fault_id", SCHEMA_FAULTS)
def test_schema_fault_fails_with_category_and_cause(
    fault_id: str,
    faulted_example: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = copy_built(faulted_example(fault_id), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "json"], capsys)
    assert code == 1, out
    report = json.loads(out)
    assert report["verdict"] == "fail"
    found = {
        (c["name"], f["category"], f["column"]): f
        for c in report["contracts"]
        for f in c["findings"]
        if f["breaking"]
    }
    for contract, category, column, cause_node in EXPECTED[fault_id]:
        finding = found.get((contract, category, column))
        assert finding is not None, f"{contract} {category} {column} not in {sorted(found)}"
        assert finding["cause"]["node"] == cause_node
        assert finding["cause"]["column"] == column
    truth = FAULTS[fault_id].truth
    assert any(f["cause"]["node"] == truth.node for f in found.values())


def test_rename_names_the_staging_model_and_blast_radius(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("rename_product_name"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "json"], capsys)
    assert code == 1
    contracts = {c["name"]: c for c in json.loads(out)["contracts"]}
    (mart,) = [f for f in contracts["dim_products"]["findings"] if f["breaking"]]
    assert "renamed to title?" in mart["reason"]
    assert mart["cause"]["through"][0] == "model.headwater_example.stg_products"
    (source,) = [f for f in contracts["products"]["findings"] if f["breaking"]]
    assert "model.headwater_example.dim_products" in source["blast_radius"]["models"]
    assert any(c.startswith("dim_products") for c in source["blast_radius"]["contracts"])


def test_retype_cause_is_the_cast_in_staging(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("retype_payment_amount"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "text"], capsys)
    assert code == 1
    assert "upstream cause: source.headwater_example.shop.payments: column amount: type changed" in out
    assert "model.headwater_example.stg_payments.amount (cast at models/staging/stg_payments.sql" in out


def test_github_and_junit_formats(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("retype_payment_amount"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "github"], capsys)
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    assert any("shop_raw.odcs.yaml,line=" in line and "type_changed" in line for line in errors)
    # ...and a notice on the model line the break went through (the cast in stg_payments).
    notices = [line for line in out.splitlines() if line.startswith("::notice ")]
    assert any("models/staging/stg_payments.sql,line=" in line for line in notices)
    junit = tmp_path / "gate.xml"
    code, _, _ = gate(["--project-dir", str(project), "--format", "junit", "--output", str(junit)], capsys)
    assert code == 1
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures", "0")) == 2
    assert len(suite.findall("testcase/failure")) == 2


def test_unreachable_warehouse_exits_3(built_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--project-dir", str(built_example), "--warehouse", "postgresql://nobody@127.0.0.1:1/none"]
    code, out, _ = gate(args, capsys)
    assert code == 3, out
    assert "unreachable" in out
    code, _, _ = gate([*args, "--allow-unknown"], capsys)
    assert code == 0


def test_missing_duckdb_file_exits_3(
    built_example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = gate(
        ["--project-dir", str(built_example), "--warehouse", f"duckdb:///{tmp_path}/gone.duckdb"], capsys
    )
    assert code == 3


def test_state_flags_contract_changes(
    built_example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Disabling enforcement of dim_customers' contract is a breaking contract change since --state."""
    import orjson

    old_target = built_example / "target"
    new_target = tmp_path / "new_target"
    new_target.mkdir()
    manifest = orjson.loads((old_target / "manifest.json").read_bytes())
    node = manifest["nodes"]["model.headwater_example.dim_customers"]
    node["contract"]["enforced"] = False
    node["config"]["contract"]["enforced"] = False
    (new_target / "manifest.json").write_bytes(orjson.dumps(manifest))
    (new_target / "catalog.json").write_bytes((old_target / "catalog.json").read_bytes())
    args = ["--project-dir", str(built_example), "--target-path", str(new_target), "--state", str(old_target)]
    code, out, _ = gate([*args, "--format", "json"], capsys)
    assert code == 1, out
    (change,) = json.loads(out)["state_changes"]
    assert change["category"] == "enforcement_disabled" and change["node"].endswith("dim_customers")
    # The annotation points at the YAML that declares the contract, on the model's line.
    code, out, _ = gate([*args, "--format", "github"], capsys)
    yml = built_example / "models" / "marts" / "_marts.yml"
    line = 1 + yml.read_text().splitlines().index("  - name: dim_customers")
    assert f"_marts.yml,line={line},title=contract dim_customers%3A enforcement_disabled" in out


def test_diff_names_modified_model_breaking_change_and_blast_radius(
    example_template: Path,
    faulted_example: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = copy_built(faulted_example("items_join_inner_to_left"), tmp_path / "project")
    code = run_cli(
        [
            "diff",
            "--state",
            str(example_template / "target"),
            "--project-dir",
            str(project),
            "--format",
            "json",
            "--gx-dir",
            str(GX_SUITES),
        ]
    )
    assert code == 0
    models = {m["unique_id"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    changed = models["model.headwater_example.int_order_items_enriched"]
    assert changed["status"] == "modified" and changed["category"] == "breaking"
    assert "join inner → left" in changed["reason"]
    category = next(c for c in changed["columns"] if c["column"] == "category")
    assert category["category"] == "breaking"
    assert "model.headwater_example.fct_order_items" in changed["blast_radius"]["models"]
    assert any("not_null_fct_order_items_category" in t for t in changed["blast_radius"]["tests"])
    assert (
        "fct_order_items: expect_column_values_to_not_be_null(category)"
        in changed["blast_radius"]["gx_expectations"]
    )
    assert any(
        c.startswith("dim_customers (models/marts/_marts.yml:") for c in changed["blast_radius"]["contracts"]
    )
    # Nothing else was edited: the other models are not reported as modified.
    assert [m["unique_id"] for m in models.values() if m["status"] == "modified"] == [changed["unique_id"]]


def test_diff_partial_change_of_one_column(
    example_template: Path,
    faulted_example: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = copy_built(faulted_example("payment_cast_narrowed"), tmp_path / "project")
    args = ["diff", "--state", str(example_template / "target"), "--project-dir", str(project)]
    code = run_cli([*args, "--fail-on", "breaking"])
    out = capsys.readouterr().out
    assert code == 1, out  # the catalog shows decimal(12,2) → decimal(5,2): narrowed
    assert "model.headwater_example.stg_payments" in out
    assert "-cast `try_cast(amount as decimal(12, 2)) as amount`" in out
    assert "type narrowed decimal(12,2) → decimal(5,2)" in out


def test_data_rule_cause_is_traced_to_the_source(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data rule that fails on a mart is handed to `headwater.trace`, which re-runs it upstream (through
    stg_payments' lower(), which a plain passthrough walk would stop at) down to the source."""
    project = copy_built(faulted_example("unknown_payment_method"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "json"], capsys)
    assert code == 1
    contracts = {c["name"]: c for c in json.loads(out)["contracts"]}
    (mart,) = contracts["mart_fraud_features"]["findings"]
    assert mart["category"] == "quality_failed" and mart["column"] == "payment_method"
    assert mart["cause"]["node"] == FAULTS["unknown_payment_method"].truth.node
    assert mart["cause"]["mechanism"] == "source_data"
    (source,) = contracts["payments"]["findings"]
    assert source["category"] == "quality_failed" and source["cause"]["node"].endswith("shop.payments")
    assert "model.headwater_example.mart_fraud_features" in source["blast_radius"]["models"]


def test_fan_out_cause_is_the_join_in_the_mart(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("fraud_join_key_fanout"), tmp_path / "project")
    code, out, _ = gate(
        ["--project-dir", str(project), "--format", "json", "--gx-dir", str(GX_SUITES)], capsys
    )
    assert code == 1
    (mart,) = [c for c in json.loads(out)["contracts"] if c["name"] == "mart_fraud_features"]
    lost = next(f for f in mart["findings"] if f["category"] == "uniqueness_lost")
    assert lost["cause"]["mechanism"] == "fan_out"
    assert lost["cause"]["node"] == FAULTS["fraud_join_key_fanout"].truth.node
    assert lost["cause"]["file"] == "models/marts/mart_fraud_features.sql" and lost["cause"]["line"]
    assert (
        "mart_fraud_features: expect_column_values_to_be_unique(payment_id)"
        in lost["blast_radius"]["gx_expectations"]
    )
    # The table-level duplicateValues rule on payment_id gets the same cause.
    table_rule = next(f for f in mart["findings"] if f["category"] == "quality_failed")
    assert table_rule["cause"]["mechanism"] == "fan_out"


def test_narrowed_type_cause_is_the_cast(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_built(faulted_example("payment_cast_narrowed"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "github"], capsys)
    assert code == 1
    error = next(line for line in out.splitlines() if "type_changed" in line)
    assert "marts.odcs.yaml,line=" in error and "decimal(5,2)" in error
    notice = out.splitlines()[out.splitlines().index(error) + 1]
    sql = (project / "models" / "staging" / "stg_payments.sql").read_text().splitlines()
    line = 1 + next(i for i, text in enumerate(sql) if "try_cast" in text)
    assert notice.startswith(
        f"::notice file={os.path.relpath(project)}/models/staging/stg_payments.sql,line={line},"
    )


def test_failed_build_is_not_a_stale_pass(built_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model whose dbt run failed leaves last run's table in place: the gate reads run_results.json and
    reports the contracts on it, and on what dbt skipped below it, as broken, naming the failed model."""
    from headwater.example.build import rebuild_models

    sql = built_example / "models" / "staging" / "stg_products.sql"
    sql.write_text(sql.read_text().replace("*,", "*, no_such_column,"))
    rebuild_models(built_example, score=False)
    code, out, _ = gate(["--project-dir", str(built_example), "--format", "json"], capsys)
    assert code == 1, out
    contracts = {c["name"]: c for c in json.loads(out)["contracts"]}
    for name in ("dim_products", "dim_customers"):  # both downstream of stg_products, both skipped
        (finding,) = contracts[name]["findings"]
        assert finding["category"] == "build_failed" and "was skipped" in finding["reason"]
        assert finding["cause"]["node"] == "model.headwater_example.stg_products"
        assert "no_such_column" in finding["cause"]["reason"]


def test_diff_classifies_edits_on_a_compiled_project(
    built_example: Path, example_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real edits, compiled by dbt: an added projection is non-breaking, a changed expression partial, an
    added DISTINCT unknown (lineage does not see it), a reformatting non-breaking."""
    from headwater.example.build import database_path
    from headwater.example.dbt_runner import run_dbt

    models = built_example / "models" / "staging"
    edit = {
        "stg_products.sql": [("/ 100 as unit_price", "/ 1000 as unit_price,\n    1 as is_new")],
        "stg_order_items.sql": [("select\n", "select distinct\n")],
        "stg_customers.sql": [("select\n    customer_id,", "-- reformatted\nselect customer_id,")],
    }
    for name, replacements in edit.items():
        text = (models / name).read_text()
        for old, new in replacements:
            assert old in text, name
            text = text.replace(old, new)
        (models / name).write_text(text)
    run_dbt(built_example, "compile", duckdb_path=database_path(built_example))
    code = run_cli(["diff", "--state", str(example_template / "target"), "--project-dir", str(built_example),
                    "--format", "json", "--fail-on", "breaking"])  # fmt: skip
    report = {m["unique_id"].split(".")[-1]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert code == 0, report
    assert set(report) == {"stg_products", "stg_order_items", "stg_customers"}
    products = {c["column"]: c["category"] for c in report["stg_products"]["columns"]}
    assert products == {"unit_price": "partial_breaking", "is_new": "non_breaking"}
    assert report["stg_products"]["category"] == "partial_breaking"
    assert "model.headwater_example.dim_products" in report["stg_products"]["blast_radius"]["models"]
    assert report["stg_order_items"]["category"] == "unknown"
    assert report["stg_customers"]["category"] == "non_breaking"
