"""`LineageGraph`: the column lineage of a whole project, queried by the trace, contracts and the CLI.

Per-model results are held in their compact form (`RawLineage`) and turned into `ModelLineage`/`Edge`
objects on first use. Row edges are stored once per model and reported against every output column.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from headwater.dbt.artifacts import Manifest
from headwater.errors import ConfigError, suggest
from headwater.lineage.compact import RawEdge, RawLineage
from headwater.lineage.model import ColumnRef, Edge, EdgeKind, ModelLineage, SourceLocation
from headwater.lineage.stats import LineageStats

if TYPE_CHECKING:
    from headwater.lineage.schemas import SchemaBook

LEAF_TYPES = frozenset({"source", "seed"})
# The reason given to every column of a model the manifest has no compiled SQL for.
NO_COMPILED_SQL = "no compiled SQL: run `dbt compile`"
EXTERNAL_PREFIX = "external."  # the same as `scopes.EXTERNAL_PREFIX` (not imported: that imports sqlglot)


def _register_externals(manifest: Manifest, results: Mapping[str, RawLineage]) -> None:
    """Make every `external.*` node an edge names known to `manifest.get()`, with the columns read from it."""
    found: dict[str, dict[str, None]] = {}
    for raw in results.values():
        for e in (*raw.edges, *raw.row_edges):
            if e.source_node is not None and e.source_node.startswith(EXTERNAL_PREFIX) and e.source_column:
                found.setdefault(e.source_node, {})[e.source_column] = None
    for uid, columns in found.items():
        if uid not in manifest.externals:
            manifest.add_external(uid, uid[len(EXTERNAL_PREFIX) :], tuple(columns))


def reason_category(reason: str) -> str:
    return reason.split(":", 1)[0].strip() or "unknown"


class LineageGraph:
    def __init__(
        self,
        manifest: Manifest,
        results: Mapping[str, RawLineage] | Callable[[], tuple[Mapping[str, RawLineage], int]],
        book: SchemaBook,
        seconds: float = 0.0,
        cache_hits: int = 0,
        cache_misses: int = 0,
        known_stats: LineageStats | None = None,
    ) -> None:
        """`results` in topological order, or a function giving them on first use (a warm run whose
        statistics are `known_stats`, read from the cache summary, needs no per-model result for `stats()`)."""
        self.manifest = manifest
        self.dialect = manifest.dialect
        self._raw = results if isinstance(results, Mapping) else None
        self._load = None if isinstance(results, Mapping) else results
        if self._raw is not None:
            _register_externals(manifest, self._raw)
        self._known_stats = known_stats
        self._book = book
        self.seconds = seconds
        self.cache_hits = cache_hits
        self.cache_misses = cache_misses
        self._models: dict[str, ModelLineage] = {}
        self._by_target: dict[str, dict[str, tuple[Edge, ...]]] = {}
        self._reverse: dict[ColumnRef, list[tuple[str, RawEdge]]] | None = None
        self._resolved: dict[str, set[str]] | None = None

    @property
    def raw(self) -> Mapping[str, RawLineage]:
        """Per-model results in their compact form, in topological order."""
        if self._raw is None:
            assert self._load is not None
            self._raw, analysed = self._load()
            self.cache_hits, self.cache_misses = len(self._raw) - analysed, analysed
            _register_externals(self.manifest, self._raw)
        return self._raw

    # -- nodes and columns -------------------------------------------------------------------------
    def node_id(self, name: str) -> str:
        """unique_id for a unique_id, model name or source_name.table_name (ConfigError if unknown)."""
        return self.manifest.find_node(name).unique_id

    def columns_of(self, node: str) -> tuple[str, ...]:
        """Output columns of a model, snapshot, seed or source, as far as they are known: lower-cased, except
        names the dialect keeps the case of (`headwater.lineage.names`)."""
        raw = self.raw.get(node)
        if raw is not None:
            return raw.columns
        return self._book.column_names(node) or ()

    def model(self, unique_id: str) -> ModelLineage:
        found = self._models.get(unique_id)
        if found is not None:
            return found
        raw = self.raw.get(unique_id)
        if raw is None:
            if self.manifest.get(unique_id) is None:
                raise ConfigError(f"no node {unique_id!r} in the manifest.{suggest(unique_id, self.raw)}")
            lineage = ModelLineage(node=unique_id, columns=self.columns_of(unique_id), edges=(), dialect=self.dialect)
        else:
            node = self.manifest[unique_id]
            edges: list[Edge] = [self._edge(unique_id, node.original_file_path, e, e.target) for e in raw.edges]
            for column in raw.columns:
                edges.extend(self._edge(unique_id, node.original_file_path, e, column) for e in raw.row_edges)
            lineage = ModelLineage(unique_id, raw.columns, tuple(edges), self.dialect, raw.error)
        self._models[unique_id] = lineage
        return lineage

    def _edge(self, node_id: str, file: str, raw: RawEdge, target: str) -> Edge:
        source = ColumnRef(raw.source_node, raw.source_column) if raw.source_node and raw.source_column else None
        location = SourceLocation(file, raw.line, raw.compiled) if raw.expression or raw.line else SourceLocation(file)
        return Edge(
            source=source,
            target=ColumnRef(node_id, target),
            kind=EdgeKind(raw.kind),
            expression=raw.expression,
            location=location,
            reason=raw.reason,
            join_side=raw.join_side,
        )

    # -- edges -------------------------------------------------------------------------------------
    def edges_into(self, ref: ColumnRef) -> tuple[Edge, ...]:
        """Value edges into `ref`, then the row edges (join/filter/group) of its model."""
        by_target = self._by_target.get(ref.node)
        if by_target is None:
            grouped: dict[str, list[Edge]] = {}
            for edge in self.model(ref.node).edges:
                grouped.setdefault(edge.target.column, []).append(edge)
            by_target = {k: tuple(v) for k, v in grouped.items()}
            self._by_target[ref.node] = by_target
        return by_target.get(ref.column) or by_target.get(ref.column.lower(), ())

    def edges_from(self, ref: ColumnRef) -> tuple[Edge, ...]:
        """Edges whose source is `ref` (a row edge counts once per column of the model it feeds)."""
        if self._reverse is None:
            reverse: dict[ColumnRef, list[tuple[str, RawEdge]]] = {}
            for node_id, raw in self.raw.items():
                for e in (*raw.edges, *raw.row_edges):
                    if e.source_node and e.source_column:
                        reverse.setdefault(ColumnRef(e.source_node, e.source_column), []).append((node_id, e))
            self._reverse = reverse
        out: list[Edge] = []
        found = self._reverse.get(ref) or self._reverse.get(ColumnRef(ref.node, ref.column.lower())) or []
        for node_id, e in found:
            file = self.manifest[node_id].original_file_path
            targets = [e.target] if e.target else list(self.raw[node_id].columns)
            out.extend(self._edge(node_id, file, e, t) for t in targets)
        return tuple(out)

    def upstream(self, ref: ColumnRef, depth: int | None = None, rows: bool = True) -> tuple[Edge, ...]:
        """Every edge on the way up from `ref` (breadth first); `depth` counts model hops."""
        return tuple(self._walk(ref, depth, rows, up=True))

    def downstream(self, ref: ColumnRef, depth: int | None = None, rows: bool = True) -> tuple[Edge, ...]:
        return tuple(self._walk(ref, depth, rows, up=False))

    def _walk(self, start: ColumnRef, depth: int | None, rows: bool, up: bool) -> Iterator[Edge]:
        seen = {start}
        queue: deque[tuple[ColumnRef, int]] = deque([(start, 0)])
        while queue:
            ref, level = queue.popleft()
            if depth is not None and level >= depth:
                continue
            for edge in self.edges_into(ref) if up else self.edges_from(ref):
                if not rows and edge.kind.is_row_edge:
                    continue
                yield edge
                nxt = edge.source if up else edge.target
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    queue.append((nxt, level + 1))

    # -- coverage ----------------------------------------------------------------------------------
    def is_resolved(self, ref: ColumnRef) -> bool:
        """Whether every value path of a model column ends at a source/seed/external column or a literal.
        Sources, seeds and external relations are resolved by definition."""
        if ref.node not in self.raw:
            return self.manifest.get(ref.node) is not None
        if self._resolved is None:
            self._compute_stats()
        assert self._resolved is not None
        resolved = self._resolved.get(ref.node, set())
        return ref.column in resolved or ref.column.lower() in resolved

    def stats(self) -> LineageStats:
        """Coverage of the whole manifest (from the cache summary when nothing changed)."""
        if self._known_stats is None:
            self._known_stats = self._compute_stats()
        return replace(
            self._known_stats, seconds=self.seconds, cache_hits=self.cache_hits, cache_misses=self.cache_misses
        )

    def _compute_stats(self) -> LineageStats:
        """One pass over the edges in topological order (a column is resolved when all its parents are)."""
        resolved_cols: dict[str, set[str]]
        leaf_nodes: dict[str, bool] = {}
        reasons: Counter[str] = Counter()
        row_reasons: Counter[str] = Counter()
        external_cols: dict[str, set[str]] = {}  # per node: columns with a value path to an external leaf
        relations: set[str] = set()
        n_models = n_cols = n_resolved = n_unknown = n_edges = failed = n_row_unknown = n_external = uncompiled = 0
        resolved_cols = self._resolved = {}
        for node_id, raw in self.raw.items():  # insertion order is topological
            # `resolved` follows VALUE paths; unknown ROW edges (a join to an unknown table) are counted
            # apart, in `row_unknown`, so resolved + unknown + unresolved_upstream == columns.
            unresolved: set[str] = set()
            unknown: dict[str, set[str]] = {}
            external: set[str] = set()
            for e in raw.edges:
                source = e.source_node
                if e.kind == "unknown":
                    unknown.setdefault(e.target, set()).add(reason_category(e.reason))
                elif source is not None:
                    if source.startswith(EXTERNAL_PREFIX):
                        external.add(e.target)  # a leaf: resolved, and counted apart
                        relations.add(source)
                        continue
                    if e.source_column in external_cols.get(source, ()):
                        external.add(e.target)
                    upstream = resolved_cols.get(source)
                    if upstream is None:
                        ok = leaf_nodes.get(source)
                        if ok is None:
                            node = self.manifest.get(source)
                            ok = leaf_nodes[source] = node is not None and node.resource_type in LEAF_TYPES
                    else:
                        ok = e.source_column in upstream
                    if not ok:
                        unresolved.add(e.target)
            ok_cols = set(raw.columns).difference(unresolved, unknown)
            resolved_cols[node_id] = ok_cols
            if external:
                external_cols[node_id] = external
            if self.manifest.nodes[node_id].resource_type != "model":
                continue
            row_unknown = {reason_category(e.reason) for e in raw.row_edges if e.kind == "unknown"}
            width = len(raw.columns)
            n_models += 1
            failed += bool(raw.error)
            uncompiled += raw.error.startswith(NO_COMPILED_SQL)
            n_edges += len(raw.edges) + len(raw.row_edges) * width
            n_cols += width
            n_resolved += len(ok_cols)
            n_external += len(ok_cols & external)
            if unknown:  # most models have none: skip the per-column pass (Counter.update is slow)
                n_unknown += sum(1 for c in raw.columns if c in unknown)
                for column in raw.columns:
                    found = unknown.get(column)
                    if found:
                        reasons.update(found)
            if row_unknown:
                n_row_unknown += width
                for reason in row_unknown:
                    row_reasons[reason] += width
        return LineageStats(
            models=n_models,
            columns=n_cols,
            resolved=n_resolved,
            unknown=n_unknown,
            unresolved_upstream=n_cols - n_resolved - n_unknown,
            unknown_reasons=dict(reasons.most_common()),
            row_unknown=n_row_unknown,
            row_unknown_reasons=dict(row_reasons.most_common()),
            models_failed=failed,
            models_uncompiled=uncompiled,
            edges=n_edges,
            external=n_external,
            external_relations=tuple(sorted(relations)),
            seconds=self.seconds,
            cache_hits=self.cache_hits,
            cache_misses=self.cache_misses,
        )
