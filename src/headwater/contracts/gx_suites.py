"""GX expectation suites read as plain JSON (no `great_expectations` import: it costs ~7 s).

Two uses: a suite holding `expect_table_schema_to_match_contract` is a contract for its table; and every
column expectation of a suite is something a broken column can break (blast radius).

A suite names its table in `meta.headwater.table` / `meta.headwater.schema` (as `headwater.gx` writes
it), else the suite name is taken as the table (or dbt model) name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from headwater.contracts.model import TableContract
from headwater.errors import ContractError
from headwater.semantics.schema_contract import SCHEMA_EXPECTATION, resolve_contract

__all__ = ["SCHEMA_EXPECTATION", "GxExpectation", "contract_from_kwargs", "iter_suites", "load_gx_suite",
           "read_expectations"]  # fmt: skip
_NAME = re.compile(r'"name"\s*:\s*"([^"]+)"')
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
        raise ContractError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}); fix or regenerate the suite."
        ) from None
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
    """One TableContract per `expect_table_schema_to_match_contract`, with the kwargs `headwater.gx`
    gives it: inline `columns` ([{name, data_type | type, nullable | required}]), `dbt_manifest` +
    `dbt_model`, or `odcs_path` (+ `odcs_schema`); `allow_extra` and `dialect` as options."""
    data = _read(path)
    table, schema = _table_of(data)
    contracts = []
    for item in data.get("expectations") or ():
        if (item.get("type") or item.get("expectation_type")) != SCHEMA_EXPECTATION:
            continue
        contracts.append(contract_from_kwargs(table, item.get("kwargs") or {}, schema=schema, suite=path))
    return tuple(_with_lines(c, path.read_text(encoding="utf-8")) for c in contracts)


def _with_lines(contract: TableContract, text: str) -> TableContract:
    """Lines for annotations: the schema expectation's `type`, and each inline column's `"name": …` after
    it (JSON keeps no marks; suites are written one key per line, so a text search finds them)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if f'"{SCHEMA_EXPECTATION}"' in line), None)
    if start is None:
        return contract
    found: dict[str, int] = {}
    for i, line in enumerate(lines):
        match = _NAME.search(line)
        if match and match.group(1).lower() not in found:
            found[match.group(1).lower()] = i + 1
    columns = tuple(replace(c, line=c.line or found.get(c.key)) for c in contract.columns)
    return replace(contract, origin=replace(contract.origin, line=start + 1), columns=columns)


def contract_from_kwargs(
    table: str, kwargs: Mapping[str, Any], *, schema: str | None = None, suite: Path | None = None
) -> TableContract:
    """The contract the kwargs of one `expect_table_schema_to_match_contract` name: inline `columns`,
    `dbt_manifest` + `dbt_model`, or `odcs_path` (+ `odcs_schema`); `allow_extra`, `allow_widening` and
    `dialect` as options. The one reader, `headwater.semantics.schema_contract.resolve_contract`, which
    the GX expectation and the tracer call too. Paths are relative to the working directory, else to the
    folder of `suite` (when given)."""
    return resolve_contract(table, kwargs, schema=schema, suite=suite)
