"""Build the column lineage of a whole manifest: per model in topological order, from cache when valid."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.dbt.artifacts import Manifest, Node, raw_nodes
from headwater.dbt.loader import Artifacts
from headwater.errors import ConfigError
from headwater.lineage.cache import FORMAT, LineageCache, default_cache_dir, node_key
from headwater.lineage.compact import RawEdge, RawLineage
from headwater.lineage.graph import NO_COMPILED_SQL, LineageGraph
from headwater.lineage.schemas import SchemaBook
from headwater.lineage.stats import stats_from_json, stats_to_json

if TYPE_CHECKING:
    from sqlglot import exp

ANALYSED_TYPES = frozenset({"model", "snapshot"})
SNAPSHOT_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def target_cache_dir(artifacts: Artifacts) -> Path | None:
    return default_cache_dir(artifacts.target_path) if artifacts.target_path is not None else None


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector off the manifest, and out of the analysis, while lineage runs.

    `gc.freeze()` parks the objects alive now (the manifest) outside the collector's view. Automatic
    collection is then paused: each model's syntax tree (cyclic through its parent links) is freed by one
    young collection right after its analysis (`collect_tree`), while it is all young and all dead. Left to
    the automatic collector, trees still in use were promoted to older generations and rescanned there
    (~25% of a cold run on 10,000 models). A larger first threshold alone (tried: 50,000) let dead trees
    pile up and made parsing ~1.6x slower (memory locality). On the way out, freeze + unfreeze moves what
    the run built (results, cache entries) to the oldest generation unscanned, instead of having the first
    collection after `enable()` scan it all.
    """
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def collect_tree() -> None:
    """Free the syntax tree of the model just analysed (see `gc_frozen`): a young collection only."""
    gc.collect(0)


def build_lineage(
    artifacts: Artifacts,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    workers: int | None = 1,
    always_qualify: bool = False,
    only: Iterable[str] | None = None,
    edge_text: bool = True,
) -> LineageGraph:
    """Column lineage of every model and snapshot (`only`: of the given nodes and their ancestors alone,
    e.g. what a trace of one failing node needs; such a graph knows nothing downstream of them).
    `cache_dir` defaults to `<target>/headwater`.

    `workers`: processes for the models the cache cannot serve: 1 (default) analyses them in this process;
    None means one forked worker per CPU (the CLI's default; Linux only, used for 64+ models to analyse).
    `always_qualify`: run sqlglot's qualify on every model instead of only where the fast pass falls back
    (slower; the two agree on every shared corpus, which tests/lineage/test_corpora.py checks).
    `edge_text=False`: the caller reads `stats()` alone (the CLI's `--stats`), so the analysis skips the
    edges' SQL text and file:line (~15% of a cold run); ignored when a cache is written, which stores them.
    """
    closure = upstream_closure(artifacts.manifest, only) if only is not None else None
    with gc_frozen():
        return _build(artifacts, cache_dir, use_cache, workers, always_qualify, closure, edge_text)


def upstream_closure(manifest: Manifest, node_ids: Iterable[str]) -> frozenset[str]:
    """The given nodes and every node they depend on, directly or not (unknown ids are ignored)."""
    seen: set[str] = set()
    stack = [uid for uid in node_ids if manifest.get(uid) is not None]
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        node = manifest.get(uid)
        stack.extend(p for p in (node.depends_on if node is not None else ()) if p not in seen)
    return frozenset(seen)


def _build(
    artifacts: Artifacts,
    cache_dir: str | Path | None,
    use_cache: bool,
    workers: int | None,
    always_qualify: bool,
    closure: frozenset[str] | None = None,
    edge_text: bool = True,
) -> LineageGraph:
    started = time.perf_counter()
    manifest = artifacts.manifest
    book = SchemaBook(artifacts)
    directory = Path(cache_dir) if cache_dir is not None else target_cache_dir(artifacts)
    cache = LineageCache(directory if use_cache else None)
    # The key of the whole run hashes every node and the catalog: only a run with a cache reads or writes it.
    run_key = book.run_key(FORMAT, str(always_qualify)) if cache.path is not None else ""
    known = cache.summary(run_key) if closure is None else None  # the summary covers the whole manifest
    stats = stats_from_json(known) if known is not None else None
    if stats is not None:
        # Nothing changed since the run that wrote the summary: its statistics stand, and the per-model
        # results are read from the cache (or re-analysed, if it was lost) only when edges are asked for.
        raw = raw_nodes(manifest.nodes)
        hits = sum(
            1
            for rtype in (
                (d.get("resource_type") for d in raw.values()) if raw is not None
                else (n.resource_type for n in manifest.nodes.values())
            )
            if rtype in ANALYSED_TYPES
        )

        def load() -> tuple[dict[str, RawLineage], int]:
            results, analysed = _results(manifest, book, cache, workers, always_qualify)
            if analysed:  # the per-model entries were lost or tampered with: store them again
                cache.prune(results)
                cache.save()
            return results, analysed

        graph = LineageGraph(
            manifest,
            load,
            book,
            seconds=time.perf_counter() - started,
            cache_hits=hits,
            known_stats=stats,
        )
        _remember(artifacts, directory, book, graph, run_key)
        return graph
    where = edge_text or cache.path is not None
    results, analysed = _results(manifest, book, cache, workers, always_qualify, closure, where)
    if closure is None:  # a partial run keeps the other models' entries and writes no summary
        cache.prune(results)
    cache.save()
    graph = LineageGraph(
        manifest, results, book, seconds=time.perf_counter() - started, cache_hits=cache.hits, cache_misses=analysed
    )
    if closure is None:
        cache.save_summary(run_key, stats_to_json(graph.stats()))
        _remember(artifacts, directory, book, graph, run_key)
    return graph


def _remember(
    artifacts: Artifacts, directory: Path | None, book: SchemaBook, graph: LineageGraph, run_key: str
) -> None:
    """Key this whole run's statistics by its inputs' bytes too (`memo.py`), when the loader digested them."""
    if directory is None or not run_key or artifacts.input_digest is None:
        return
    from headwater.lineage.memo import remember

    remember(directory, artifacts.input_digest, book.project_root, graph.stats(), book.files_read, book.stores)


def _results(
    manifest: Manifest,
    book: SchemaBook,
    cache: LineageCache,
    workers: int | None,
    always_qualify: bool,
    closure: frozenset[str] | None = None,
    where: bool = True,
) -> tuple[dict[str, RawLineage], int]:
    """Every analysed node's lineage in topological order, from the cache where its key matches (`where`:
    with the edges' text and lines, see `Locator`)."""
    # Imported here: a warm run answered from the cache summary needs neither (multiprocessing, pickle).
    from headwater.lineage.parallel import run_batch
    from headwater.lineage.python_models import registry_key

    analyser = _Analyser(manifest, book, fast=not always_qualify, where=where)
    order = [
        uid for uid in topological_order(manifest)
        if uid in manifest.nodes and manifest.nodes[uid].resource_type in ANALYSED_TYPES
        and (closure is None or uid in closure)
    ]
    results: dict[str, RawLineage] = {}
    analysed = 0
    pending = order
    while pending:
        # One round: every node whose parents' schemas are final is served from the cache or analysed.
        # A node analysed in this round without declared columns holds back its children (their key and
        # their `select *` need its inferred columns) until the next round.
        blocked: set[str] = set()
        batch: list[tuple[str, tuple[str, ...], str]] = []
        deferred: list[str] = []
        for node_id in pending:
            node = manifest.nodes[node_id]
            if blocked.intersection(node.depends_on):
                deferred.append(node_id)
                blocked.add(node_id)
                continue
            fallback = book.declared_names(node_id)
            if cache.path is None:  # --no-cache: no key to compute, nothing to look up
                batch.append((node_id, fallback, ""))
                if not book.from_catalog(node_id):
                    blocked.add(node_id)
                continue
            key = node_key(
                [FORMAT, book.dialect, node.checksum, node.compiled_code or "", *fallback]
                + list(registry_key(node, book.project_root))  # a python model's registered feature list
                + [book.signature(p) for p in sorted(node.depends_on)]
            )
            hit = cache.get(node_id, key)
            if hit is not None:
                results[node_id] = hit
                book.infer(node_id, hit.columns)
                continue
            batch.append((node_id, fallback, key))
            if not book.from_catalog(node_id):
                blocked.add(node_id)
        # What the loop above built (nodes read lazily from the manifest, their columns) lives as long as the
        # run: out of the collector's view too, so the first model's young collection does not scan it (inside
        # `gc_frozen` only, whose exit hands every frozen object back to the collector).
        if not gc.isenabled():
            gc.freeze()
        for (node_id, _, key), result in zip(batch, run_batch(analyser, batch, workers), strict=True):
            results[node_id] = result
            cache.put(node_id, key, result)
            book.infer(node_id, result.columns)
        analysed += len(batch)
        pending = deferred
    return {uid: results[uid] for uid in order}, analysed  # topological order: `stats()` relies on it


def topological_order(manifest: Manifest) -> list[str]:
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for node in (*manifest.sources.values(), *manifest.nodes.values()):
        sorter.add(node.unique_id, *(p for p in node.depends_on if p in manifest.nodes or p in manifest.sources))
    try:
        return list(sorter.static_order())
    except CycleError as err:
        path = " --> ".join(reversed(err.args[1])) if len(err.args) > 1 else str(err)
        raise ConfigError(f"Found a cycle: {path}; break it in the models' refs.") from None


class _Analyser:
    """Holds what every model's analysis shares: the schema, relation and ephemeral-name indexes."""

    def analyse_id(self, node_id: str, fallback: tuple[str, ...]) -> RawLineage:
        result = self.analyse(self.manifest.nodes[node_id], fallback)
        collect_tree()
        return result

    def __init__(self, manifest: Manifest, book: SchemaBook, fast: bool = True, where: bool = True) -> None:
        self.fast = fast
        self.where = where
        self.manifest = manifest
        self.book = book
        self._tables: dict[tuple[str, str, str], str | None] = {}
        self._ephemeral: dict[str, list[str]] = {}
        for node in manifest.models():
            if node.is_ephemeral:
                self._ephemeral.setdefault(node.name.lower(), []).append(node.unique_id)

    def analyse(self, node: Node, fallback: tuple[str, ...]) -> RawLineage:
        from headwater.lineage.analyze import analyze_model, failed
        from headwater.lineage.locate import Locator

        if node.language == "python":
            from headwater.lineage.python_models import python_model_lineage

            return python_model_lineage(node, fallback, self.book.column_names, self.book.project_root)
        if node.language != "sql":
            return failed(node.unique_id, fallback, f"python model: {node.language} models are not analysed")
        if not node.compiled_code:
            return failed(node.unique_id, fallback, NO_COMPILED_SQL)
        # The node itself is in the schema too: incremental models read `{{ this }}`.
        relations = (*node.depends_on, node.unique_id)
        parents = set(node.depends_on)

        def resolve_ephemeral(name: str) -> str | None:
            hits = self._ephemeral.get(name.lower(), [])
            found = [h for h in hits if h in parents] or hits
            return found[0] if found else None

        result = analyze_model(
            node.unique_id,
            node.compiled_code,
            self.book.dialect,
            lambda: self.book.mapping_schema(relations),
            self._resolve_table,
            resolve_ephemeral,
            Locator(node.compiled_code, node.raw_code, self.book.dialect, where=self.where),
            fallback,
            table_columns=self.book.column_names,
            fast=self.fast,
        )
        if node.resource_type == "snapshot":
            result = _with_snapshot_columns(result, fallback)
        return result

    def _resolve_table(self, table: exp.Table) -> str | None:
        key = (table.catalog.lower(), table.db.lower(), table.name.lower())
        if key not in self._tables:
            found = self.manifest.node_by_relation(table.catalog or None, table.db or None, table.name)
            self._tables[key] = found.unique_id if found is not None else None
        return self._tables[key]


def _with_snapshot_columns(result: RawLineage, fallback: tuple[str, ...]) -> RawLineage:
    """dbt adds its SCD columns to a snapshot: values dbt computes, not an upstream column."""
    extra = [c for c in (*SNAPSHOT_COLUMNS, *(f for f in fallback if f.startswith("dbt_"))) if c not in result.columns]
    extra = list(dict.fromkeys(extra))
    edges = tuple(RawEdge(c, "expression", expression="dbt snapshot metadata") for c in extra)
    return result._replace(columns=result.columns + tuple(extra), edges=result.edges + edges)
