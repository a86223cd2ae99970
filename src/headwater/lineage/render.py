"""Render lineage for people and tools: a text tree, JSON, Mermaid and Graphviz dot (pure: returns str)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from headwater.lineage.graph import LineageGraph
from headwater.lineage.model import ColumnRef, Edge
from headwater.lineage.stats import render_stats as render_stats  # re-exported: the CLI and tests print it from here


def edge_to_dict(edge: Edge) -> dict[str, Any]:
    loc = edge.location
    return {
        "source": str(edge.source) if edge.source else None,
        "target": str(edge.target),
        "kind": edge.kind.value,
        "expression": edge.expression,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "line_is_compiled": loc.compiled if loc else False,
        "reason": edge.reason or None,
        "join_side": edge.join_side or None,
    }


def _label(edge: Edge, upstream: bool = True) -> str:
    kind = f"{edge.kind.value}[{edge.join_side}]" if edge.join_side else edge.kind.value
    src = str(edge.source) if edge.source else ("?" if edge.kind.value == "unknown" else "(literal)")
    text = f"{kind} <- {src}" if upstream else f"{kind} -> {edge.target}"
    if edge.expression:
        expr = edge.expression if len(edge.expression) <= 100 else edge.expression[:97] + "..."
        text += f"  `{expr}`"
    if edge.location and edge.location.line:
        text += f"  ({edge.location})"
    if edge.reason:
        text += f"  -- {edge.reason}"
    return text


def render_tree(graph: LineageGraph, refs: Sequence[ColumnRef], depth: int | None, upstream: bool) -> str:
    """Value edges are followed; row edges (join/filter/group) are listed under each column, not expanded."""
    lines: list[str] = []
    arrow = "upstream" if upstream else "downstream"
    for ref in refs:
        lines.append(f"{ref}  ({arrow})")
        _tree(graph, ref, depth, upstream, "", {ref}, lines)
    return "\n".join(lines)


def _tree(
    graph: LineageGraph,
    ref: ColumnRef,
    depth: int | None,
    upstream: bool,
    prefix: str,
    seen: set[ColumnRef],
    out: list[str],
) -> None:
    if depth is not None and depth <= 0:
        return
    edges = graph.edges_into(ref) if upstream else graph.edges_from(ref)
    for i, edge in enumerate(edges):
        last = i == len(edges) - 1
        out.append(f"{prefix}{'└── ' if last else '├── '}{_label(edge, upstream)}")
        nxt = edge.source if upstream else edge.target
        if nxt is None or edge.kind.is_row_edge:
            continue
        if nxt in seen:
            continue
        seen.add(nxt)
        deeper = None if depth is None else depth - 1
        _tree(graph, nxt, deeper, upstream, prefix + ("    " if last else "│   "), seen, out)


def render_json(refs: Sequence[ColumnRef], edges: Iterable[Edge], direction: str) -> str:
    payload = {"columns": [str(r) for r in refs], "direction": direction, "edges": [edge_to_dict(e) for e in edges]}
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


def render_mermaid(edges: Iterable[Edge]) -> str:
    ids: dict[str, str] = {}

    def node(name: str) -> str:
        if name not in ids:
            ids[name] = f"n{len(ids)}"
        return ids[name]

    body: list[str] = []
    for e in dict.fromkeys(edges):
        src = str(e.source) if e.source else f"unknown: {_sourceless(e)}"[:80]
        kind = e.kind.value + (f" {e.join_side}" if e.join_side else "")
        body.append(f'    {node(src)} -->|{kind}| {node(str(e.target))}')
    head = ["flowchart LR"] + [f'    {i}["{_escape(n)}"]' for n, i in ids.items()]
    return "\n".join(head + body)


def _sourceless(edge: Edge) -> str:
    """What stands for an edge without a source column: an unknown edge's reason, a literal's text (a
    literal's reason is a note about it, not its value)."""
    return (edge.reason or edge.expression) if edge.kind == "unknown" else (edge.expression or edge.reason)


def render_dot(edges: Iterable[Edge]) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    for e in dict.fromkeys(edges):
        src = str(e.source) if e.source else f"unknown: {_sourceless(e)}"[:80]
        kind = e.kind.value + (f" {e.join_side}" if e.join_side else "")
        style = ', style="dashed"' if e.kind.is_row_edge else ""
        lines.append(f'  "{_escape(src)}" -> "{_escape(str(e.target))}" [label="{kind}"{style}];')
    lines.append("}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace('"', "'")
