"""dbt model contracts (manifest.json) → `TableContract`, and dbt's own breaking-change categories
between two states of the same contract (enforcement disabled, column removed, type changed,
constraint removed, materialization changed)."""

from __future__ import annotations

from headwater.contracts.model import (
    ColumnRemoved,
    ColumnSpec,
    ConstraintRemoved,
    ContractChange,
    ContractKind,
    EnforcementDisabled,
    MaterializationChanged,
    Origin,
    TableContract,
    TypeChanged,
    Unevaluated,
)
from headwater.contracts.types import TypeChange, compare_types
from headwater.dbt import Manifest, Node

# Materializations that keep a contract's constraints: moving away from them loses what dbt enforced.
_TABLE_LIKE = frozenset({"table", "incremental"})


def contract_of(node: Node, dialect: str | None = None) -> TableContract:
    """The model contract of one dbt node (enforced or not; `enforced` says which)."""
    columns = tuple(
        ColumnSpec(
            name=col.name,
            data_type=col.data_type,
            required="not_null" in col.constraints or "primary_key" in col.constraints,
            unique="unique" in col.constraints,
            primary_key="primary_key" in col.constraints,
            constraints=col.constraints,
        )
        for col in node.columns.values()
    )
    return TableContract(
        name=node.name,
        origin=Origin(ContractKind.DBT, node.original_file_path or node.unique_id),
        node_id=node.unique_id,
        database=node.database,
        schema=node.schema,
        identifier=node.identifier,
        columns=columns,
        enforced=node.contract.enforced,
        materialized=node.materialized,
        dialect=dialect,
        # dbt builds an enforced model only when its columns match the contract exactly.
        allow_extra_columns=False,
    )


def contracts_from_manifest(manifest: Manifest) -> tuple[TableContract, ...]:
    """Every model whose contract is enforced, in unique_id order."""
    return tuple(
        contract_of(node, manifest.dialect)
        for node in sorted(manifest.models(), key=lambda n: n.unique_id)
        if node.contract.enforced
    )


def contract_changes(old: Node, new: Node | None, dialect: str | None = None) -> tuple[ContractChange, ...]:
    """How the contract of a model changed between two states; empty if it was not enforced before.

    Mirrors dbt's `state:modified.contract` breaking changes, plus type widenings as non-breaking.
    """
    if not old.contract.enforced:
        return ()
    if new is None:
        return (ColumnRemoved("*", None),)
    changes: list[ContractChange] = []
    if not new.contract.enforced:
        changes.append(EnforcementDisabled())
    if (old.materialized in _TABLE_LIKE) != (new.materialized in _TABLE_LIKE):
        changes.append(MaterializationChanged(old.materialized or "?", new.materialized or "?"))
    for key, col in old.columns.items():
        now = new.columns.get(key)
        if now is None:
            changes.append(ColumnRemoved(col.name, col.data_type))
            continue
        if col.data_type and now.data_type:
            result = compare_types(col.data_type, now.data_type, dialect)
            if result.change is TypeChange.UNKNOWN:
                changes.append(Unevaluated(f"the contract type of {col.name}", result.reason, col.name))
            elif result.change is not TypeChange.SAME:
                changes.append(
                    TypeChanged(col.name, col.data_type, now.data_type, result.change, result.reason)
                )
        changes += [ConstraintRemoved(col.name, c) for c in col.constraints if c not in now.constraints]
    return tuple(changes)
