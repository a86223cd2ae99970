"""`headwater gate` and `headwater diff` on the built example: clean, each schema fault, a code fault.

Fixture builds are shared and read-only: every test copies the build it runs on (the gate writes its
lineage cache into target/).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.cli import main
from headwater.example.faults import FAULTS
from tests.conftest import copy_built

pytestmark = pytest.mark.slow

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


def run_cli(args: list[str]) -> int:
    """`main` exits with the code, or returns normally on success."""
    try:
        main(args)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


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


def test_data_rule_cause_follows_unchanged_values(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A data rule that fails on a mart is re-run upstream through passthrough/rename/cast edges only."""
    project = copy_built(faulted_example("unknown_payment_method"), tmp_path / "project")
    code, out, _ = gate(["--project-dir", str(project), "--format", "json"], capsys)
    assert code == 1
    contracts = {c["name"]: c for c in json.loads(out)["contracts"]}
    (mart,) = contracts["mart_fraud_features"]["findings"]
    assert mart["category"] == "quality_failed" and mart["column"] == "payment_method"
    # stg_payments lower()s the column: the walk stops there rather than claim more than it checked.
    assert mart["cause"]["node"] == "model.headwater_example.stg_payments"
    assert mart["cause"]["path"][0]["kind"] == "passthrough"
    (source,) = contracts["payments"]["findings"]
    assert source["category"] == "quality_failed" and source["cause"]["node"].endswith("shop.payments")
    assert "model.headwater_example.mart_fraud_features" in source["blast_radius"]["models"]
