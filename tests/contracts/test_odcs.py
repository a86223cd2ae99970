"""ODCS v3 parsing: the example contracts, line numbers, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.cli import main
from headwater.contracts.model import ContractKind
from headwater.contracts.odcs import load_odcs
from headwater.errors import ContractError

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
EXAMPLE_CONTRACTS = HERE.parents[1] / "dbt_project_example" / "contracts"


def test_example_contracts_parse() -> None:
    raw = {c.name: c for c in load_odcs(EXAMPLE_CONTRACTS / "shop_raw.odcs.yaml")}
    assert set(raw) == {"products", "payments"}
    payments = raw["payments"]
    assert (payments.database, payments.schema, payments.identifier) == ("warehouse", "raw", "payments")
    assert payments.dialect == "duckdb"
    assert payments.origin.kind is ContractKind.ODCS
    amount = next(c for c in payments.columns if c.name == "amount")
    assert (amount.data_type, amount.logical_type, amount.required) == ("decimal(12,2)", "number", True)
    # Every column and rule knows its line, for error messages and GitHub annotations.
    text = (EXAMPLE_CONTRACTS / "shop_raw.odcs.yaml").read_text().splitlines()
    assert amount.line is not None and "name: amount" in text[amount.line - 1]
    rules = {r.metric: r for r in payments.quality}
    assert rules["invalidValues"].column == "payment_method"
    assert rules["invalidValues"].arguments["validValues"] == ["card", "paypal", "bank_transfer", "gift_card"]
    assert rules["rowCount"].column is None and rules["rowCount"].operator == "mustBeGreaterThan"
    assert "metric: rowCount" in text[rules["rowCount"].line - 1]


def test_marts_contract_table_level_duplicates() -> None:
    marts = {c.name: c for c in load_odcs(EXAMPLE_CONTRACTS / "marts.odcs.yaml")}
    fraud = marts["mart_fraud_features"]
    dup = next(r for r in fraud.quality if r.metric == "duplicateValues")
    assert dup.arguments["properties"] == ["payment_id"]
    assert (fraud.schema, fraud.identifier, fraud.database) == ("marts", "mart_fraud_features", None)


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        pytest.param("bad_yaml.odcs.yaml", 10, "invalid YAML", id="yaml-syntax"),
        pytest.param("bad_schema.odcs.yaml", 13, "required", id="schema-type"),
        pytest.param("bad_metric.odcs.yaml", 11, "averageValue", id="unknown-metric"),
        pytest.param("not_odcs.yaml", 1, "not an ODCS v3 contract", id="not-odcs"),
    ],
)
def test_errors_name_file_and_line(name: str, line: int, words: str) -> None:
    with pytest.raises(ContractError) as err:
        load_odcs(FIXTURES / name)
    message = str(err.value)
    assert f"{name}:{line}:" in message
    assert words in message
    assert "\n" not in message


def test_gate_exits_2_on_malformed_odcs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Parsing happens before any warehouse is contacted: a bad file is a config error, not "unknown".
    with pytest.raises(SystemExit) as done:
        main(
            [
                "gate",
                "--contract",
                str(FIXTURES / "bad_yaml.odcs.yaml"),
                "--warehouse",
                f"duckdb:///{tmp_path}/x",
            ]
        )
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "bad_yaml.odcs.yaml:10:" in err


def test_gate_exits_2_on_missing_contract_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["gate", "--contract", str(tmp_path / "nope.yaml"), "--warehouse", f"duckdb:///{tmp_path}/x"])
    assert done.value.code == 2
    assert "nope.yaml does not exist" in capsys.readouterr().err
