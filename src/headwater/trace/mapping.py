"""A GX batch -> the dbt node it validates: by relation (database.schema.identifier, case-insensitive),
by the table a query asset reads, by `meta` pointing at the node, or by an override map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from headwater.dbt import Manifest, Node
from headwater.errors import ConfigError, suggest
from headwater.trace.gx_results import BatchRef


class UnmappedBatch(ConfigError):
    """A GX batch that matches no dbt node. The tracer reports that one failure as `unknown` (the others
    are still traced); only a wrong `--map` value is a usage error of the whole run."""


def node_for_batch(
    manifest: Manifest,
    batch: BatchRef,
    meta: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    dialect: str = "duckdb",
) -> Node:
    """The node a batch reads; UnmappedBatch naming the batch and the closest node otherwise (ConfigError
    for an override that names no node)."""
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    keys = [batch.asset, batch.table or "", f"{batch.schema}.{batch.table}" if batch.schema else ""]
    for key in keys:
        if key and key.lower() in overrides:
            return manifest.find_node(overrides[key.lower()])
    pointer = _meta_node(meta or {})
    if pointer:
        try:
            return manifest.find_node(pointer)
        except ConfigError as err:
            raise UnmappedBatch(f"the expectation's meta names the node {pointer!r}: {err}") from None
    for database, schema, table in _relations(batch, dialect):
        node = manifest.node_by_relation(database, schema, table)
        if node is None and database is not None:
            node = manifest.node_by_relation(None, schema, table)
        if node is not None:
            return node
    for name in (batch.asset, batch.table):
        if name:
            try:
                return manifest.find_node(name.split(".")[-1])
            except ConfigError:
                pass
    names = [n.identifier or n.name for n in (*manifest.nodes.values(), *manifest.sources.values())]
    shown = batch.describe() or "(no table)"
    raise UnmappedBatch(
        f"the GX batch {shown!r} matches no dbt node by relation."
        + suggest((batch.table or batch.asset).split(".")[-1], names)
        + f" Pass --map {batch.asset or batch.table or 'ASSET'}=NODE to map it."
    )


def _meta_node(meta: Mapping[str, Any]) -> str:
    for holder in (meta.get("headwater"), meta.get("dbt"), meta):
        if isinstance(holder, Mapping):
            for key in ("node", "unique_id", "dbt_node", "model"):
                if isinstance(holder.get(key), str):
                    return str(holder[key])
    return ""


def _relations(batch: BatchRef, dialect: str) -> list[tuple[str | None, str | None, str]]:
    if batch.table:
        table = batch.table
        parts = table.split(".")
        if len(parts) > 1 and not batch.schema:
            return [(parts[-3] if len(parts) > 2 else None, parts[-2], parts[-1])]
        return [(batch.database, batch.schema, table)]
    if batch.query:
        try:
            tree = sqlglot.parse_one(batch.query, read=dialect)
        except SqlglotError:
            return []
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        tables = [t for t in tree.find_all(exp.Table) if t.name.lower() not in ctes]
        return [(t.catalog or None, t.db or None, t.name) for t in tables]
    if batch.asset and "." in batch.asset:
        schema, _, table = batch.asset.rpartition(".")
        return [(None, schema, table)]
    return []
