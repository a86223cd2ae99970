"""The contracts vocabulary: what a table promises, what the warehouse has, and how they differ.

A `TableContract` is read from a dbt model contract, an ODCS v3 schema object or a GX suite; it is
checked against an `ActualTable` (warehouse information_schema or catalog.json). Each difference is
one `ContractChange`, a tagged union of frozen dataclasses that each carry `breaking` and a one-line
`reason`. The same union describes contract changes between two dbt states (`headwater diff`).
A `Finding` is one change on one contract; explaining it adds an `UpstreamCause` and a `BlastRadius`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from headwater.contracts.types import TypeChange

if TYPE_CHECKING:
    from headwater.lineage import ColumnRef, Edge


class ContractKind(StrEnum):
    DBT = "dbt"  # a dbt model contract in manifest.json
    ODCS = "odcs"  # an ODCS v3 YAML file
    GX = "gx"  # a GX suite with expect_table_schema_to_match_contract


@dataclass(frozen=True)
class Origin:
    """Where a contract (or one rule of it) is written: for messages and GitHub annotations."""

    kind: ContractKind
    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class ColumnSpec:
    """One promised column. `data_type` is physical (dialect spelling); `logical_type` is ODCS's coarse one."""

    name: str
    data_type: str | None = None
    logical_type: str | None = None
    required: bool = False  # not null
    unique: bool = False
    primary_key: bool = False
    constraints: tuple[str, ...] = ()  # dbt constraint types, e.g. ("not_null", "primary_key")
    line: int | None = None

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class QualityRule:
    """An ODCS library quality rule: `metric` in nullValues, duplicateValues, rowCount, invalidValues,
    missingValues; compared with one operator (`mustBe`, `mustBeLessThan`, ...) to `threshold`."""

    metric: str
    operator: str
    threshold: Any
    column: str | None = None  # None: a table-level rule
    unit: str = "rows"  # rows | percent
    arguments: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    line: int | None = None

    def describe(self) -> str:
        where = f"{self.column}: " if self.column else ""
        unit = "%" if self.unit == "percent" else ""
        return f"{where}{self.metric} {self.operator} {self.threshold}{unit}"


@dataclass(frozen=True)
class TableContract:
    """What one table promises. `node_id` is the dbt unique_id when the table is a dbt node."""

    name: str
    origin: Origin
    node_id: str | None = None
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    columns: tuple[ColumnSpec, ...] = ()
    quality: tuple[QualityRule, ...] = ()
    enforced: bool = True
    materialized: str | None = None
    dialect: str | None = None  # dialect the physical types are written in (None: same as the warehouse)
    allow_extra_columns: bool = True
    # A widened type: None reports it as a non-breaking change (it fails `--fail-on any`); True accepts
    # it silently (a GX schema expectation with `allow_widening`, its default); False makes it breaking.
    allow_widening: bool | None = None

    @property
    def relation(self) -> str:
        return ".".join(p for p in (self.schema, self.identifier) if p) or self.name


@dataclass(frozen=True)
class ActualColumn:
    name: str
    data_type: str
    nullable: bool | None = None  # None: unknown (catalog.json does not say)

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class ActualTable:
    """A table as it is. `source` says where it was read: "warehouse" or "catalog"."""

    relation: str
    columns: tuple[ActualColumn, ...]
    source: str
    dialect: str | None = None

    def column(self, name: str) -> ActualColumn | None:
        key = name.lower()
        return next((c for c in self.columns if c.key == key), None)


# ---- the ContractChange union ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRemoved:
    column: str
    expected_type: str | None = None
    renamed_to: str | None = None  # an added column of the same type at the same position
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "column_removed"

    @property
    def reason(self) -> str:
        hint = f" (renamed to {self.renamed_to}?)" if self.renamed_to else ""
        return f"column {self.column} was removed{hint}"


@dataclass(frozen=True)
class ColumnAdded:
    column: str
    actual_type: str = ""
    breaking: ClassVar[bool] = False
    category: ClassVar[str] = "column_added"

    @property
    def reason(self) -> str:
        return f"column {self.column} was added ({self.actual_type or 'type unknown'})"


@dataclass(frozen=True)
class TypeChanged:
    """A type difference; `change` decides whether it breaks (narrowed/incompatible) or not (widened)."""

    column: str
    expected: str
    actual: str
    change: TypeChange
    detail: str = ""
    widening_forbidden: bool = False  # the contract says `allow_widening: false`
    category: ClassVar[str] = "type_changed"

    @property
    def breaking(self) -> bool:
        if self.change is TypeChange.WIDENED:
            return self.widening_forbidden
        return self.change in (TypeChange.NARROWED, TypeChange.INCOMPATIBLE)

    @property
    def reason(self) -> str:
        return f"column {self.column}: {self.detail or f'type {self.expected} → {self.actual}'}"


@dataclass(frozen=True)
class NullableWhereRequired:
    column: str
    null_count: int | None = None  # None: the schema allows NULL but no count was taken
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "nullable_where_required"

    @property
    def reason(self) -> str:
        if self.null_count is None:
            return f"column {self.column} is required but the table allows NULL"
        return f"column {self.column} is required but has {self.null_count} NULL value(s)"


@dataclass(frozen=True)
class UniquenessLost:
    column: str
    duplicate_count: int
    primary_key: bool = False
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "uniqueness_lost"

    @property
    def reason(self) -> str:
        what = "primary key" if self.primary_key else "unique column"
        return f"{what} {self.column} has {self.duplicate_count} duplicate value(s)"


@dataclass(frozen=True)
class ConstraintRemoved:
    column: str | None
    constraint: str
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "constraint_removed"

    @property
    def reason(self) -> str:
        where = f"column {self.column}" if self.column else "the model"
        return f"constraint {self.constraint} on {where} was removed"


@dataclass(frozen=True)
class EnforcementDisabled:
    column: str | None = None
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "enforcement_disabled"

    @property
    def reason(self) -> str:
        return "contract enforcement was disabled (contract.enforced: false)"


@dataclass(frozen=True)
class MaterializationChanged:
    old: str
    new: str
    column: str | None = None
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "materialization_changed"

    @property
    def reason(self) -> str:
        return f"materialization changed {self.old} → {self.new}"


@dataclass(frozen=True)
class TableMissing:
    relation: str
    column: str | None = None
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "table_missing"

    @property
    def reason(self) -> str:
        return f"table {self.relation} does not exist"


@dataclass(frozen=True)
class QualityFailed:
    rule: QualityRule
    observed: float
    column: str | None = None
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "quality_failed"

    @property
    def reason(self) -> str:
        unit = "%" if self.rule.unit == "percent" else ""
        shown = f"{self.observed:g}{unit}"
        return f"quality rule {self.rule.name or self.rule.describe()} failed: observed {shown}"


@dataclass(frozen=True)
class BuildFailed:
    """The last dbt run (run_results.json) did not build this model: the table in the warehouse is left
    from an earlier run, so it passing its contract proves nothing."""

    node: str
    status: str  # error | skipped | ...
    message: str = ""
    column: str | None = None
    breaking: ClassVar[bool] = True
    category: ClassVar[str] = "build_failed"

    @property
    def reason(self) -> str:
        name = self.node.split(".")[-1]
        what = "was skipped" if self.status == "skipped" else f"failed ({self.status})"
        detail = f": {' '.join(self.message.split())[:160]}" if self.message else ""
        return f"the last dbt run of {name} {what}{detail}; its table is stale (left from an earlier run)"


@dataclass(frozen=True)
class Unevaluated:
    """A check that could not run: the gate fails closed on it (exit 3) unless --allow-unknown."""

    what: str
    why: str
    column: str | None = None
    breaking: ClassVar[bool] = False
    category: ClassVar[str] = "unevaluated"

    @property
    def reason(self) -> str:
        return f"could not evaluate {self.what}: {self.why}"


ContractChange = (
    ColumnRemoved
    | ColumnAdded
    | TypeChanged
    | NullableWhereRequired
    | UniquenessLost
    | ConstraintRemoved
    | EnforcementDisabled
    | MaterializationChanged
    | TableMissing
    | QualityFailed
    | BuildFailed
    | Unevaluated
)


# ---- explaining a change ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UpstreamCause:
    """Where a break entered: `node.column` changed as `change`; `path` are the lineage edges from
    there to the broken column (first edge = the model that reads the changed column)."""

    node: str
    column: str
    change: ContractChange
    path: tuple[Edge, ...] = ()
    through: tuple[str, ...] = ()  # models between the cause and the contract (table-level fallback)
    # Set when `headwater.trace` found the cause of a data rule (see `data_cause`).
    mechanism: str = ""  # source_data | join_miss | fan_out | filter | cast_failure | ...
    summary: str = ""  # the tracer's one sentence
    file: str = ""  # where the mechanism is written (a model's .sql), line when known
    line: int | None = None

    @property
    def first_model(self) -> str | None:
        if self.path:
            return self.path[0].target.node
        return self.through[0] if self.through else None

    def describe(self) -> str:
        if self.summary:
            return f"{self.summary} [{self.mechanism}]" if self.mechanism else self.summary
        text = f"{self.node}: {self.change.reason}"
        if self.path:
            edge = self.path[0]
            where = f" at {edge.location}" if edge.location else ""
            text += f"; read by {edge.target} ({edge.kind}{where})"
        elif self.through:
            text += f"; {self.through[0]} no longer selects {self.column}"
        return text


@dataclass(frozen=True)
class BlastRadius:
    columns: tuple[ColumnRef, ...] = ()
    models: tuple[str, ...] = ()
    exposures: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    gx_expectations: tuple[str, ...] = ()
    contracts: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.models or self.exposures or self.tests or self.gx_expectations or self.contracts)

    def describe(self) -> str:
        parts = [
            (len(self.models), "model"),
            (len(self.exposures), "exposure"),
            (len(self.tests), "dbt test"),
            (len(self.gx_expectations), "GX expectation"),
            (len(self.contracts), "contract"),
        ]
        shown = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in parts if n]
        return ", ".join(shown) if shown else "nothing downstream"


@dataclass(frozen=True)
class Finding:
    """One change found on one contract, with where it is written and (for breaks) its impact."""

    contract: TableContract
    change: ContractChange
    line: int | None = None
    cause: UpstreamCause | None = None
    blast: BlastRadius | None = None

    @property
    def location(self) -> str:
        line = self.line or self.contract.origin.line
        return f"{self.contract.origin.file}:{line}" if line else self.contract.origin.file
