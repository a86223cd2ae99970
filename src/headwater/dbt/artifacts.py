"""dbt artifacts as typed, frozen data classes (pure: no file I/O here; see `headwater.dbt.loader`).

`Manifest.from_dict(raw)` keeps only what headwater uses: models, seeds, snapshots, analyses, sources,
exposures and tests. Macros and docs are never touched, which keeps loading close to `orjson.loads` alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, overload

from headwater.dbt import shape
from headwater.dbt.nodes import Column, Contract, Node, TestInfo, node_from_dict, relation_key
from headwater.errors import ArtifactError, ConfigError, suggest

_T = TypeVar("_T")

__all__ = [
    "Column", "Contract", "LazyNodes", "Manifest", "ManifestMetadata", "Node", "TestInfo", "manifest_version",
    "raw_nodes", "relation_key",
]

SUPPORTED_MANIFEST_VERSIONS = range(7, 13)  # manifest schema v7 (dbt 1.4) .. v12 (dbt 1.8+)
_VERSION_RE = re.compile(r"/manifest/v(\d+)\.json")

# Resource types that live under manifest["nodes"] and are kept as `Manifest.nodes`.
NODE_TYPES = frozenset({"model", "seed", "snapshot", "analysis"})


@dataclass(frozen=True)
class ManifestMetadata:
    schema_version: int
    dbt_version: str = ""
    adapter_type: str = ""
    project_name: str = ""
    generated_at: str = ""


@dataclass(frozen=True)
class Manifest:
    metadata: ManifestMetadata
    nodes: Mapping[str, Node]  # models, seeds, snapshots, analyses
    sources: Mapping[str, Node]
    exposures: Mapping[str, Node]
    tests: Mapping[str, Node]
    # Relations the models' SQL reads that dbt does not declare (`external.<db>.<schema>.<table>`, resource
    # type "external"): added by `headwater.lineage` when it meets them, so that `get()` knows every node an
    # edge can name. Not part of `all_nodes()`, which lists what dbt declares.
    externals: dict[str, Node] = field(default_factory=dict)

    @property
    def adapter_type(self) -> str:
        return self.metadata.adapter_type

    @property
    def dialect(self) -> str:
        """The sqlglot dialect name for the adapter (dbt adapter names match sqlglot's, mostly)."""
        return _DIALECTS.get(self.metadata.adapter_type, self.metadata.adapter_type)

    def get(self, unique_id: str) -> Node | None:
        for table in (self.nodes, self.sources, self.exposures, self.tests, self.externals):
            node = table.get(unique_id)
            if node is not None:
                return node
        return None

    def __getitem__(self, unique_id: str) -> Node:
        node = self.get(unique_id)
        if node is None:
            raise ConfigError(f"no node {unique_id!r} in the manifest.{suggest(unique_id, self._all_ids)}")
        return node

    def add_external(self, unique_id: str, relation: str, columns: tuple[str, ...]) -> Node:
        """Record an undeclared relation (see `externals`); `columns`: those the SQL was seen reading."""
        parts = relation.split(".")
        node = Node(
            unique_id=unique_id,
            resource_type="external",
            name=parts[-1],
            relation_name=relation,
            database=parts[-3] if len(parts) > 2 else None,
            schema=parts[-2] if len(parts) > 1 else None,
            identifier=parts[-1],
            columns={c: Column(name=c) for c in columns},
            description="read by a model's SQL; not declared in dbt (no source, model or seed)",
        )
        self.externals[unique_id] = node
        return node

    def all_nodes(self) -> Iterator[Node]:
        for table in (self.nodes, self.sources, self.exposures, self.tests):
            yield from table.values()

    def models(self) -> Iterator[Node]:
        return (n for n in self.nodes.values() if n.resource_type == "model")

    @cached_property
    def _all_ids(self) -> tuple[str, ...]:
        return tuple(n.unique_id for n in self.all_nodes())

    @cached_property
    def _by_relation(self) -> dict[tuple[str, str, str], str]:
        index: dict[tuple[str, str, str], str] = {}
        for node in (*self.sources.values(), *self.nodes.values()):
            key = node.relation_key
            if key is not None and node.resource_type != "analysis":
                index.setdefault(key, node.unique_id)
        return index

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for node in self.all_nodes():
            index.setdefault(node.name.lower(), []).append(node.unique_id)
            if node.source_name:
                index.setdefault(f"{node.source_name}.{node.name}".lower(), []).append(node.unique_id)
        return index

    def node_by_relation(self, database: str | None, schema: str | None, identifier: str) -> Node | None:
        """The source/model/seed/snapshot stored at database.schema.identifier (case-insensitive)."""
        uid = self._by_relation.get(relation_key(database, schema, identifier))
        if uid is None and database is None:
            # Two-part names (schema.table): unique match on schema + identifier.
            hits = [u for k, u in self._by_relation.items() if k[1:] == relation_key(None, schema, identifier)[1:]]
            uid = hits[0] if len(hits) == 1 else None
        return self.get(uid) if uid else None

    def find_node(self, name: str) -> Node:
        """Resolve a unique_id, a node name (models first) or `source_name.table_name`.

        Raises ConfigError with a "Did you mean" suggestion when nothing matches.
        """
        node = self.get(name)
        if node is not None:
            return node
        hits = self._by_name.get(name.lower(), [])
        if not hits:
            candidates = [*self._by_name, *self._all_ids]
            raise ConfigError(
                f"no model, seed, snapshot or source named {name!r} in the manifest.{suggest(name, candidates)}"
                " Use a model name, a unique_id or source_name.table_name."
            )
        ranked = sorted(hits, key=lambda u: _RANK.get(u.split(".", 1)[0], 9))
        best = [u for u in ranked if _RANK.get(u.split(".", 1)[0], 9) == _RANK.get(ranked[0].split(".", 1)[0], 9)]
        if len(best) > 1:
            raise ConfigError(f"{name!r} is ambiguous: {', '.join(best)}. Pass the unique_id.")
        return self[best[0]]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], include_tests: bool = True) -> Manifest:
        """`include_tests=False` leaves `tests` empty (lineage does not read them; they are ~40% of nodes)."""
        meta = shape.check_metadata(raw)
        version = manifest_version(meta.get("dbt_schema_version") or "")
        raw_nodes_ = shape.section("manifest.json", raw, "nodes")
        raw_sources = shape.section("manifest.json", raw, "sources")
        raw_exposures = shape.section("manifest.json", raw, "exposures")
        for uid, data in raw_nodes_.items():
            if include_tests or shape.resource_type(uid, data) in NODE_TYPES:
                shape.check_node("nodes", uid, data)
        for name, table in (("sources", raw_sources), ("exposures", raw_exposures)):
            for uid, data in table.items():
                shape.check_node(name, uid, data)
        nodes: Mapping[str, Node]
        sources: Mapping[str, Node]
        tests: dict[str, Node] = {}
        if include_tests:
            eager: dict[str, Node] = {}
            for uid, data in raw_nodes_.items():
                rtype = data.get("resource_type")
                if rtype == "test":
                    tests[uid] = node_from_dict(data)
                elif rtype in NODE_TYPES:
                    eager[uid] = node_from_dict(data)
            eager_sources = {uid: node_from_dict(data) for uid, data in raw_sources.items()}
            nodes, sources = _attach_tests(eager, eager_sources, tests)
        else:
            # Without tests nothing is attached to the nodes: each is built from its raw dict on first use
            # (a warm `lineage --stats` reads none of them; see `raw_nodes`).
            kept = {uid: d for uid, d in raw_nodes_.items() if d.get("resource_type") in NODE_TYPES}
            nodes, sources = LazyNodes(kept), LazyNodes(raw_sources)
        exposures = {uid: node_from_dict(data) for uid, data in raw_exposures.items()}
        return cls(
            metadata=ManifestMetadata(
                schema_version=version,
                dbt_version=meta.get("dbt_version", ""),
                adapter_type=meta.get("adapter_type") or "",
                project_name=meta.get("project_name") or "",
                generated_at=meta.get("generated_at") or "",
            ),
            nodes=nodes,
            sources=sources,
            exposures=exposures,
            tests=tests,
        )


class LazyNodes(Mapping[str, Node]):
    """Read-only mapping of unique_id -> Node that builds each Node from its raw manifest dict on first access.

    Building 10,000 frozen nodes costs about a quarter of loading the JSON; a warm lineage run needs none
    of them (it hashes the raw dicts, see `raw_nodes`). It behaves as the dict it stands for otherwise.
    """

    __slots__ = ("_built", "_raw")

    def __init__(self, raw: Mapping[str, Mapping[str, Any]]) -> None:
        self._raw = raw
        self._built: dict[str, Node] = {}

    def __getitem__(self, unique_id: str) -> Node:
        node = self._built.get(unique_id)
        if node is None:
            node = self._built[unique_id] = node_from_dict(self._raw[unique_id])
        return node

    @overload
    def get(self, unique_id: str, /) -> Node | None: ...
    @overload
    def get(self, unique_id: str, /, default: Node | _T) -> Node | _T: ...
    def get(self, unique_id: str, /, default: object = None) -> object:
        return self[unique_id] if unique_id in self._raw else default

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"LazyNodes({len(self._raw)} nodes)"


def raw_nodes(table: Mapping[str, Node]) -> Mapping[str, Mapping[str, Any]] | None:
    """The raw manifest dicts behind `Manifest.nodes`/`.sources` when they are built lazily, else None."""
    return table._raw if isinstance(table, LazyNodes) else None


_RANK = {"model": 0, "snapshot": 1, "seed": 2, "source": 3, "analysis": 4, "exposure": 5, "test": 6}
# dbt adapter -> sqlglot dialect where the names differ; other names are used as they are, and
# `headwater.lineage` falls back to sqlglot's generic dialect for a name sqlglot does not know.
_DIALECTS = {"sqlserver": "tsql", "synapse": "tsql", "glue": "spark", "impala": "hive", "firebolt": "postgres"}


def manifest_version(schema_url: str) -> int:
    match = _VERSION_RE.search(schema_url or "")
    found = int(match.group(1)) if match else None
    if found is None or found not in SUPPORTED_MANIFEST_VERSIONS:
        shown = f"v{found}" if found is not None else repr(schema_url or "no dbt_schema_version")
        raise ArtifactError(
            f"manifest.json schema {shown} is not supported (v7 to v12 are);"
            " regenerate it with dbt 1.4 to 1.11 (`dbt compile`)."
        )
    return found


def _attach_tests(
    nodes: dict[str, Node], sources: dict[str, Node], tests: Mapping[str, Node]
) -> tuple[dict[str, Node], dict[str, Node]]:
    """Record each column test's unique_id on the column it tests (frozen nodes are rebuilt once)."""
    from dataclasses import replace

    by_column: dict[tuple[str, str], list[str]] = {}
    for uid, test in tests.items():
        if test.test and test.test.attached_node and test.test.column_name:
            by_column.setdefault((test.test.attached_node, test.test.column_name.lower()), []).append(uid)
    touched: dict[str, dict[str, Column]] = {}
    for (node_id, col), test_ids in by_column.items():
        owner = nodes.get(node_id) or sources.get(node_id)
        if owner is None:
            continue
        cols = touched.setdefault(node_id, dict(owner.columns))
        current = cols.get(col) or Column(name=col)
        cols[col] = replace(current, tests=tuple(sorted(test_ids)))
    for node_id, cols in touched.items():
        table = nodes if node_id in nodes else sources
        table[node_id] = replace(table[node_id], columns=cols)
    return nodes, sources
