"""The columns of every node, for qualifying SQL: catalog.json first, then YAML, then inferred lineage.

The sqlglot `MappingSchema` is built ONCE per run and extended table by table in topological order (a dict
passed to `qualify()` would be converted into a new schema for every model). It is created lazily, so a
run served entirely from the cache never imports sqlglot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.dbt.artifacts import Manifest, Node
from headwater.dbt.loader import Artifacts
from headwater.lineage.cache import node_key

if TYPE_CHECKING:
    from sqlglot.schema import MappingSchema

Columns = tuple[tuple[str, str], ...]  # (name, data type or "")


class SchemaBook:
    def __init__(self, artifacts: Artifacts) -> None:
        self.manifest: Manifest = artifacts.manifest
        self.dialect = self.manifest.dialect
        self.declared: dict[str, Columns] = {}  # from catalog or YAML
        self.inferred: dict[str, Columns] = {}  # from this run's lineage
        self.origin: dict[str, str] = {}
        catalog = artifacts.catalog
        for node in (*self.manifest.sources.values(), *self.manifest.nodes.values()):
            cat_cols = catalog.columns(node.unique_id) if catalog is not None else None
            if cat_cols:
                self.declared[node.unique_id] = tuple((c.name, c.data_type) for c in cat_cols)
                self.origin[node.unique_id] = "catalog"
            elif node.columns:
                self.declared[node.unique_id] = tuple((c.name, c.data_type or "") for c in node.columns.values())
                self.origin[node.unique_id] = "yaml"
        self._signatures: dict[str, str] = {}
        self._schema: MappingSchema | None = None
        self._added: set[str] = set()

    def columns(self, node_id: str) -> Columns | None:
        return self.declared.get(node_id) or self.inferred.get(node_id)

    def infer(self, node_id: str, names: tuple[str, ...]) -> None:
        if node_id not in self.declared and names and "*" not in names:
            self.inferred[node_id] = tuple((n, "") for n in names)
            self.origin[node_id] = "inferred"

    def signature(self, node_id: str) -> str:
        sig = self._signatures.get(node_id)
        if sig is None:
            node = self.manifest.get(node_id)
            cols = self.columns(node_id) or ()
            relation = node.relation_name or "" if node is not None else ""
            sig = node_key([node_id, relation, *(f"{n}:{t}" for n, t in cols)])
            self._signatures[node_id] = sig
        return sig

    def mapping_schema(self, parents: tuple[str, ...]) -> MappingSchema:
        """The shared schema, with every parent's relation added (once)."""
        if self._schema is None:
            from sqlglot.schema import MappingSchema

            self._schema = MappingSchema(dialect=self.dialect)
        for parent in parents:
            if parent not in self._added:
                self._added.add(parent)
                node = self.manifest.get(parent)
                cols = self.columns(parent)
                if node is not None and cols:
                    self._add(node, cols)
        return self._schema

    def _add(self, node: Node, cols: Columns) -> None:
        from sqlglot import exp
        from sqlglot.errors import SqlglotError

        assert self._schema is not None
        if not node.relation_name:
            return
        try:
            table = exp.to_table(node.relation_name, dialect=self.dialect)
            self._schema.add_table(table, {n: (t or "UNKNOWN") for n, t in cols}, dialect=self.dialect)
        except (SqlglotError, ValueError):
            # A relation of another nesting depth (schema.table among db.schema.table) cannot join the
            # schema; its columns are then unknown to qualify, and `select *` over it becomes UNKNOWN.
            pass
