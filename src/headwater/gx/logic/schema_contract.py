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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from headwater.contracts.check import check_schema
from headwater.contracts.model import (
    ActualColumn,
    ActualTable,
    ColumnAdded,
    ColumnRemoved,
    ColumnSpec,
    ContractKind,
    NullableWhereRequired,
    Origin,
    TableContract,
    TypeChanged,
    Unevaluated,
)
from headwater.contracts.types import TypeChange
from headwater.errors import ConfigError

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
    specs = []
    for col in columns:
        if not col.get("name"):
            raise ConfigError(
                f"a contract column of {table} has no name: {dict(col)}; give each column a name."
            )
        nullable = col.get("nullable")
        required = bool(col.get("required")) or nullable is False or bool(col.get("not_null"))
        specs.append(
            ColumnSpec(
                name=str(col["name"]),
                data_type=col.get("data_type") or col.get("type"),
                required=required,
                constraints=("not_null",) if required else (),
            )
        )
    return TableContract(table, Origin(ContractKind.GX, "inline"), columns=tuple(specs), dialect=dialect)


def dbt_contract(manifest_path: str | Path, model: str) -> TableContract:
    from headwater.contracts.dbt_contracts import contract_of
    from headwater.dbt import load_artifacts

    manifest = load_artifacts(
        manifest_path=manifest_path, require_compiled=False, include_run_results=False
    ).manifest
    node = manifest.find_node(model)
    contract = contract_of(node, manifest.dialect)
    if not contract.columns:
        raise ConfigError(
            f"dbt model {model!r} declares no columns in {manifest_path}; add a contract to it."
        )
    return contract


def odcs_contract(path: str | Path, schema_object: str | None) -> TableContract:
    from headwater.contracts.odcs import load_odcs

    contracts = load_odcs(path)
    if schema_object is None and len(contracts) == 1:
        return contracts[0]
    for contract in contracts:
        if schema_object in (contract.name, contract.identifier):
            return contract
    names = [c.name for c in contracts]
    raise ConfigError(f"no schema object {schema_object!r} in {path}; it has {', '.join(names) or 'none'}.")


def resolve_contract(table: str, options: Mapping[str, Any]) -> TableContract:
    """The contract an expectation names: inline `columns`, `dbt_manifest`+`dbt_model`, or `odcs_path`."""
    if options.get("columns"):
        contract = inline_contract(table, options["columns"], options.get("dialect"))
    elif options.get("dbt_manifest") and options.get("dbt_model"):
        contract = dbt_contract(options["dbt_manifest"], str(options["dbt_model"]))
    elif options.get("odcs_path"):
        contract = odcs_contract(options["odcs_path"], options.get("odcs_schema"))
    else:
        raise ConfigError(
            f"the schema contract of {table} names no contract; give `columns`, `dbt_manifest` + `dbt_model`,"
            " or `odcs_path` (+ `odcs_schema`)."
        )
    allow_extra = options.get("allow_extra")
    if allow_extra is not None:
        from dataclasses import replace

        contract = replace(contract, allow_extra_columns=bool(allow_extra))
    return contract


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
    for change in check_schema(contract, actual):
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
