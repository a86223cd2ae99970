"""ODCS v3 data contracts (YAML) → `TableContract`s, validated by the `open-data-contract-standard` models.

Reading (YAML with line numbers) is separate from understanding (`contracts_from_odcs`). Every error
names the file and line: a YAML syntax error by its mark, a schema error by the node its path points at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from open_data_contract_standard.model import (
    DataQuality,
    OpenDataContractStandard,
    SchemaProperty,
)
from pydantic import ValidationError

from headwater.contracts.model import ColumnSpec, ContractKind, Origin, QualityRule, TableContract
from headwater.errors import ContractError

LIBRARY_METRICS = frozenset({"nullValues", "missingValues", "duplicateValues", "rowCount", "invalidValues"})
OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
# Server types whose `schema`/`database` fields name where the tables live, in sqlglot dialect names.
_SERVER_DIALECTS = {"postgres": "postgres", "postgresql": "postgres", "duckdb": "duckdb", "snowflake": "snowflake",
                    "bigquery": "bigquery", "redshift": "redshift", "databricks": "databricks"}  # fmt: skip


def read_odcs(path: str | Path) -> tuple[OpenDataContractStandard, yaml.Node]:
    """Parse and validate one ODCS file. ContractError (exit 2) names the file and line on any problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ContractError(f"cannot read contract {file}: {err.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = err.problem or err.context or "invalid YAML"
        raise ContractError(f"{file}{line}: invalid YAML: {problem}; fix the file and rerun.") from None
    if not isinstance(data, dict) or node is None:
        raise ContractError(
            f"{file}:1: an ODCS contract must be a YAML mapping (apiVersion, kind, schema...)."
        )
    if data.get("kind") != "DataContract" or not str(data.get("apiVersion", "")).startswith("v3"):
        at = _line_of(node, ("apiVersion",)) or 1
        raise ContractError(
            f"{file}:{at}: not an ODCS v3 contract (need kind: DataContract and apiVersion: v3.x)."
        )
    try:
        contract = OpenDataContractStandard.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        at = _line_of(node, loc) or 1
        where = ".".join(str(p) for p in loc)
        raise ContractError(f"{file}:{at}: {where}: {first['msg']}; fix the contract and rerun.") from None
    return contract, node


def _line_of(node: yaml.Node, loc: Sequence[Any]) -> int | None:
    """1-based line of the YAML node at `loc` (keys and list indexes); the deepest existing one."""
    line: int | None = node.start_mark.line + 1
    current: yaml.Node | None = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            match = next((kv for kv in current.value if kv[0].value == part), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            current = match[1]
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value):
            current = current.value[part]
            line = current.start_mark.line + 1
        else:
            break
    return line


def load_odcs(path: str | Path) -> tuple[TableContract, ...]:
    """Read one ODCS file and return one TableContract per schema object."""
    contract, node = read_odcs(path)
    return contracts_from_odcs(contract, str(path), node)


def contracts_from_odcs(
    contract: OpenDataContractStandard, file: str, node: yaml.Node | None = None
) -> tuple[TableContract, ...]:
    server = contract.servers[0] if contract.servers else None
    dialect = _SERVER_DIALECTS.get(str(server.type).lower()) if server is not None else None
    db = (server.database or server.catalog) if server is not None else None
    server_schema = server.schema_ if server is not None else None
    tables = []
    for i, obj in enumerate(contract.schema_ or []):

        def line(*loc: Any, _i: int = i) -> int | None:
            return _line_of(node, ("schema", _i, *loc)) if node is not None else None

        name = obj.name or obj.physicalName
        if not name:
            raise ContractError(f"{file}:{line()}: schema object {i} has neither name nor physicalName.")
        database, schema, identifier = _split_physical(obj.physicalName or name, db, server_schema)
        columns = tuple(_column(p, line("properties", j), file) for j, p in enumerate(obj.properties or []))
        rules = _rules(obj.quality, None, [line("quality", k) for k in range(len(obj.quality or []))], file)
        for j, prop in enumerate(obj.properties or []):
            lines = [line("properties", j, "quality", k) for k in range(len(prop.quality or []))]
            rules += _rules(prop.quality, prop.physicalName or prop.name, lines, file)
        tables.append(
            TableContract(
                name=name,
                origin=Origin(ContractKind.ODCS, file, line()),
                database=database,
                schema=schema,
                identifier=identifier,
                columns=columns,
                quality=tuple(rules),
                dialect=dialect,
            )
        )
    return tuple(tables)


def _split_physical(
    physical: str, database: str | None, schema: str | None
) -> tuple[str | None, str | None, str]:
    parts = physical.split(".")
    if len(parts) >= 3:
        return parts[-3], parts[-2], parts[-1]
    if len(parts) == 2:
        return database, parts[0], parts[1]
    return database, schema, physical


def _column(prop: SchemaProperty, line: int | None, file: str) -> ColumnSpec:
    name = prop.physicalName or prop.name
    if not name:
        raise ContractError(f"{file}:{line}: a property has neither name nor physicalName.")
    return ColumnSpec(
        name=name,
        data_type=prop.physicalType,
        logical_type=str(prop.logicalType.value if hasattr(prop.logicalType, "value") else prop.logicalType)
        if prop.logicalType
        else None,
        required=bool(prop.required),
        unique=bool(prop.unique),
        primary_key=bool(prop.primaryKey),
        line=line,
    )


def _rules(
    quality: list[DataQuality] | None, column: str | None, lines: Sequence[int | None], file: str
) -> list[QualityRule]:
    rules = []
    for k, q in enumerate(quality or []):
        kind = str(q.type or "library").lower()
        metric = q.metric or q.rule
        operator = next((op for op in OPERATORS if getattr(q, op) is not None), None)
        line = lines[k]
        if kind == "sql" and q.query:
            metric = "sql"
        elif kind != "library":
            continue  # text / custom rules are documentation for people, not checks we can run
        if operator is None or metric is None:
            where = f" on {column}" if column else ""
            raise ContractError(
                f"{file}:{line}: quality rule {q.name or metric or k}{where} needs a metric and one of "
                f"{', '.join(OPERATORS)}."
            )
        if metric != "sql" and metric not in LIBRARY_METRICS:
            raise ContractError(
                f"{file}:{line}: quality rule metric {metric!r} is not one of "
                f"{', '.join(sorted(LIBRARY_METRICS))}."
            )
        arguments = dict(q.arguments or {})
        if metric == "sql":
            arguments["query"] = q.query
        rules.append(
            QualityRule(
                metric=metric,
                operator=operator,
                threshold=getattr(q, operator),
                column=column,
                unit=str(q.unit or "rows").lower(),
                arguments=arguments,
                name=q.name or "",
                line=line,
            )
        )
    return rules
