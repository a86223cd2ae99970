"""Incidents: the failures of one trace that share a root cause — the same node, column and mechanism, or
one cause upstream of another — grouped, with the blast radius of the cause (downstream models, exposures,
the dbt tests and GX expectations that read them, and the failed expectations it explains)."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from headwater.dbt import Manifest, TableGraph
from headwater.trace.model import CauseKind, Failure, Incident, RootCause


def incidents(
    failures: Sequence[Failure], manifest: Manifest, expectations: Sequence[tuple[str, str]] = ()
) -> tuple[Incident, ...]:
    """One incident per distinct top cause; a cause downstream of another joins the upstream one's incident.
    `expectations`: (node, label) of every GX expectation of the traced result, for the blast radius."""
    traced = [(f, f.top) for f in failures if f.top is not None and f.top.kind != CauseKind.UNKNOWN]
    if not traced:
        return ()
    graph = TableGraph(manifest)
    keys = {_key(c) for _, c in traced if c is not None}
    merged = nx.Graph()
    merged.add_nodes_from(keys)
    for a in keys:
        for b in keys:
            if a != b and a[0] in graph and b[0] in graph and a[0] in graph.ancestors(b[0]):
                merged.add_edge(a, b)
    found: list[Incident] = []
    for group in nx.connected_components(merged):
        members = [(f, c) for f, c in traced if c is not None and _key(c) in group]
        cause = _upstream_most(graph, [c for _, c in members])
        downstream = sorted(graph.descendants(cause.node)) if cause.node in graph else []
        exposures = sorted(
            e.unique_id for e in manifest.exposures.values() if set(e.depends_on) & {cause.node, *downstream}
        )
        checks = tuple(f"{f.relation}.{f.column} {f.check}" for f, _ in members)
        reached = {cause.node, *downstream}
        readers = sorted({label for node, label in expectations if node in reached})
        readers += sorted(f"dbt test {t.name}" for t in manifest.tests.values() if set(t.depends_on) & reached)
        models = tuple(d for d in downstream if not d.startswith("test."))
        found.append(Incident(cause, checks, models, tuple(exposures), tuple(readers)))
    return tuple(sorted(found, key=lambda i: -len(i.failures)))


def _key(cause: RootCause) -> tuple[str, str, str]:
    return (cause.node, cause.column, cause.mechanism.value)


def _upstream_most(graph: TableGraph, causes: list[RootCause]) -> RootCause:
    for cause in causes:
        if cause.node in graph and not any(c.node in graph.ancestors(cause.node) for c in causes if c is not cause):
            return cause
    return causes[0]
