"""The compact, JSON-friendly form of one model's lineage: what the cache stores and the graph holds.

`LineageGraph` turns these into the shared vocabulary (`headwater.lineage.model.Edge`) on demand, so a
warm `--stats` run never builds tens of thousands of dataclasses it does not need.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class RawEdge(NamedTuple):
    target: str  # output column; "" for row edges (they apply to every output column)
    kind: str  # an EdgeKind value
    source_node: str | None = None
    source_column: str | None = None
    expression: str = ""
    line: int | None = None
    compiled: bool = False  # the line is a line of the compiled SQL, not of the model file
    reason: str = ""
    join_side: str = ""


class RawLineage(NamedTuple):
    node: str
    columns: tuple[str, ...]
    edges: tuple[RawEdge, ...]  # value edges (and UNKNOWN edges) by target column
    row_edges: tuple[RawEdge, ...] = ()  # JOIN / FILTER / GROUP edges of the whole model
    error: str = ""

    def to_json(self) -> list[Any]:
        edges, row_edges = [list(e) for e in self.edges], [list(e) for e in self.row_edges]
        return [self.node, list(self.columns), edges, row_edges, self.error]

    @classmethod
    def from_json(cls, data: list[Any]) -> RawLineage:
        node, columns, edges, row_edges, error = data
        return cls(
            node=str(node),
            columns=tuple(columns),
            edges=tuple(RawEdge(*e) for e in edges),
            row_edges=tuple(RawEdge(*e) for e in row_edges),
            error=str(error),
        )
