"""Where a dbt contract is written: the YAML file and lines that declare a model's (or source's) columns.

manifest.json keeps the properties file of a node as `patch_path` (sources: `original_file_path`) but no
line numbers, so the file is composed with PyYAML (which keeps marks) and searched for the entry named
like the node, then for each column under it. Findings then point at `_marts.yml:37`, the line a
reviewer edits, rather than at the model's .sql file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from headwater.contracts.model import TableContract
from headwater.dbt import Manifest, Node


def _named(sequence: yaml.Node | None, name: str) -> yaml.MappingNode | None:
    """The mapping in a YAML sequence whose `name:` is `name` (case-insensitive, as dbt matches)."""
    if not isinstance(sequence, yaml.SequenceNode):
        return None
    for item in sequence.value:
        if isinstance(item, yaml.MappingNode) and str(_get(item, "name") or "").lower() == name.lower():
            return item
    return None


def _get(mapping: yaml.Node | None, key: str) -> yaml.Node | str | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for k, v in mapping.value:
        value: yaml.Node = v
        if k.value == key:
            return str(value.value) if isinstance(value, yaml.ScalarNode) else value
    return None


def _node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    found = _get(mapping, key)
    return found if isinstance(found, yaml.Node) else None


def declared_lines(yaml_text: str, node: Node) -> tuple[int | None, dict[str, int]]:
    """(line of the node's entry, {lower-cased column: line of its `- name:`}) in a properties file."""
    try:
        root = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None, {}  # dbt parsed it; if PyYAML cannot, pointing at the file is still right
    if node.resource_type == "source" and node.source_name:
        source = _named(_node(root, "sources"), node.source_name)
        entry = _named(_node(source, "tables"), node.name)
    else:
        plural = {"seed": "seeds", "snapshot": "snapshots"}.get(node.resource_type, "models")
        entry = _named(_node(root, plural), node.name)
    if entry is None:
        return None, {}
    columns = _node(entry, "columns")
    lines = {}
    if isinstance(columns, yaml.SequenceNode):
        for item in columns.value:
            name = _get(item, "name")
            if isinstance(name, str):
                lines[name.lower()] = item.start_mark.line + 1
    return entry.start_mark.line + 1, lines


def locate(contract: TableContract, node: Node, project_dir: Path | None) -> TableContract:
    """Point a dbt contract, and each of its columns, at the YAML lines that declare them."""
    if not node.patch_path:
        return contract
    path = Path(node.patch_path)
    file = path if path.is_absolute() or project_dir is None else project_dir / path
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        return contract  # artifacts without the project: keep the .sql path from the manifest
    line, columns = declared_lines(text, node)
    specs = tuple(replace(c, line=columns.get(c.key, c.line)) for c in contract.columns)
    origin = replace(contract.origin, file=node.patch_path, line=line)
    return replace(contract, origin=origin, columns=specs)


def located_contracts(manifest: Manifest, project_dir: Path | None) -> tuple[TableContract, ...]:
    """Every enforced dbt model contract, pointed at its YAML lines."""
    from headwater.contracts.dbt_contracts import contracts_from_manifest

    return tuple(
        locate(c, manifest[c.node_id], project_dir) if c.node_id else c
        for c in contracts_from_manifest(manifest)
    )
