"""The lineage vocabulary shared by every stage: column references, typed edges, per-model results.

This module is the contract between `headwater.lineage` (which produces edges) and `headwater.trace`,
`headwater.contracts` and `headwater.report` (which consume them). Add fields with defaults; do not rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EdgeKind(StrEnum):
    """How an upstream column reaches a downstream column."""

    # Value edges: the upstream column's values flow into the downstream column.
    PASSTHROUGH = "passthrough"  # same name, no change
    RENAME = "rename"  # different name, no change
    CAST = "cast"  # CAST / TRY_CAST / :: only
    EXPRESSION = "expression"  # any other scalar expression (COALESCE, CASE, arithmetic, functions)
    AGGREGATE = "aggregate"  # SUM/COUNT/MAX... over a group
    WINDOW = "window"  # a window function (the column is an argument, partition or order key)
    # Row edges: the upstream column decides *which rows* reach the downstream column.
    JOIN = "join"  # JOIN ... ON key
    FILTER = "filter"  # WHERE / HAVING / QUALIFY
    GROUP = "group"  # GROUP BY key
    # The column is an input of an ML model whose prediction is the downstream column (a dbt Python model).
    MODEL = "model"
    # Nothing could be resolved: the reason says why. Never drop an edge silently.
    UNKNOWN = "unknown"

    @property
    def is_row_edge(self) -> bool:
        return self in (EdgeKind.JOIN, EdgeKind.FILTER, EdgeKind.GROUP)

    @property
    def changes_values(self) -> bool:
        return self in (EdgeKind.CAST, EdgeKind.EXPRESSION, EdgeKind.AGGREGATE, EdgeKind.WINDOW)


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A column of a dbt node. `node` is the unique_id; `column` is lower-cased, except a name whose case the
    dialect keeps (a quoted `"Amount"` in PostgreSQL or Snowflake: see `headwater.lineage.names`)."""

    node: str
    column: str

    def __str__(self) -> str:
        return f"{self.node}.{self.column}"


@dataclass(frozen=True)
class SourceLocation:
    """Where an expression is written. `line` is 1-based; `compiled` says it is a line of compiled SQL
    because the expression could not be found in the raw (Jinja) SQL."""

    file: str
    line: int | None = None
    compiled: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} (compiled)" if self.compiled else where


@dataclass(frozen=True)
class Edge:
    """One hop of column lineage: `source` feeds `target` through `kind`.

    `source` is None only for UNKNOWN edges whose upstream cannot be named at all, and for literals
    (kind EXPRESSION with `expression` the literal). `join_side` is set on JOIN edges: "left", "right",
    "inner", "full", "cross" (the SQL join side of the table the source column comes from).
    """

    source: ColumnRef | None
    target: ColumnRef
    kind: EdgeKind
    expression: str = ""
    location: SourceLocation | None = None
    reason: str = ""  # why, for UNKNOWN edges
    join_side: str = ""


@dataclass(frozen=True)
class ModelLineage:
    """Everything lineage knows about one node: its output columns and the edges into them."""

    node: str
    columns: tuple[str, ...]
    edges: tuple[Edge, ...]
    dialect: str = ""
    error: str = ""  # set when the whole model could not be analysed (every column gets UNKNOWN edges)
