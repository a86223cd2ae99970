"""What the rules of one trace have at hand: artifacts, lineage, the warehouse, the checks re-run so far
(cached, and logged for the path), and per-node helpers (relation, label, key column, where an expression is
written). The engine owns the walk; the Context only answers questions about nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from headwater.dbt import Artifacts, Node, UniqueId
from headwater.errors import ConfigError
from headwater.lineage import ColumnRef, Edge, EdgeKind, LineageGraph
from headwater.lineage.locate import Locator
from headwater.trace.checks import Check, columns_of, describe
from headwater.trace.measures import Outcome, evaluate
from headwater.trace.model import PathStep
from headwater.warehouse import Warehouse

if TYPE_CHECKING:
    from headwater.trace.memory import GoodState

LEAF_TYPES = frozenset({"source", "seed", "snapshot"})


@dataclass
class Context:
    artifacts: Artifacts
    lineage: LineageGraph
    warehouse: Warehouse
    as_of: datetime | None = None
    good: GoodState | None = None  # the last good state, when the history (or --state) has one
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)  # (node, check) -> outcome
    log: list[PathStep] = field(default_factory=list)  # every check re-run, in order (the engine drains it)

    @property
    def dialect(self) -> str:
        # the compiled SQL's (what rules parse); Warehouse.query renders each probe in the warehouse's own
        return self.artifacts.manifest.dialect or self.warehouse.dialect

    def node(self, unique_id: str | UniqueId) -> Node:
        return self.artifacts.manifest[unique_id]

    def check(self, node: Node, check: Check, via: str) -> Outcome:
        """`check` evaluated on a node's relation (or compiled SQL, for ephemeral models): once per trace."""
        key = (node.unique_id, repr(check))
        if key in self.outcomes:
            return self.outcomes[key]
        source = self.source(node)
        if source is None:
            outcome = Outcome(check, None, error=f"{node.name} has no relation to query")
        else:
            outcome = evaluate(
                self.warehouse, source, [check], self.label(node), self.as_of, self.resolve, self.relation(node)
            )[0]
        self.log.append(self.step(node, check, outcome, via))
        self.outcomes[key] = outcome
        return outcome

    def step(self, node: Node, check: Check, outcome: Outcome, via: str) -> PathStep:
        return PathStep(
            node=node.unique_id,
            relation=self.label(node),
            column=",".join(columns_of(check)),
            check=describe(check),
            failed=outcome.failed,
            failing=outcome.failing,
            total=outcome.total,
            observed=outcome.observed,
            sql=outcome.sql,
            error=outcome.error,
            via=via,
        )

    def value_edges(self, node: Node, column: str) -> list[Edge]:
        """The edges that give `node.column` its values (not the join/filter/group row edges)."""
        return [e for e in self.lineage.edges_into(ColumnRef(node.unique_id, column)) if not e.kind.is_row_edge]

    def parents(self, node: Node) -> list[Node]:
        kinds = ("model", "seed", "snapshot", "source")
        return [self.node(d) for d in node.depends_on if d.split(".", 1)[0] in kinds]

    def unknown_reason(self, node: Node, column: str) -> str:
        """Why the lineage of a column is unknown, as the lineage says it ("" when it does not)."""
        for edge in self.lineage.edges_into(ColumnRef(node.unique_id, column)):
            if edge.kind == EdgeKind.UNKNOWN and edge.reason:
                return f"lineage of {node.name}.{column} is unknown: {edge.reason}"
        return ""

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
        except ConfigError:
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
        # the canonical name may be folded (DuckDB's) and a YAML scalar doubles its single quotes
        spelled = "|".join(re.escape(s) for s in dict.fromkeys((column, column.replace("'", "''"))))
        wanted = re.compile(rf"name:\s*['\"]?(?:{spelled})['\"]?\s*[,}}\s]", re.IGNORECASE)
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
