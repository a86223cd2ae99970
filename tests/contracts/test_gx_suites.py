"""GX suites read as plain JSON: schema contracts from expect_table_schema_to_match_contract, and the
column expectations a broken column reaches (blast radius)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.contracts.gx_suites import is_gx_suite, load_gx_suite, read_expectations
from headwater.contracts.model import ContractKind
from headwater.errors import ContractError
from tests.conftest import copy_built

EXAMPLE_CONTRACTS = Path(__file__).parents[2] / "dbt_project_example" / "contracts"
SRC = Path(__file__).parents[2] / "src"


def write_suite(
    folder: Path, name: str, table: str, schema: str, expectations: list[dict[str, object]]
) -> Path:
    path = folder / f"{name}.json"
    suite = {
        "name": name,
        "meta": {"headwater": {"table": table, "schema": schema}},
        "expectations": expectations,
    }
    path.write_text(json.dumps(suite))
    return path


def schema_expectation(**kwargs: object) -> dict[str, object]:
    return {"type": "expect_table_schema_to_match_contract", "kwargs": kwargs, "meta": {}}


def test_inline_and_odcs_contracts(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path,
        "dim_products",
        "dim_products",
        "marts",
        [
            schema_expectation(
                columns=[
                    {"name": "product_id", "data_type": "integer", "nullable": False},
                    {"name": "sku", "type": "varchar"},
                ],
                allow_extra=True,
            ),
            schema_expectation(
                odcs_path=str(EXAMPLE_CONTRACTS / "shop_raw.odcs.yaml"), odcs_schema="payments"
            ),
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sku"}},
        ],
    )
    assert is_gx_suite(path)
    inline, odcs = load_gx_suite(path)
    assert inline.origin.kind is ContractKind.GX and inline.origin.file == str(path)
    assert (inline.schema, inline.identifier) == ("marts", "dim_products")
    assert inline.columns[0].required and not inline.columns[1].required
    assert odcs.identifier == "payments" and odcs.origin.kind is ContractKind.GX
    expectations = read_expectations(path)
    assert [e.columns for e in expectations] == [(), (), ("sku",)]


def test_contract_with_no_source_is_an_error(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "s", "t", "main", [schema_expectation(allow_extra=False)])
    with pytest.raises(ContractError, match="names no contract"):
        load_gx_suite(path)


def test_the_gate_never_imports_great_expectations(tmp_path: Path) -> None:
    """Reading suites and every contracts module stays clear of the ~7 s GX import (fresh interpreter)."""
    path = write_suite(tmp_path, "s", "t", "main", [schema_expectation(columns=[{"name": "a"}])])
    code = (
        "import sys, pathlib\n"
        "import headwater.contracts.gate, headwater.contracts.render, headwater.contracts.render_diff\n"
        "import headwater.contracts.state_diff, headwater.commands.gate, headwater.commands.diff\n"
        "from headwater.contracts.gx_suites import load_gx_suite\n"
        f"load_gx_suite(pathlib.Path({str(path)!r}))\n"
        "assert 'great_expectations' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(SRC)})


@pytest.mark.slow
def test_gx_suite_contract_breaks_on_rename(
    faulted_example: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.contracts.test_gate_example import gate

    project = copy_built(faulted_example("rename_product_name"), tmp_path / "project")
    suites = tmp_path / "suites"
    suites.mkdir()
    suite = write_suite(
        suites,
        "dim_products",
        "dim_products",
        "marts",
        [
            schema_expectation(
                columns=[
                    {"name": "product_id", "data_type": "integer"},
                    {"name": "product_name", "data_type": "varchar"},
                ]
            ),
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "product_name"}},
        ],
    )
    code, out, _ = gate(["--project-dir", str(project), "--contract", str(suite), "--format", "json"], capsys)
    assert code == 1, out
    (result,) = json.loads(out)["contracts"]
    (finding,) = result["findings"]
    assert result["kind"] == "gx" and finding["category"] == "column_removed"
    assert finding["cause"]["node"] == "source.headwater_example.shop.products"
    # The source's own contract, with the GX suite in the blast radius.
    args = ["--project-dir", str(project), "--contract", str(project / "contracts"), "--gx-dir", str(suites)]
    code, out, _ = gate([*args, "--format", "json"], capsys)
    assert code == 1
    source = next(c for c in json.loads(out)["contracts"] if c["name"] == "products")
    blast = source["findings"][0]["blast_radius"]
    assert "dim_products: expect_column_values_to_not_be_null(product_name)" in blast["gx_expectations"]


def test_repository_suites_accept_widening_like_gx() -> None:
    """The committed mart suites declare `units_sold: bigint`; DuckDB's sum() gives HUGEINT. Like
    ExpectTableSchemaToMatchContract (allow_widening defaults to true), the gate accepts the widening."""
    suites = Path(__file__).parents[2] / "expectations" / "gx" / "expectations"
    contracts = [c for p in sorted(suites.glob("*.json")) for c in load_gx_suite(p)]
    assert contracts and all(c.allow_widening is True for c in contracts)


def test_allow_widening_false_is_kept(tmp_path: Path) -> None:
    path = write_suite(tmp_path, "t", "t", "main", [schema_expectation(columns=[{"name": "a", "data_type": "int"}],
                                                                        allow_widening=False)])  # fmt: skip
    (contract,) = load_gx_suite(path)
    assert contract.allow_widening is False
