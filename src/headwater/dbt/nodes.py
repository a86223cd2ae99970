"""One manifest resource as a typed, frozen data class, read from its raw manifest dict.

`node_from_dict` is the one reader of a node's keys (`headwater.dbt.shape` checks their JSON types first);
`headwater.dbt.artifacts.Manifest` holds the nodes and answers lookups over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column declared in YAML (`columns:` of a model/source) or found in the catalog."""

    name: str
    data_type: str | None = None
    description: str = ""
    constraints: tuple[str, ...] = ()  # constraint types: "not_null", "unique", "primary_key", ...
    tests: tuple[str, ...] = ()  # unique_ids of the tests attached to this column
    quote: bool = False  # `quote: true` in YAML: the name is the exact stored name, not SQL to fold


@dataclass(frozen=True)
class Contract:
    enforced: bool = False
    checksum: str | None = None


@dataclass(frozen=True)
class TestInfo:
    """What a (generic) test checks: its name, kwargs and the node/column it is attached to."""

    name: str = ""  # generic test name: not_null, unique, accepted_values, relationships, ...
    namespace: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    attached_node: str | None = None
    column_name: str | None = None
    severity: str = "ERROR"


@dataclass(frozen=True)
class Node:
    """Any manifest resource: model, seed, snapshot, analysis, source, exposure or test.

    `identifier` is the table name in the warehouse (alias for models, identifier for sources).
    `relation_name` is None for ephemeral models, exposures and tests.
    """

    unique_id: str
    resource_type: str
    name: str
    package_name: str = ""
    original_file_path: str = ""
    path: str = ""
    relation_name: str | None = None
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    materialized: str | None = None
    raw_code: str = ""
    compiled_code: str | None = None
    language: str = "sql"
    checksum: str = ""
    depends_on: tuple[str, ...] = ()
    columns: Mapping[str, Column] = field(default_factory=dict)  # keyed by lower-cased name
    contract: Contract = Contract()
    tags: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    fqn: tuple[str, ...] = ()
    description: str = ""
    # sources only
    source_name: str | None = None
    loaded_at_field: str | None = None
    # tests only
    test: TestInfo | None = None
    # The YAML file that declares the node's columns / contract (manifest `patch_path` without the
    # `package://` prefix); for sources it is `original_file_path`. None when nothing declares it.
    patch_path: str | None = None

    @property
    def alias(self) -> str | None:
        return self.identifier

    @property
    def is_ephemeral(self) -> bool:
        return self.materialized == "ephemeral"

    @property
    def display_name(self) -> str:
        """`source_name.table` for sources, the name otherwise."""
        return f"{self.source_name}.{self.name}" if self.source_name else self.name

    @property
    def relation_key(self) -> tuple[str, str, str] | None:
        if self.identifier is None or self.relation_name is None:
            return None
        return relation_key(self.database, self.schema, self.identifier)


def relation_key(database: str | None, schema: str | None, identifier: str) -> tuple[str, str, str]:
    """Case-insensitive lookup key of a warehouse relation."""
    return ((database or "").lower(), (schema or "").lower(), identifier.lower())


def node_from_dict(data: Mapping[str, Any]) -> Node:
    config = data.get("config") or {}
    rtype = data.get("resource_type") or ""
    contract = data.get("contract") or config.get("contract") or {}
    checksum = data.get("checksum") or {}
    test = None
    if rtype == "test":
        tm = data.get("test_metadata") or {}
        test = TestInfo(
            name=tm.get("name") or data.get("name") or "",
            namespace=tm.get("namespace"),
            kwargs=tm.get("kwargs") or {},
            attached_node=data.get("attached_node"),
            column_name=data.get("column_name"),
            severity=str(config.get("severity") or "ERROR").upper(),
        )
    code = data.get("compiled_code", data.get("compiled_sql"))
    return Node(
        unique_id=data["unique_id"],
        resource_type=rtype,
        name=data.get("name") or "",
        package_name=data.get("package_name") or "",
        original_file_path=data.get("original_file_path") or "",
        path=data.get("path") or "",
        relation_name=data.get("relation_name"),
        database=data.get("database"),
        schema=data.get("schema"),
        identifier=data.get("identifier") or data.get("alias") if rtype != "exposure" else None,
        materialized=config.get("materialized"),
        raw_code=data.get("raw_code", data.get("raw_sql")) or "",
        compiled_code=code,
        language=data.get("language") or "sql",
        checksum=checksum.get("checksum", "") if isinstance(checksum, dict) else str(checksum),
        depends_on=tuple((data.get("depends_on") or {}).get("nodes") or ()),
        columns={
            (col.get("name") or name).lower(): _column(name, col) for name, col in (data.get("columns") or {}).items()
        },
        contract=Contract(enforced=bool(contract.get("enforced")), checksum=contract.get("checksum")),
        tags=tuple(data.get("tags") or ()),
        meta=config.get("meta") or data.get("meta") or {},
        fqn=tuple(data.get("fqn") or ()),
        description=data.get("description") or "",
        source_name=data.get("source_name"),
        loaded_at_field=data.get("loaded_at_field") or config.get("loaded_at_field"),
        test=test,
        patch_path=_patch_path(data, rtype),
    )


def _patch_path(data: Mapping[str, Any], rtype: str) -> str | None:
    raw = data.get("patch_path")
    if raw:
        return str(raw).split("://", 1)[-1]
    return data.get("original_file_path") if rtype == "source" else None


def _column(name: str, data: Mapping[str, Any]) -> Column:
    return Column(
        name=data.get("name") or name,
        data_type=data.get("data_type"),
        description=data.get("description") or "",
        constraints=tuple(str(c.get("type")) for c in data.get("constraints") or () if isinstance(c, dict)),
        quote=data.get("quote") is True,
    )
