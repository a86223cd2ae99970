"""Why a contract broke and what else it breaks, through column lineage.

- Upstream cause: walk the value edges up from the broken column; the farthest ancestor column whose
  table no longer matches what the project declares (column gone, type changed) is where the break
  entered, and the edges from there down are how it travelled. When the column has no lineage any more
  (it was removed or renamed upstream), the table graph is walked instead.
- Blast radius: every column downstream of the broken one (value and row edges), the models that own
  them, the exposures on those models, the dbt tests, GX expectations and contracts that read them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.contracts.actual import NotReadable, build_failure, read_node
from headwater.contracts.check import rename_candidate
from headwater.contracts.data_cause import data_cause
from headwater.contracts.gx_suites import SCHEMA_EXPECTATION, GxExpectation, iter_suites, read_expectations
from headwater.contracts.model import (
    ActualTable,
    BlastRadius,
    BuildFailed,
    ColumnRemoved,
    ColumnSpec,
    ContractChange,
    Finding,
    TableContract,
    TypeChanged,
    UpstreamCause,
)
from headwater.contracts.types import TypeChange, compare_types, normalize_type
from headwater.dbt import UniqueId
from headwater.errors import HeadwaterError
from headwater.lineage import ColumnRef, Edge, LineageGraph, build_lineage

if TYPE_CHECKING:
    from headwater.dbt import Artifacts
    from headwater.trace import Tracer
    from headwater.warehouse import Warehouse


class Impact:
    """Explains findings of one gate run; caches lineage and actual schemas between findings."""

    def __init__(
        self,
        artifacts: Artifacts,
        warehouse: Warehouse | None,
        contracts: Sequence[TableContract] = (),
        gx_dirs: Sequence[Path] = (),
        lineage: LineageGraph | None = None,
    ) -> None:
        self.artifacts = artifacts
        self.manifest = artifacts.manifest
        self.warehouse = warehouse
        self.contracts = tuple(contracts)
        self._lineage = lineage
        self._actual: dict[str, ActualTable | None] = {}
        self._tracer: Tracer | None = None  # one per gate run: it caches the checks it re-ran
        self.gx = tuple(e for path in iter_suites(gx_dirs) for e in read_expectations(path))

    @property
    def lineage(self) -> LineageGraph:
        if self._lineage is None:
            self._lineage = build_lineage(self.artifacts)
        return self._lineage

    @property
    def tracer(self) -> Tracer | None:
        """`headwater.trace` on this run's warehouse connection and lineage (None without a warehouse)."""
        if self.warehouse is None:
            return None
        if self._tracer is None:
            from headwater.trace import Tracer

            self._tracer = Tracer(self.artifacts, self.lineage, self.warehouse)
        return self._tracer

    def explain(self, finding: Finding) -> Finding:
        node = finding.contract.node_id
        if node is None:
            return finding
        column = getattr(finding.change, "column", None)
        columns = [column.lower()] if isinstance(column, str) and column != "*" else list(self._columns(node))
        rule = getattr(finding.change, "rule", None)
        if column is None and rule is not None and rule.arguments.get("properties"):
            columns = [str(c).lower() for c in rule.arguments["properties"]]  # a table rule on some columns
        if isinstance(finding.change, BuildFailed):
            cause = self._failed_ancestor(node)
            return replace(finding, cause=cause, blast=self.blast_radius(node, columns, finding.contract))
        cause = self.cause(node, columns[0]) if len(columns) == 1 else None
        if cause is None and isinstance(finding.change, TypeChanged):
            cause = self._type_origin(node, columns[0], finding.change)
        tracer = self.tracer if cause is None and len(columns) == 1 else None
        if tracer is not None and self.manifest.get(node) is not None:
            cause = data_cause(tracer, UniqueId(node), finding.change)
        if cause is None and len(columns) == 1 and node.startswith("source."):
            # A contract on a source: the break entered right there.
            cause = UpstreamCause(node, columns[0], finding.change)
        return replace(finding, cause=cause, blast=self.blast_radius(node, columns, exclude=finding.contract))

    def _type_origin(self, node: str, column: str, change: TypeChanged) -> UpstreamCause | None:
        """Where the column got the type it has now: follow the single value edge up while the type stays
        the same (an ephemeral model has no table: walked through); the edge from a column of another
        type (a cast, an expression) is where the change entered."""
        actual = self._read(node)
        found = actual.column(column) if actual else None
        if actual is None or found is None:
            return None
        now = normalize_type(found.data_type, actual.dialect)
        ref, climbed = ColumnRef(node, column.lower()), []
        while True:
            edges = [e for e in self._value_edges_into(ref) if e.source is not None]
            if len(edges) != 1 or edges[0].source is None:
                return None  # no single parent: an expression of several columns, say no more
            edge, parent = edges[0], edges[0].source
            climbed.append(edge)
            table = self._read(parent.node)
            was = table.column(parent.column) if table else None
            if table is not None and was is not None:
                result = compare_types(normalize_type(was.data_type, table.dialect), now, actual.dialect)
                if result.change is not TypeChange.SAME:
                    where = f" at {edge.location}" if edge.location else ""
                    summary = (
                        f"{ref} became {found.data_type} in the {edge.kind} `{edge.expression}`{where} "
                        f"({parent} is {was.data_type})"
                    )
                    location = edge.location
                    line = location.line if location and not location.compiled else None
                    return UpstreamCause(
                        ref.node, ref.column, change, tuple(reversed(climbed)),
                        mechanism="type_change", summary=summary,
                        file=location.file if location else "", line=line,
                    )  # fmt: skip
            ref = parent

    def _failed_ancestor(self, node: str) -> UpstreamCause | None:
        """A skipped model: the nearest ancestor whose build errored (dbt skips what depends on it)."""
        from headwater.dbt import TableGraph

        graph = TableGraph(self.manifest)
        if node not in graph.graph:
            return None
        import networkx as nx

        distance = nx.shortest_path_length(graph.graph.reverse(copy=False), node)
        for ancestor in sorted(distance, key=lambda a: (distance[a], a)):
            failed = build_failure(ancestor, self.artifacts)
            if ancestor != node and failed is not None and failed.status != "skipped":
                return UpstreamCause(ancestor, "*", failed, file=self.manifest[ancestor].original_file_path)
        return None

    def _columns(self, node: str) -> tuple[str, ...]:
        try:
            return self.lineage.columns_of(node)
        except HeadwaterError:
            return ()

    # ---- upstream cause ----------------------------------------------------------------------------

    def cause(self, node: str, column: str) -> UpstreamCause | None:
        start = ColumnRef(node, column.lower())
        parents: dict[ColumnRef, Edge] = {}
        order: list[ColumnRef] = []
        queue = deque([start])
        while queue:
            ref = queue.popleft()
            for edge in self._value_edges_into(ref):
                src = edge.source
                if src is None or src in parents or src == start:
                    continue
                parents[src] = edge
                order.append(src)
                queue.append(src)
        best: UpstreamCause | None = None
        for ref in order:  # breadth-first: the last hit is the farthest upstream
            change = self._schema_change(ref.node, ref.column)
            if change is not None:
                path = []
                cur = ref
                while cur in parents:
                    path.append(parents[cur])
                    cur = parents[cur].target
                best = UpstreamCause(ref.node, ref.column, change, tuple(path))
        if best is None and not order:
            best = self._cause_by_tables(node, column.lower())
        return best

    def _value_edges_into(self, ref: ColumnRef) -> tuple[Edge, ...]:
        try:
            edges = self.lineage.edges_into(ref)
        except HeadwaterError:
            return ()
        return tuple(e for e in edges if not e.kind.is_row_edge)

    def _read(self, unique_id: str) -> ActualTable | None:
        if unique_id not in self._actual:
            node = self.manifest.get(unique_id)
            try:
                self._actual[unique_id] = read_node(node, self.artifacts, self.warehouse) if node else None
            except (NotReadable, HeadwaterError):
                self._actual[unique_id] = None
                return None
        return self._actual[unique_id]

    def _readable(self, unique_id: str) -> bool:
        return self._read(unique_id) is not None

    def _schema_change(self, unique_id: str, column: str) -> ContractChange | None:
        """What differs between the declared column (YAML) and the table now, if anything."""
        node = self.manifest.get(unique_id)
        if node is None or node.identifier is None or node.materialized == "ephemeral":
            return None
        actual = self._read(unique_id)
        if actual is None:
            return None  # unreadable here; a missing table is reported by the contracts on it
        found = actual.column(column)
        declared = node.columns.get(column)
        if found is None:
            if declared is None and column not in self._columns(unique_id) and node.resource_type != "source":
                return None
            extra = [c for c in actual.columns if c.key not in node.columns]
            guess = rename_candidate(
                ColumnSpec(column, declared.data_type if declared else None), extra, actual
            )
            return ColumnRemoved(column, declared.data_type if declared else None, guess)
        if declared is not None and declared.data_type:
            result = compare_types(
                declared.data_type, normalize_type(found.data_type, actual.dialect), actual.dialect
            )
            if result.is_breaking:
                return TypeChanged(column, declared.data_type, found.data_type, result.change, result.reason)
        return None

    def _cause_by_tables(self, node: str, column: str) -> UpstreamCause | None:
        """No lineage into the column: find the farthest ancestor that declares or had it and lost it."""
        from headwater.dbt import TableGraph

        graph = TableGraph(self.manifest).graph
        if node not in graph:
            return None
        import networkx as nx

        ancestors = sorted(nx.ancestors(graph, node), key=lambda a: -len(nx.ancestors(graph, a)))
        for ancestor in reversed(ancestors):  # roots first: the farthest one wins
            change = self._schema_change(ancestor, column)
            if not isinstance(change, ColumnRemoved | TypeChanged):
                continue
            if isinstance(change, ColumnRemoved) and column not in self.manifest[ancestor].columns:
                continue
            path = nx.shortest_path(graph, ancestor, node)
            through = tuple(p for p in path[1:] if self._readable(p) and self._lacks(p, column))
            return UpstreamCause(ancestor, column, change, (), through)
        return None

    def _lacks(self, unique_id: str, column: str) -> bool:
        actual = self._read(unique_id)
        return actual is not None and actual.column(column) is None

    # ---- blast radius -------------------------------------------------------------------------------

    def blast_radius(
        self, node: str, columns: Iterable[str], exclude: TableContract | None = None
    ) -> BlastRadius:
        refs = {ColumnRef(node, c.lower()) for c in columns}
        downstream: set[ColumnRef] = set()
        for ref in refs:
            try:
                downstream |= {e.target for e in self.lineage.downstream(ref)}
            except HeadwaterError:
                continue
        lineage_known = any(r.column in self._columns(node) for r in refs)
        if not lineage_known:
            downstream |= self._downstream_by_name(node, {r.column for r in refs})
        affected = refs | downstream
        nodes = {r.node for r in affected}
        by_node: dict[str, set[str]] = {}
        for ref in affected:
            by_node.setdefault(ref.node, set()).add(ref.column)
        models = sorted(n for n in nodes if n != node)
        exposures = sorted(e.unique_id for e in self.manifest.exposures.values() if nodes & set(e.depends_on))
        tests = sorted(
            t.unique_id
            for t in self.manifest.tests.values()
            if t.test
            and t.test.attached_node in by_node
            and (t.test.column_name or "").lower() in by_node[t.test.attached_node]
        )
        gx = sorted({str(e) for e in self.gx if self._gx_reads(e, by_node)})
        contracts = sorted(
            {
                f"{c.name} ({c.origin})"
                for c in self.contracts
                if c is not exclude
                and c.node_id in by_node
                and {s.key for s in c.columns} & by_node[c.node_id]
            }
        )
        return BlastRadius(
            tuple(sorted(downstream)),
            tuple(models),
            tuple(exposures),
            tuple(tests),
            tuple(gx),
            tuple(contracts),
        )

    def _downstream_by_name(self, node: str, columns: set[str]) -> set[ColumnRef]:
        """A column lineage no longer knows (removed upstream): descendants that declare, test or
        contract a column of the same name are the ones that expected it."""
        from headwater.dbt import TableGraph

        graph = TableGraph(self.manifest)
        if node not in graph.graph:
            return set()
        import networkx as nx

        expected: dict[str, set[str]] = {}
        for desc in nx.descendants(graph.graph, node):
            target = self.manifest.get(desc)
            names = set(target.columns) if target else set()
            names |= {s.key for c in self.contracts if c.node_id == desc for s in c.columns}
            names |= {
                (t.test.column_name or "").lower()
                for t in self.manifest.tests.values()
                if t.test and t.test.attached_node == desc
            }
            expected[desc] = names & columns
        return {ColumnRef(d, c) for d, cols in expected.items() for c in cols}

    def _gx_reads(self, expectation: GxExpectation, by_node: dict[str, set[str]]) -> bool:
        if expectation.type == SCHEMA_EXPECTATION and any(
            c.origin.file == expectation.file for c in self.contracts
        ):
            return False  # a schema contract this run checks: listed with the contracts
        node = expectation.node_id
        if node is None:
            hit = (
                self.manifest.node_by_relation(None, expectation.schema, expectation.table)
                if expectation.schema
                else None
            )
            if hit is None:
                try:
                    hit = self.manifest.find_node(expectation.table)
                except HeadwaterError:
                    return False
            node = hit.unique_id
        if node not in by_node:
            return False
        return not expectation.columns or bool({c.lower() for c in expectation.columns} & by_node[node])
