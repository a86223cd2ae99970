"""Schema contract: the one reader of `expect_table_schema_to_match_contract`'s kwargs, and its verdict.

The GX expectation, the tracer (`headwater.trace.gx_map`) and the gate's suite reader
(`headwater.contracts.gx_suites`) all read the kwargs with `resolve_contract`, so a path, a default or an
option means the same everywhere. The contract comes inline (`columns`, or `contract`), from a dbt model
contract (`dbt_manifest` + `dbt_model`) or from an ODCS v3 file (`odcs_path` + `odcs_schema`). A path is
relative to the working directory, else to the folder of the suite that names it. Options: `allow_extra`,
`allow_widening` (default true: a widened type passes), `exact_order`, `dialect`.

Types are compared through `headwater.semantics.types`, so `decimal(12,2)` (contract), `DECIMAL(12,2)`
(DuckDB) and `numeric(12,2)` (PostgreSQL) are one type.

>>> contract = resolve_contract("t", {"columns": [{"name": "id", "data_type": "integer"}, {"name": "x"}]})
>>> actual = actual_table("t", [{"name": "id", "data_type": "BIGINT", "nullable": False}], "duckdb")
>>> [v.kind for v in schema_violations(contract, actual)]
['missing']
>>> [v.kind for v in schema_violations(resolve_contract("t", {"columns": {"id": "integer"},
...                                                           "allow_widening": False}), actual)]
['type_mismatch']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from headwater.errors import ContractError
from headwater.semantics.types import TypeChange

SCHEMA_EXPECTATION = "expect_table_schema_to_match_contract"
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


# ---- reading the kwargs -----------------------------------------------------------------------------


def resolve_contract(
    table: str, kwargs: Mapping[str, Any], *, schema: str | None = None, suite: Path | None = None
) -> TableContract:
    """The contract the kwargs of one schema expectation name (see the module docstring).

    Raises ContractError (naming the file and what to do) when the kwargs name no readable contract."""
    where = str(suite) if suite is not None else "inline"
    origin = Origin(ContractKind.GX, where)
    inline = kwargs.get("columns") or kwargs.get("contract")
    if isinstance(inline, Mapping) and "columns" in inline:
        inline = inline["columns"]
    if inline:
        contract = TableContract(name=table, origin=origin, schema=schema, identifier=table,
                                 columns=_columns(inline), dialect=kwargs.get("dialect"))  # fmt: skip
    elif kwargs.get("dbt_manifest") and kwargs.get("dbt_model"):
        found = _dbt_contract(suite, str(kwargs["dbt_manifest"]), str(kwargs["dbt_model"]))
        contract = replace(found, origin=origin, dialect=kwargs.get("dialect") or found.dialect)
    elif kwargs.get("odcs_path"):
        found = _odcs_contract(suite, str(kwargs["odcs_path"]), kwargs.get("odcs_schema"))
        contract = replace(found, origin=origin, dialect=kwargs.get("dialect") or found.dialect)
    else:
        raise ContractError(
            f"{where}: {SCHEMA_EXPECTATION} on {table} names no contract; give `columns`, "
            "`dbt_manifest` + `dbt_model`, or `odcs_path`."
        )
    if kwargs.get("allow_extra") is not None:
        contract = replace(contract, allow_extra_columns=bool(kwargs["allow_extra"]))
    # A widened type passes unless `allow_widening: false`.
    return replace(contract, allow_widening=kwargs.get("allow_widening", True) is not False)


def exact_order(kwargs: Mapping[str, Any]) -> bool:
    return bool(kwargs.get("exact_order"))


def resolve_path(reference: str, suite: Path | None = None) -> Path:
    """A path in a suite is relative to the working directory, else to the suite's folder."""
    candidate = Path(reference)
    if candidate.is_absolute() or candidate.exists() or suite is None:
        return candidate
    return suite.parent / candidate


def _dbt_contract(suite: Path | None, manifest_path: str, model: str) -> TableContract:
    from headwater.contracts.dbt_contracts import contract_of
    from headwater.dbt import load_artifacts

    manifest = load_artifacts(
        manifest_path=resolve_path(manifest_path, suite), require_compiled=False, include_run_results=False
    ).manifest
    contract = contract_of(manifest.find_node(model), manifest.dialect)
    if not contract.columns:
        raise ContractError(f"dbt model {model!r} declares no columns in {manifest_path}; add a contract to it.")
    return contract


def _odcs_contract(suite: Path | None, odcs_path: str, schema_object: Any) -> TableContract:
    from headwater.contracts.odcs import load_odcs

    contracts = load_odcs(resolve_path(odcs_path, suite))
    if schema_object is None and len(contracts) == 1:
        return contracts[0]
    for contract in contracts:
        if schema_object in (contract.name, contract.identifier):
            return contract
    names = ", ".join(c.name for c in contracts) or "none"
    raise ContractError(f"{suite or odcs_path}: no schema object {schema_object!r} in {odcs_path}; it has {names}.")


def _columns(raw: Any) -> tuple[ColumnSpec, ...]:
    """`[{name, data_type | type | physicalType, logicalType, nullable | required | not_null}]`, bare
    names, or `{name: type}`."""
    if isinstance(raw, Mapping):
        return tuple(ColumnSpec(str(name), str(t) if t else None) for name, t in raw.items())
    specs = []
    for col in raw or ():
        if isinstance(col, str) and col:
            specs.append(ColumnSpec(col))
            continue
        if not isinstance(col, Mapping) or not col.get("name"):
            raise ContractError(f"a contract column has no name: {col!r}; give each column a name.")
        required = bool(col.get("required")) or col.get("nullable") is False or bool(col.get("not_null"))
        physical = col.get("data_type") or col.get("type") or col.get("physicalType")
        specs.append(
            ColumnSpec(
                name=str(col["name"]),
                data_type=str(physical) if physical else None,
                logical_type=str(col["logicalType"]) if col.get("logicalType") else None,
                required=required,
                constraints=("not_null",) if required else (),
            )
        )
    return tuple(specs)


# ---- the verdict ------------------------------------------------------------------------------------


def schema_violations(
    contract: TableContract,
    actual: ActualTable,
    *,
    exact_order: bool = False,
    allow_widening: bool | None = None,
) -> tuple[Violation, ...]:
    """Every way `actual` breaks `contract`: missing / unexpected columns, types, nullability, order.

    `allow_widening` None takes the contract's (itself true unless the kwargs say false). Nullability is
    metadata here: a column the contract declares NOT NULL (dbt `not_null` constraint, inline
    `nullable: false`) must be declared NOT NULL in the table, when the table says (`nullable` None is
    unknown and passes). ODCS `required` is a promise about values, a data rule (`headwater gate`).
    """
    widening = contract.allow_widening is not False if allow_widening is None else allow_widening
    found: list[Violation] = []
    for change in check_schema(replace(contract, allow_widening=widening), actual):
        if isinstance(change, ColumnRemoved):
            found.append(Violation("missing", change.column, change.expected_type, None, change.reason))
        elif isinstance(change, ColumnAdded):
            found.append(Violation("unexpected", change.column, None, change.actual_type, change.reason))
        elif isinstance(change, TypeChanged):
            if change.change is TypeChange.WIDENED and widening:
                continue
            found.append(Violation("type_mismatch", change.column, change.expected, change.actual, change.reason))
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
    return [Violation("order", None, ", ".join(wanted), ", ".join(present), "columns are not in the contract's order")]


def actual_table(relation: str, columns: Sequence[Mapping[str, Any]], dialect: str | None) -> ActualTable:
    """An ActualTable from `[{name, data_type, nullable}]` (what the schema metric returns)."""
    return ActualTable(
        relation,
        tuple(ActualColumn(str(c["name"]), str(c.get("data_type") or ""), c.get("nullable")) for c in columns),
        "warehouse",
        dialect,
    )


def inline_contract(table: str, columns: Sequence[Mapping[str, Any]], dialect: str | None = None) -> TableContract:
    """A contract from `[{name, data_type | type, nullable | required}]`."""
    return resolve_contract(table, {"columns": columns, "dialect": dialect})
