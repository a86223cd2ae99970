"""What a GX 1.x file context saved about its datasources, assets and validation definitions, read as
YAML / JSON without importing great_expectations: enough to turn a `describe_dict()` `batch_id`
(`<datasource>-<asset>`) back into the table the asset reads, and the suite validated on it.

GX 1.x keeps fluent datasources under `fluent_datasources` of `gx/great_expectations.yml` (file contexts),
and validation definitions as `gx/validation_definitions/<name>.json` ({"data": {"asset": {"name"},
"datasource": {"name"}}, "suite": {"name"}}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from headwater.errors import ConfigError

CONFIG_FILE = "great_expectations.yml"


@dataclass(frozen=True)
class BatchRef:
    """What a GX batch read: a table (schema, table) or a query, and the asset's name."""

    asset: str = ""
    schema: str | None = None
    table: str | None = None
    database: str | None = None
    query: str | None = None

    def describe(self) -> str:
        if self.table:
            return ".".join(p for p in (self.database, self.schema, self.table) if p)
        return self.asset or (self.query or "")[:60]


@dataclass(frozen=True)
class GxContext:
    """Assets by (datasource, asset name) and the suite validated on each asset."""

    assets: Mapping[tuple[str, str], BatchRef] = field(default_factory=dict)
    suites: Mapping[str, str] = field(default_factory=dict)  # asset name -> suite name

    def batch(self, batch_id: str) -> BatchRef:
        """`<datasource>-<asset>` -> the asset's table; datasource names may hold '-', so every split is tried.
        Without the asset in the context, the asset name (after the first '-') is all there is."""
        for (datasource, asset), ref in self.assets.items():
            if batch_id == f"{datasource}-{asset}":
                return ref
        datasource, sep, asset = batch_id.partition("-")
        return BatchRef(asset=asset if sep else batch_id)

    def suite_of(self, asset: str) -> str:
        return self.suites.get(asset, "")


def read_context(context_root: Path | None) -> GxContext:
    """The saved configuration of the context at `context_root` (the folder holding `gx/`, or `gx/` itself)."""
    if context_root is None:
        return GxContext()
    root = Path(context_root)
    folder = root if (root / CONFIG_FILE).is_file() else root / "gx"
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise ConfigError(f"--context-root {root} holds no gx/{CONFIG_FILE}; pass the GX project root directory")
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{config_path} is not YAML ({err}); pass the file GX wrote") from None
    return GxContext(_assets(config.get("fluent_datasources") or {}), _suites(folder / "validation_definitions"))


def _assets(datasources: Mapping[str, Any]) -> dict[tuple[str, str], BatchRef]:
    out: dict[tuple[str, str], BatchRef] = {}
    for datasource, spec in datasources.items():
        assets = (spec or {}).get("assets") or {}
        # older fluent configs list assets as [{name: ...}], GX 1.x as {name: {...}}
        items = assets.items() if isinstance(assets, Mapping) else ((a.get("name", ""), a) for a in assets)
        for name, asset in items:
            asset = asset or {}
            out[(str(datasource), str(name))] = BatchRef(
                asset=str(name),
                schema=asset.get("schema_name") or None,
                table=asset.get("table_name") or None,
                database=asset.get("database_name") or asset.get("catalog_name") or None,
                query=asset.get("query") or None,
            )
    return out


def _suites(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            definition = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue  # not ours to judge; only the suite name is missing from the report then
        asset = ((definition.get("data") or {}).get("asset") or {}).get("name")
        suite = (definition.get("suite") or {}).get("name")
        if asset and suite:
            out.setdefault(str(asset), str(suite))
    return out
