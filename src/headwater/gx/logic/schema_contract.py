"""Schema contract: the columns a table promises against the columns it has, metadata only.

The contract comes inline (`columns`), from a dbt model contract (manifest + model name) or from an
ODCS v3 file (path + schema object). Types are compared through `headwater.contracts.types`, so
`decimal(12,2)` (contract), `DECIMAL(12,2)` (DuckDB) and `numeric(12,2)` (PostgreSQL) are one type.

>>> from headwater.contracts.model import ActualColumn, ActualTable
>>> contract = inline_contract("t", [{"name": "id", "data_type": "integer"}, {"name": "x", "data_type": "text"}])
>>> actual = ActualTable("t", (ActualColumn("id", "BIGINT", False),), "warehouse", "duckdb")
>>> [v.kind for v in schema_violations(contract, actual)]
['missing']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from headwater.contracts.check import check_schema
from headwater.contracts.gx_suites import contract_from_kwargs
from headwater.contracts.model import (
    ActualColumn,
    ActualTable,
    ColumnAdded,
    ColumnRemoved,
    NullableWhereRequired,
    TableContract,
    TypeChanged,
    Unevaluated,
)
from headwater.contracts.types import TypeChange

ViolationKind = Literal["missing", "unexpected", "type_mismatch", "nullability", "order", "unevaluated"]


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    column: str | None
    expected: str | None = None
    actual: str | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def inline_contract(
    table: str, columns: Sequence[Mapping[str, Any]], dialect: str | None = None
) -> TableContract:
    """A contract from `[{name, data_type | type, nullable | required}]`."""
    return contract_from_kwargs(table, {"columns": columns, "dialect": dialect})


def resolve_contract(table: str, options: Mapping[str, Any]) -> TableContract:
    """The contract an expectation names: inline `columns`, `dbt_manifest`+`dbt_model`, or `odcs_path`.

    Read by `headwater.contracts.gx_suites` (the same reader `headwater gate` uses on saved suites)."""
    return contract_from_kwargs(table, options)


def schema_violations(
    contract: TableContract,
    actual: ActualTable,
    *,
    exact_order: bool = False,
    allow_widening: bool = True,
) -> tuple[Violation, ...]:
    """Every way `actual` breaks `contract`: missing / unexpected columns, types, nullability, order.

    Nullability is metadata here: a column the contract declares NOT NULL (dbt `not_null` constraint,
    inline `nullable: false`) must be declared NOT NULL in the table. ODCS `required` is a promise about
    values, not DDL: it is a data rule (`headwater gate`), not checked by this schema expectation.
    """
    found: list[Violation] = []
    for change in check_schema(replace(contract, allow_widening=allow_widening), actual):
        if isinstance(change, ColumnRemoved):
            found.append(Violation("missing", change.column, change.expected_type, None, change.reason))
        elif isinstance(change, ColumnAdded):
            found.append(Violation("unexpected", change.column, None, change.actual_type, change.reason))
        elif isinstance(change, TypeChanged):
            if change.change is TypeChange.WIDENED and allow_widening:
                continue
            found.append(
                Violation("type_mismatch", change.column, change.expected, change.actual, change.reason)
            )
        elif isinstance(change, NullableWhereRequired):
            found.append(Violation("nullability", change.column, "not null", "nullable", change.reason))
        elif isinstance(change, Unevaluated):
            found.append(Violation("unevaluated", change.column, None, None, change.reason))
    if exact_order:
        found += _order(contract, actual)
    return tuple(found)


def _order(contract: TableContract, actual: ActualTable) -> list[Violation]:
    promised = [c.key for c in contract.columns]
    present = [c.key for c in actual.columns if c.key in set(promised)]
    wanted = [k for k in promised if k in set(present)]
    if present == wanted:
        return []
    return [
        Violation(
            "order", None, ", ".join(wanted), ", ".join(present), "columns are not in the contract's order"
        )
    ]


def actual_table(relation: str, columns: Sequence[Mapping[str, Any]], dialect: str | None) -> ActualTable:
    """An ActualTable from `[{name, data_type, nullable}]` (what the schema metric returns)."""
    return ActualTable(
        relation,
        tuple(
            ActualColumn(str(c["name"]), str(c.get("data_type") or ""), c.get("nullable")) for c in columns
        ),
        "warehouse",
        dialect,
    )
