"""The shape of the manifest.json / catalog.json keys headwater reads, checked once at the boundary.

dbt writes these files, but users hand headwater files that were truncated, edited, or written by other
tools. Only the keys headwater reads are checked (a table of key -> accepted JSON types, not a schema of
dbt's artifacts); a value of another type is refused with one line naming the file, the item and the key,
so that nothing deeper ever meets a list where it expects an object. `None` counts as absent except for
the keys every node must have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.errors import ArtifactError

_STR = (str,)
_OBJ = (dict,)
_LIST = (list,)
_TYPE_NAMES = {str: "a string", dict: "an object", list: "a list", int: "a number", bool: "true/false"}
REGENERATE = "regenerate it with dbt (`dbt compile`, `dbt docs generate`)"

# Keys every kept node must hold, as a string.
REQUIRED = ("unique_id",)
# The keys `headwater.dbt.nodes.node_from_dict` reads, with the JSON types accepted for each (None always allowed).
NODE_KEYS: Mapping[str, tuple[type, ...]] = {
    "unique_id": _STR, "resource_type": _STR, "name": _STR, "package_name": _STR, "original_file_path": _STR,
    "path": _STR, "relation_name": _STR, "database": _STR, "schema": _STR, "identifier": _STR, "alias": _STR,
    "raw_code": _STR, "raw_sql": _STR, "compiled_code": _STR, "compiled_sql": _STR, "language": _STR,
    "checksum": (dict, str), "depends_on": _OBJ, "columns": _OBJ, "contract": _OBJ, "config": _OBJ,
    "tags": _LIST, "meta": _OBJ, "fqn": _LIST, "description": _STR, "source_name": _STR,
    "loaded_at_field": _STR, "test_metadata": _OBJ, "attached_node": _STR, "column_name": _STR,
    "patch_path": _STR,
}
CONFIG_KEYS: Mapping[str, tuple[type, ...]] = {
    "materialized": _STR, "meta": _OBJ, "contract": _OBJ, "loaded_at_field": _STR, "severity": _STR,
}
COLUMN_KEYS: Mapping[str, tuple[type, ...]] = {"name": _STR, "data_type": _STR, "description": _STR,
                                                "constraints": _LIST}
METADATA_KEYS: Mapping[str, tuple[type, ...]] = {
    "dbt_schema_version": _STR, "dbt_version": _STR, "adapter_type": _STR, "project_name": _STR,
    "generated_at": _STR,
}
CATALOG_TABLE_KEYS: Mapping[str, tuple[type, ...]] = {"metadata": _OBJ, "columns": _OBJ}
CATALOG_COLUMN_KEYS: Mapping[str, tuple[type, ...]] = {"name": _STR, "type": _STR, "index": (int,)}


def _fail(file: str, where: str, value: Any, wanted: tuple[type, ...]) -> ArtifactError:
    got = "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)
    want = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in wanted)
    return ArtifactError(f"{file}: {where} is {got}, not {want}; {REGENERATE}.")


def _bad_key(data: Mapping[str, Any], keys: Mapping[str, tuple[type, ...]]) -> str | None:
    """The first key of `keys` whose value in `data` has another JSON type, else None."""
    for key, wanted in keys.items():
        value = data.get(key)
        if value is None or type(value) in wanted:  # JSON's own types (orjson makes no subclasses): the usual case
            continue
        # bool is an int in Python; JSON true is never a valid index or name (a wanted bool matched above)
        if isinstance(value, bool) or not isinstance(value, wanted):
            return key
    return None


def _check_keys(file: str, where: str, data: Mapping[str, Any], keys: Mapping[str, tuple[type, ...]]) -> None:
    bad = _bad_key(data, keys)
    if bad is not None:
        raise _fail(file, f"{where}.{bad}", data[bad], keys[bad])


def _check_columns(file: str, where: str, columns: Mapping[str, Any], keys: Mapping[str, tuple[type, ...]]) -> None:
    """Every column spec of a node or table: an object whose keys have their types. The place is spelled
    out only on failure (10,000 catalog columns are checked on every run)."""
    for column, spec in columns.items():
        if not isinstance(spec, dict):
            raise _fail(file, f"{where}.columns[{column!r}]", spec, _OBJ)
        bad = _bad_key(spec, keys)
        if bad is not None:
            raise _fail(file, f"{where}.columns[{column!r}].{bad}", spec[bad], keys[bad])


def section(file: str, raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A top-level object of `raw` (`{}` when absent), refused when it is not an object of objects."""
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(file, name, value, _OBJ)
    for key, item in value.items():
        if not isinstance(item, dict):
            raise _fail(file, f"{name}[{key!r}]", item, _OBJ)
    return value


def check_metadata(raw: Mapping[str, Any]) -> dict[str, Any]:
    meta = raw.get("metadata")
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise _fail("manifest.json", "metadata", meta, _OBJ)
    _check_keys("manifest.json", "metadata", meta, METADATA_KEYS)
    return meta


def resource_type(key: str, data: Mapping[str, Any]) -> str:
    """A node's resource_type, refused unless a string (checked for every node, kept or not)."""
    rtype = data.get("resource_type")
    if not isinstance(rtype, str):
        raise _fail("manifest.json", f"nodes[{key!r}].resource_type", rtype, _STR)
    return rtype


def check_node(section_name: str, key: str, data: Mapping[str, Any]) -> None:
    """One manifest node (model, seed, source, exposure, test): the keys headwater reads have their types."""
    where = f"{section_name}[{key!r}]"
    for name in REQUIRED:
        if not isinstance(data.get(name), str):
            raise _fail("manifest.json", f"{where}.{name}", data.get(name), _STR)
    _check_keys("manifest.json", where, data, NODE_KEYS)
    _check_keys("manifest.json", f"{where}.config", data.get("config") or {}, CONFIG_KEYS)
    depends = (data.get("depends_on") or {}).get("nodes")
    if depends is not None and not (isinstance(depends, list) and all(isinstance(d, str) for d in depends)):
        raise _fail("manifest.json", f"{where}.depends_on.nodes", depends, _LIST)
    _check_columns("manifest.json", where, data.get("columns") or {}, COLUMN_KEYS)


def check_catalog(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """catalog.json's tables by unique_id (nodes and sources merged), with the keys headwater reads checked."""
    merged: dict[str, dict[str, Any]] = {}
    for name in ("nodes", "sources"):
        tables = section("catalog.json", raw, name)
        for uid, table in tables.items():
            where = f"{name}[{uid!r}]"
            _check_keys("catalog.json", where, table, CATALOG_TABLE_KEYS)
            _check_columns("catalog.json", where, table.get("columns") or {}, CATALOG_COLUMN_KEYS)
        merged.update(tables)
    return merged
