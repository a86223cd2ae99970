"""The table-level DAG of a dbt project: a thin domain class over `networkx.DiGraph`.

Edges point downstream (parent -> child). Tests are not graph nodes: they are attached to the node(s)
they test (`TableGraph.tests_of`), so walks stay about data. Selectors follow dbt's syntax for the common
methods: `name`, `+name`, `name+`, `2+name`, `name+1`, `@name`, `tag:x`, `source:src.tbl`, `source:src`,
`path:models/marts`, `resource_type:model`, `package:p`, `fqn:a.b`, and unions separated by spaces.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NewType

from headwater.dbt.artifacts import Manifest, Node
from headwater.errors import ConfigError, suggest

if TYPE_CHECKING:
    import networkx as nx

UniqueId = NewType("UniqueId", str)

_SELECTOR_RE = re.compile(r"^(?P<at>@)?(?:(?P<up>\d*)\+)?(?P<body>.+?)(?:\+(?P<down>\d*))?$")


@dataclass(frozen=True)
class Cycle:
    path: tuple[str, ...]

    def __str__(self) -> str:
        return "Found a cycle: " + " --> ".join(self.path)


class TableGraph:
    """Sources, seeds, models (ephemeral included), snapshots, analyses and exposures, linked by depends_on."""

    def __init__(self, manifest: Manifest) -> None:
        import networkx as nx  # ~90 ms: imported when a graph is built, not with headwater.dbt

        self.manifest = manifest
        graph: nx.DiGraph = nx.DiGraph()
        for node in manifest.all_nodes():
            if node.resource_type == "test":
                continue
            graph.add_node(UniqueId(node.unique_id), resource_type=node.resource_type)
        for node in manifest.all_nodes():
            if node.resource_type == "test":
                continue
            for parent in node.depends_on:
                if parent in graph:
                    graph.add_edge(UniqueId(parent), UniqueId(node.unique_id))
        self.graph = graph
        tests: dict[str, list[str]] = {}
        for test in manifest.tests.values():
            targets = [test.test.attached_node] if test.test and test.test.attached_node else list(test.depends_on)
            for target in targets:
                tests.setdefault(target, []).append(test.unique_id)
        self._tests = {k: tuple(sorted(v)) for k, v in tests.items()}

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self.graph

    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())

    def node(self, unique_id: str) -> Node:
        return self.manifest[unique_id]

    def parents(self, unique_id: str) -> tuple[str, ...]:
        return tuple(sorted(self.graph.predecessors(unique_id)))

    def children(self, unique_id: str) -> tuple[str, ...]:
        return tuple(sorted(self.graph.successors(unique_id)))

    def tests_of(self, unique_id: str) -> tuple[str, ...]:
        """unique_ids of the tests attached to (or depending on) this node."""
        return self._tests.get(unique_id, ())

    def ancestors(self, unique_id: str, depth: int | None = None) -> set[str]:
        return self._walk(unique_id, depth, reverse=True)

    def descendants(self, unique_id: str, depth: int | None = None) -> set[str]:
        return self._walk(unique_id, depth, reverse=False)

    def _walk(self, unique_id: str, depth: int | None, reverse: bool) -> set[str]:
        import networkx as nx

        if unique_id not in self.graph:
            raise ConfigError(f"no node {unique_id!r} in the graph.{suggest(unique_id, self.graph.nodes)}")
        if depth is not None and depth < 1:
            return set()
        return {v for _, v in nx.bfs_edges(self.graph, unique_id, reverse=reverse, depth_limit=depth)}

    def topological_order(self) -> list[str]:
        """All node ids, parents before children. Raises ConfigError naming the cycle if there is one."""
        import networkx as nx

        try:
            return list(nx.lexicographical_topological_sort(self.graph))
        except nx.NetworkXUnfeasible:
            cycle = self.find_cycle()
            raise ConfigError(f"{cycle}; break it in the models' refs.") from None

    def find_cycle(self) -> Cycle | None:
        import networkx as nx

        try:
            edges = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            return None
        path = [str(u) for u, _ in edges] + [str(edges[0][0])]
        return Cycle(tuple(path))

    # -- selectors ---------------------------------------------------------------------------------
    def select(self, selector: str) -> set[str]:
        """dbt-style selection; space-separated selectors are a union, comma-separated an intersection."""
        result: set[str] = set()
        for union_part in selector.split():
            parts = [self._select_one(p) for p in union_part.split(",") if p]
            if parts:
                result |= set.intersection(*parts)
        return result

    def _select_one(self, selector: str) -> set[str]:
        match = _SELECTOR_RE.match(selector)
        if not match:
            raise ConfigError(f"cannot read selector {selector!r}; e.g. `+name`, `tag:x`, `source:src.tbl`.")
        base = self._base(match.group("body"))
        selected = set(base)
        up, down = match.group("up"), match.group("down")
        for uid in base:
            if up is not None:
                selected |= self.ancestors(uid, int(up) if up else None)
            if down is not None or match.group("at"):
                descendants = self.descendants(uid, int(down) if down else None)
                selected |= descendants
                if match.group("at"):
                    for child in descendants:
                        selected |= self.ancestors(child)
        return selected

    def _base(self, body: str) -> set[str]:
        method, _, value = body.partition(":") if ":" in body else ("", "", body)
        nodes = [self.manifest[u] for u in self.graph.nodes]
        if method in ("", "fqn") and not value.count("/"):
            hits = {n.unique_id for n in nodes if _match_name(n, value, method == "fqn")}
        elif method == "tag":
            hits = {n.unique_id for n in nodes if any(fnmatch.fnmatchcase(t, value) for t in n.tags)}
        elif method == "source":
            src, _, table = value.partition(".")
            hits = {
                n.unique_id
                for n in nodes
                if n.resource_type == "source"
                and fnmatch.fnmatchcase(n.source_name or "", src)
                and (not table or fnmatch.fnmatchcase(n.name, table))
            }
        elif method in ("path", ""):
            prefix = value.rstrip("/")
            hits = {
                n.unique_id
                for n in nodes
                if n.original_file_path == prefix
                or n.original_file_path.startswith(prefix + "/")
                or fnmatch.fnmatchcase(n.original_file_path, prefix)
            }
        elif method == "resource_type":
            hits = {n.unique_id for n in nodes if n.resource_type == value}
        elif method == "package":
            hits = {n.unique_id for n in nodes if n.package_name == value}
        elif method == "config.materialized":
            hits = {n.unique_id for n in nodes if n.materialized == value}
        else:
            raise ConfigError(
                f"selector method {method!r} is not supported; use name, tag, source, path, resource_type,"
                " package, fqn or config.materialized."
            )
        if not hits:
            names = {n.name for n in nodes} | {n.display_name for n in nodes}
            raise ConfigError(f"selector {body!r} matches nothing.{suggest(value, names)}")
        return hits


def _match_name(node: Node, value: str, fqn_only: bool) -> bool:
    if node.unique_id == value:
        return True
    if "." in value:
        dotted = ".".join(node.fqn)
        return fnmatch.fnmatchcase(dotted, value) or dotted.endswith("." + value) or (
            not fqn_only and node.source_name is not None and node.display_name == value
        )
    return fnmatch.fnmatchcase(node.name, value) or (bool(node.fqn) and fnmatch.fnmatchcase(node.fqn[-1], value))

