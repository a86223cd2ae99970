"""GX expectation suites read as plain JSON (no `great_expectations` import: it costs ~7 s).

Two uses: a suite holding `expect_table_schema_to_match_contract` is a contract for its table; and every
column expectation of a suite is something a broken column can break (blast radius).

A suite names its table in `meta.headwater.table` / `meta.headwater.schema` (as `headwater.gx` writes
it), else the suite name is taken as the table (or dbt model) name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from headwater.contracts.model import ColumnSpec, ContractKind, Origin, TableContract
from headwater.errors import ContractError

SCHEMA_EXPECTATION = "expect_table_schema_to_match_contract"
_COLUMN_KWARGS = ("column", "column_A", "column_B")


@dataclass(frozen=True)
class GxExpectation:
    """One expectation of a suite, reduced to what blast radius needs."""

    suite: str
    file: str
    type: str
    table: str
    schema: str | None
    columns: tuple[str, ...]
    node_id: str | None = None  # meta.headwater.dbt_node / meta.dbt.unique_id when present

    def __str__(self) -> str:
        cols = f"({', '.join(self.columns)})" if self.columns else ""
        return f"{self.suite}: {self.type}{cols}"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as err:
        raise ContractError(f"cannot read GX suite {path}: {err.strerror}") from None
    except orjson.JSONDecodeError as err:
        raise ContractError(f"{path}: not valid JSON ({err}); fix or regenerate the suite.") from None
    return data if isinstance(data, dict) else {}


def is_gx_suite(path: Path) -> bool:
    data = _read(path)
    return isinstance(data.get("expectations"), list) and "name" in data


def _table_of(data: Mapping[str, Any]) -> tuple[str, str | None]:
    options = (data.get("meta") or {}).get("headwater") or {}
    return str(options.get("table") or data.get("name") or ""), options.get("schema")


def _node_of(meta: Mapping[str, Any]) -> str | None:
    for key in ("headwater", "dbt"):
        inner = meta.get(key) or {}
        if isinstance(inner, dict):
            for field in ("dbt_node", "node", "unique_id", "node_id"):
                if inner.get(field):
                    return str(inner[field])
    return None


def read_expectations(path: Path) -> tuple[GxExpectation, ...]:
    data = _read(path)
    table, schema = _table_of(data)
    suite_node = _node_of(data.get("meta") or {})
    found = []
    for item in data.get("expectations") or ():
        kwargs = item.get("kwargs") or {}
        columns = [str(kwargs[k]) for k in _COLUMN_KWARGS if kwargs.get(k)]
        columns += [str(c) for c in kwargs.get("column_list") or ()]
        found.append(
            GxExpectation(
                suite=str(data.get("name") or path.stem),
                file=str(path),
                type=str(item.get("type") or item.get("expectation_type") or ""),
                table=table,
                schema=schema,
                columns=tuple(columns),
                node_id=_node_of(item.get("meta") or {}) or suite_node,
            )
        )
    return tuple(found)


def iter_suites(folders: Sequence[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.is_file():
            yield folder
        elif folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.json") if p.is_file())


def load_gx_suite(path: Path) -> tuple[TableContract, ...]:
    """One TableContract per `expect_table_schema_to_match_contract` with inline columns.

    Inline `columns` may be a list of {name, type | data_type, nullable | required} or a mapping
    name → type. A contract given by reference (dbt model / ODCS file) is checked from that source.
    """
    data = _read(path)
    table, schema = _table_of(data)
    contracts = []
    for item in data.get("expectations") or ():
        if (item.get("type") or item.get("expectation_type")) != SCHEMA_EXPECTATION:
            continue
        kwargs = item.get("kwargs") or {}
        columns = _columns(kwargs.get("columns") or kwargs.get("contract") or ())
        odcs = kwargs.get("odcs_path") or kwargs.get("odcs_file")
        if not columns and odcs:
            from headwater.contracts.odcs import load_odcs

            wanted = kwargs.get("schema_object") or kwargs.get("odcs_schema") or table
            contracts += [c for c in load_odcs(Path(str(odcs))) if c.name in (wanted, table)]
            continue
        node = _node_of(item.get("meta") or {}) or kwargs.get("dbt_model") or kwargs.get("model")
        contracts.append(
            TableContract(
                name=str(kwargs.get("dbt_model") or kwargs.get("model") or table),
                origin=Origin(ContractKind.GX, str(path), None),
                node_id=str(node) if node and str(node).startswith(("model.", "source.", "seed.")) else None,
                schema=schema,
                identifier=table,
                columns=columns,
                allow_extra_columns=not bool(kwargs.get("exact") or kwargs.get("no_extra_columns")),
                dialect=kwargs.get("dialect"),
            )
        )
    return tuple(contracts)


def _columns(raw: Any) -> tuple[ColumnSpec, ...]:
    if isinstance(raw, Mapping):
        if isinstance(raw.get("columns"), list):
            return _columns(raw["columns"])
        return tuple(ColumnSpec(str(name), str(t) if t else None) for name, t in raw.items())
    specs = []
    for col in raw or ():
        if not isinstance(col, Mapping) or not col.get("name"):
            continue
        nullable = col.get("nullable")
        specs.append(
            ColumnSpec(
                name=str(col["name"]),
                data_type=col.get("type") or col.get("data_type"),
                required=bool(col.get("required")) or nullable is False,
            )
        )
    return tuple(specs)
