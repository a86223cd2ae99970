"""Classification: schema differences and dbt contract changes, each with a one-line reason."""

from __future__ import annotations

from dataclasses import replace

import pytest

from headwater.contracts.check import check_schema
from headwater.contracts.dbt_contracts import contract_changes, contract_of
from headwater.contracts.gate import ContractResult, GateReport, exit_code
from headwater.contracts.model import (
    ActualColumn,
    ActualTable,
    ColumnAdded,
    ColumnRemoved,
    ColumnSpec,
    ConstraintRemoved,
    ContractKind,
    EnforcementDisabled,
    Finding,
    MaterializationChanged,
    NullableWhereRequired,
    Origin,
    TableContract,
    TableMissing,
    TypeChanged,
    Unevaluated,
)
from headwater.contracts.types import TypeChange
from headwater.dbt import Column, Contract, Node

ORIGIN = Origin(ContractKind.ODCS, "contracts/payments.yaml", 3)


def make_contract(*columns: ColumnSpec, extra_ok: bool = True) -> TableContract:
    return TableContract("payments", ORIGIN, columns=columns, allow_extra_columns=extra_ok, schema="raw",
                         identifier="payments")  # fmt: skip


def make_table(*columns: tuple[str, str, bool | None]) -> ActualTable:
    return ActualTable("raw.payments", tuple(ActualColumn(*c) for c in columns), "warehouse", "duckdb")


def test_clean_table_has_no_changes() -> None:
    contract = make_contract(ColumnSpec("payment_id", "integer"), ColumnSpec("amount", "decimal(12,2)"))
    actual = make_table(
        ("PAYMENT_ID", "INTEGER", True), ("amount", "DECIMAL(12,2)", True), ("x", "VARCHAR", True)
    )
    assert check_schema(contract, actual) == ()


def test_missing_table() -> None:
    (change,) = check_schema(make_contract(ColumnSpec("a")), None)
    assert isinstance(change, TableMissing) and change.breaking
    assert change.reason == "table raw.payments does not exist"


def test_removed_column_guesses_the_rename() -> None:
    contract = make_contract(ColumnSpec("product_id", "integer"), ColumnSpec("product_name", "varchar"))
    actual = make_table(
        ("product_id", "INTEGER", True), ("title", "VARCHAR", True), ("price", "INTEGER", True)
    )
    (change,) = check_schema(contract, actual)
    assert isinstance(change, ColumnRemoved) and change.breaking
    assert change.renamed_to == "title"
    assert change.reason == "column product_name was removed (renamed to title?)"


@pytest.mark.parametrize(
    ("expected", "actual", "change", "breaking"),
    [
        pytest.param("decimal(12,2)", "VARCHAR", TypeChange.INCOMPATIBLE, True, id="retyped-to-text"),
        pytest.param("decimal(12,2)", "DECIMAL(5,2)", TypeChange.NARROWED, True, id="narrowed"),
        pytest.param("integer", "BIGINT", TypeChange.WIDENED, False, id="widened"),
    ],
)
def test_type_changes(expected: str, actual: str, change: TypeChange, breaking: bool) -> None:
    (found,) = check_schema(
        make_contract(ColumnSpec("amount", expected)), make_table(("amount", actual, True))
    )
    assert isinstance(found, TypeChanged)
    assert found.change is change and found.breaking is breaking
    assert found.reason.startswith("column amount: type ")


def test_logical_type_only() -> None:
    contract = make_contract(ColumnSpec("amount", None, logical_type="number"))
    assert check_schema(contract, make_table(("amount", "DOUBLE", True))) == ()
    (found,) = check_schema(contract, make_table(("amount", "VARCHAR", True)))
    assert isinstance(found, TypeChanged) and found.breaking


def test_unknown_type_is_unevaluated_not_passed() -> None:
    (found,) = check_schema(make_contract(ColumnSpec("g", "geography")), make_table(("g", "GEOMETRY", True)))
    assert isinstance(found, Unevaluated) and not found.breaking


def test_exact_contract_reports_added_columns_and_not_null() -> None:
    contract = make_contract(ColumnSpec("id", "integer", constraints=("not_null",)), extra_ok=False)
    changes = check_schema(contract, make_table(("id", "INTEGER", True), ("new_col", "VARCHAR", True)))
    assert {type(c) for c in changes} == {NullableWhereRequired, ColumnAdded}
    added = next(c for c in changes if isinstance(c, ColumnAdded))
    assert not added.breaking and added.reason == "column new_col was added (VARCHAR)"


# ---- dbt model contracts between two states ---------------------------------------------------------


def make_model(**overrides: object) -> Node:
    node = Node(
        unique_id="model.shop.dim_customers",
        resource_type="model",
        name="dim_customers",
        original_file_path="models/marts/dim_customers.sql",
        database="warehouse",
        schema="marts",
        identifier="dim_customers",
        materialized="table",
        columns={
            "customer_id": Column("customer_id", "integer", constraints=("not_null", "primary_key")),
            "lifetime_revenue": Column("lifetime_revenue", "decimal(18,2)"),
        },
        contract=Contract(enforced=True),
    )
    return replace(node, **overrides)  # type: ignore[arg-type]


def test_contract_of_model() -> None:
    contract = contract_of(make_model(), "duckdb")
    assert contract.origin.kind is ContractKind.DBT and not contract.allow_extra_columns
    key = contract.columns[0]
    assert key.required and key.primary_key


def test_unchanged_contract() -> None:
    assert contract_changes(make_model(), make_model(), "duckdb") == ()


def test_dbt_breaking_change_categories() -> None:
    old = make_model()
    new = make_model(
        contract=Contract(enforced=False),
        materialized="view",
        columns={
            "customer_id": Column("customer_id", "bigint", constraints=("not_null",)),
        },
    )
    changes = contract_changes(old, new, "duckdb")
    kinds = {type(c) for c in changes}
    assert kinds == {
        EnforcementDisabled,
        MaterializationChanged,
        ColumnRemoved,
        TypeChanged,
        ConstraintRemoved,
    }
    by_type = {type(c): c for c in changes}
    assert by_type[ConstraintRemoved].reason == "constraint primary_key on column customer_id was removed"
    assert by_type[MaterializationChanged].reason == "materialization changed table → view"
    assert not by_type[TypeChanged].breaking  # integer → bigint widens
    assert all(c.reason and "\n" not in c.reason for c in changes)


def test_not_enforced_before_means_no_contract_changes() -> None:
    assert contract_changes(make_model(contract=Contract(enforced=False)), make_model(), "duckdb") == ()


# ---- exit codes ------------------------------------------------------------------------------------


def report_with(*changes: object) -> GateReport:
    contract = make_contract(ColumnSpec("a"))
    findings = tuple(Finding(contract, c) for c in changes)  # type: ignore[arg-type]
    return GateReport((ContractResult(contract, findings),))


@pytest.mark.parametrize(
    ("changes", "fail_on", "allow_unknown", "code"),
    [
        pytest.param((), "breaking", False, 0, id="clean"),
        pytest.param((ColumnRemoved("a"),), "breaking", False, 1, id="breaking"),
        pytest.param((ColumnRemoved("a"),), "none", False, 0, id="fail-on-none"),
        pytest.param((ColumnAdded("b", "INT"),), "breaking", False, 0, id="non-breaking-passes"),
        pytest.param((ColumnAdded("b", "INT"),), "any", False, 1, id="fail-on-any"),
        pytest.param((Unevaluated("x", "down"),), "breaking", False, 3, id="fails-closed"),
        pytest.param((Unevaluated("x", "down"),), "breaking", True, 0, id="allow-unknown"),
        pytest.param(
            (Unevaluated("x", "down"), ColumnRemoved("a")), "breaking", False, 1, id="violation-wins"
        ),
    ],
)
def test_exit_codes(changes: tuple[object, ...], fail_on: str, allow_unknown: bool, code: int) -> None:
    assert exit_code(report_with(*changes), fail_on, allow_unknown) == code


def test_docstring_examples_run() -> None:
    import doctest

    from headwater.contracts import check

    assert doctest.testmod(check).failed == 0


@pytest.mark.parametrize(
    ("allow_widening", "reported", "breaking"),
    [
        pytest.param(None, True, False, id="odcs-dbt-default-reports-non-breaking"),
        pytest.param(True, False, False, id="gx-default-accepts-widening"),
        pytest.param(False, True, True, id="allow-widening-false-breaks"),
    ],
)
def test_widening_follows_the_contract(allow_widening: bool | None, reported: bool, breaking: bool) -> None:
    from headwater.contracts.check import accepted

    contract = replace(make_contract(ColumnSpec("units", "bigint")), allow_widening=allow_widening)
    (change,) = check_schema(contract, make_table(("units", "HUGEINT", True)))
    assert isinstance(change, TypeChanged) and change.breaking is breaking
    assert accepted(contract, change) is not reported  # the gate drops what the contract accepts
    # A narrowing breaks whatever the contract says about widening.
    (narrowed,) = check_schema(contract, make_table(("units", "INTEGER", True)))
    assert narrowed.breaking


def test_build_failure_breaks_the_gate() -> None:
    from headwater.contracts.model import BuildFailed

    failed = BuildFailed("model.p.stg_products", "error", "Binder Error: column x not found")
    assert failed.breaking and failed.category == "build_failed"
    assert "stg_products failed (error): Binder Error" in failed.reason
    skipped = BuildFailed("model.p.dim_products", "skipped")
    assert "dim_products was skipped; its table is stale" in skipped.reason
    report = GateReport((ContractResult(make_contract(), (Finding(make_contract(), skipped),)),))
    assert exit_code(report, "breaking") == 1
