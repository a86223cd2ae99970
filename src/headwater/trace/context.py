"""What one trace needs at hand: artifacts, lineage, the warehouse, and per-node helpers (relation,
label, key column, where an expression is written)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from headwater.dbt import Artifacts, Node
from headwater.lineage import LineageGraph
from headwater.lineage.locate import Locator
from headwater.trace.measures import Outcome
from headwater.trace.model import PathStep
from headwater.warehouse import Warehouse

LEAF_TYPES = frozenset({"source", "seed", "snapshot"})


@dataclass
class Context:
    artifacts: Artifacts
    lineage: LineageGraph
    warehouse: Warehouse
    as_of: datetime | None = None
    path: list[PathStep] = field(default_factory=list)
    visited: set[tuple[str, str]] = field(default_factory=set)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)  # (node, check) -> outcome

    @property
    def dialect(self) -> str:
        return self.warehouse.dialect

    def node(self, unique_id: str) -> Node:
        return self.artifacts.manifest[unique_id]

    def is_leaf(self, node: Node) -> bool:
        models = [d for d in node.depends_on if d.split(".", 1)[0] in ("model", "seed", "snapshot", "source")]
        return node.resource_type in LEAF_TYPES or not models

    def label(self, node: Node) -> str:
        if node.identifier and not node.is_ephemeral and node.relation_name:
            return f"{node.schema}.{node.identifier}" if node.schema else node.identifier
        return node.name

    def relation(self, node: Node) -> tuple[str | None, str | None, str] | None:
        if node.identifier and node.relation_name and not node.is_ephemeral:
            return (node.database, node.schema, node.identifier)
        return None

    def source(self, node: Node) -> exp.Expr | None:
        """What to select FROM for a node: its table, or its compiled SQL for an ephemeral model."""
        relation = self.relation(node)
        if relation is not None:
            return self.warehouse.table(*relation)
        if node.compiled_code:
            try:
                tree = sqlglot.parse_one(node.compiled_code, read=self.dialect)
            except SqlglotError:
                return None
            if isinstance(tree, exp.Query):
                return tree.subquery(exp.to_identifier(f"hw_{node.name}", quoted=True))
        return None

    def resolve(self, name: str) -> exp.Table | None:
        """A referenced table by dbt name (`ref('x')`, `x`, `source.table`) or schema.table."""
        text = re.sub(r"^ref\(['\"](.+?)['\"]\)$", r"\1", name.strip())
        node: Node | None
        try:
            node = self.artifacts.manifest.find_node(text)
        except Exception:
            parts = text.split(".")
            node = self.artifacts.manifest.node_by_relation(
                parts[-3] if len(parts) > 2 else None, parts[-2] if len(parts) > 1 else None, parts[-1]
            )
        if node is None:
            return None
        relation = self.relation(node)
        return self.warehouse.table(*relation) if relation else None

    def declared_unique(self, node: Node, column: str) -> bool:
        """The project says this column is unique: a `unique` test or a unique/primary-key constraint."""
        declared = node.columns.get(column.lower())
        if declared is None:
            return False
        if "primary_key" in declared.constraints or "unique" in declared.constraints:
            return True
        tests = [self.artifacts.manifest.tests.get(t) for t in declared.tests]
        return any(t is not None and t.test is not None and t.test.name == "unique" for t in tests)

    def key_column(self, node: Node) -> str | None:
        """The column that identifies a row: one with a unique test, else one named like the table's id."""
        for name, column in node.columns.items():
            tests = [self.artifacts.manifest.tests.get(t) for t in column.tests]
            if any(t is not None and t.test is not None and t.test.name == "unique" for t in tests):
                return name
            if "primary_key" in column.constraints or "unique" in column.constraints:
                return name
        columns = self.lineage.columns_of(node.unique_id)
        stem = node.name.removeprefix("stg_").removeprefix("raw_").rstrip("s")
        for candidate in (f"{stem}_id", "id"):
            if candidate in columns:
                return candidate
        ids = [c for c in columns if c.endswith("_id")]
        return ids[0] if ids else None

    def where_expression(self, node: Node, expression: exp.Expr | None, text: str) -> tuple[str, int | None]:
        """file and line of a node of the model's parsed compiled SQL: its token positions, mapped to the raw
        file the way lineage maps its edges (so two identical join conditions get their own lines); the text
        search of `where` when the raw line cannot be told."""
        if expression is not None and node.compiled_code and node.raw_code:
            _, line, compiled = Locator(node.compiled_code, node.raw_code, self.dialect).locate(expression)
            if line is not None and not compiled:
                return node.original_file_path, line
        return self.where(node, text)

    def where(self, node: Node, text: str) -> tuple[str, int | None]:
        """file and 1-based line of `text` (first line, whitespace-insensitive) in the node's raw SQL."""
        file = node.original_file_path
        if not text or not node.raw_code:
            return file, None
        needle = re.sub(r"\s+", " ", text.strip().splitlines()[0]).lower()
        for number, line in enumerate(node.raw_code.splitlines(), start=1):
            if needle and needle in re.sub(r"\s+", " ", line).lower():
                return file, number
        head = needle.split(" ")[0:3]
        for number, line in enumerate(node.raw_code.splitlines(), start=1):
            if head and " ".join(head) in re.sub(r"\s+", " ", line).lower():
                return file, number
        return file, None

    def yaml_line(self, node: Node, column: str) -> int | None:
        """1-based line of `column` under the table's entry in the YAML that declares a source (or seed)."""
        root = self.artifacts.project_dir
        if root is None or not node.original_file_path.endswith((".yml", ".yaml")):
            return None
        try:
            lines = (root / node.original_file_path).read_text().splitlines()
        except OSError:
            return None
        table = re.compile(rf"^(\s*)-\s*name:\s*['\"]?{re.escape(node.name)}['\"]?\s*$")
        wanted = re.compile(rf"name:\s*['\"]?{re.escape(column)}['\"]?\s*[,}}\s]")
        for start, line in enumerate(lines):
            found = table.match(line)
            if found is None:
                continue
            sibling = re.compile(rf"^{found.group(1)}-\s")  # the next table at the same indentation
            for number in range(start + 1, len(lines)):
                if sibling.match(lines[number]):
                    break
                if column and wanted.search(lines[number] + " "):
                    return number + 1
            return start + 1
        return None

    def declared_type(self, node: Node, column: str) -> str | None:
        declared = node.columns.get(column.lower())
        return declared.data_type if declared is not None else None
