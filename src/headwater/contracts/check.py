"""Compare a contract with the table as it is: pure, no I/O. Data rules live in `contracts.quality`.

>>> from headwater.contracts.model import *
>>> contract = TableContract("t", Origin(ContractKind.ODCS, "c.yaml"), columns=(ColumnSpec("a", "integer"),))
>>> actual = ActualTable("t", (ActualColumn("a", "BIGINT"),), "catalog", "duckdb")
>>> [c.reason for c in check_schema(contract, actual)]
['column a: type widened integer(32) → integer(64): every old value still fits']
"""

from __future__ import annotations

from headwater.contracts.model import (
    ActualColumn,
    ActualTable,
    ColumnAdded,
    ColumnRemoved,
    ColumnSpec,
    ContractChange,
    NullableWhereRequired,
    TableContract,
    TableMissing,
    TypeChanged,
    Unevaluated,
)
from headwater.semantics.types import (
    NormalizedType,
    TypeChange,
    compare_types,
    normalize_logical_type,
    normalize_type,
)


def expected_type(spec: ColumnSpec, dialect: str | None) -> NormalizedType | None:
    """The physical type when the contract gives one, else the ODCS logical type, else None (any)."""
    if spec.data_type:
        return normalize_type(spec.data_type, dialect)
    if spec.logical_type:
        return normalize_logical_type(spec.logical_type)
    return None


def check_schema(contract: TableContract, actual: ActualTable | None) -> tuple[ContractChange, ...]:
    """Schema differences: missing table, removed / added columns, type changes, declared nullability."""
    if actual is None:
        return (TableMissing(contract.relation),)
    changes: list[ContractChange] = []
    promised = {c.key for c in contract.columns}
    extra = [c for c in actual.columns if c.key not in promised]
    dialect = contract.dialect or actual.dialect
    for spec in contract.columns:
        found = actual.column(spec.name)
        if found is None:
            changes.append(
                ColumnRemoved(
                    spec.name, spec.data_type or spec.logical_type, rename_candidate(spec, extra, actual)
                )
            )
            continue
        changes += _check_column(spec, found, dialect, actual.dialect, contract.allow_widening)
    if not contract.allow_extra_columns:
        changes += [ColumnAdded(c.name, c.data_type) for c in extra]
    return tuple(changes)


def _check_column(
    spec: ColumnSpec,
    found: ActualColumn,
    contract_dialect: str | None,
    actual_dialect: str | None,
    allow_widening: bool | None = None,
) -> list[ContractChange]:
    changes: list[ContractChange] = []
    wanted = expected_type(spec, contract_dialect)
    if wanted is not None:
        got = normalize_type(found.data_type, actual_dialect)
        result = compare_types(wanted, got)
        if result.change is TypeChange.UNKNOWN:
            changes.append(Unevaluated(f"the type of {spec.name}", result.reason, spec.name))
        elif result.change is not TypeChange.SAME:
            shown = spec.data_type or spec.logical_type or ""
            forbidden = result.change is TypeChange.WIDENED and allow_widening is False
            detail = (
                f"{result.reason} (the contract sets allow_widening: false)" if forbidden else result.reason
            )
            changes.append(TypeChanged(spec.name, shown, found.data_type, result.change, detail, forbidden))
    # dbt declares NOT NULL in the DDL of an enforced contract: losing it is a schema break by itself.
    if "not_null" in spec.constraints and found.nullable is True:
        changes.append(NullableWhereRequired(spec.name))
    return changes


def accepted(contract: TableContract, change: ContractChange) -> bool:
    """A difference the contract itself allows: a widened type under `allow_widening: true` (a GX schema
    expectation's default). `check_schema` still reports it, for callers that decide otherwise."""
    return (
        contract.allow_widening is True
        and isinstance(change, TypeChanged)
        and change.change is TypeChange.WIDENED
    )


def rename_candidate(spec: ColumnSpec, extra: list[ActualColumn], actual: ActualTable) -> str | None:
    """The one unpromised column of a compatible type, if there is exactly one: a likely rename."""
    wanted = expected_type(spec, actual.dialect)
    if wanted is None:
        return extra[0].name if len(extra) == 1 else None
    same = [
        c for c in extra if not compare_types(wanted, normalize_type(c.data_type, actual.dialect)).is_breaking
    ]
    return same[0].name if len(same) == 1 else None
