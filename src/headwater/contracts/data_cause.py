"""Upstream cause of a failed data rule: the farthest ancestor column where the same rule already fails.

Only edges that keep values as they are (passthrough, rename, cast) are followed: through those the rule
means the same thing upstream, so "it already fails there" is evidence, not a guess. Anything subtler
(a join that drops rows, an expression that makes NULLs) is `headwater trace`'s job.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

from headwater.contracts.actual import NotReadable, read_node
from headwater.contracts.model import (
    ContractChange,
    ContractKind,
    NullableWhereRequired,
    Origin,
    QualityFailed,
    QualityRule,
    TableContract,
    UniquenessLost,
)
from headwater.contracts.quality import evaluate_quality
from headwater.errors import HeadwaterError
from headwater.lineage import ColumnRef, Edge, EdgeKind

if TYPE_CHECKING:
    from headwater.contracts.impact import Impact, UpstreamCause

_SAME_VALUES = frozenset({EdgeKind.PASSTHROUGH, EdgeKind.RENAME, EdgeKind.CAST})


def rule_of(change: ContractChange) -> QualityRule | None:
    """The column rule a data failure is about, restated so it can run on another column."""
    if isinstance(change, QualityFailed) and change.rule.column and change.rule.metric != "sql":
        return change.rule
    if isinstance(change, NullableWhereRequired) and change.null_count:
        return QualityRule("nullValues", "mustBe", 0, change.column)
    if isinstance(change, UniquenessLost):
        return QualityRule("duplicateValues", "mustBe", 0, change.column)
    return None


def data_cause(impact: Impact, node: str, change: ContractChange) -> UpstreamCause | None:
    from headwater.contracts.impact import UpstreamCause

    rule = rule_of(change)
    if rule is None or impact.warehouse is None or rule.column is None:
        return None
    start = ColumnRef(node, rule.column.lower())
    parents: dict[ColumnRef, Edge] = {}
    queue = deque([start])
    best: UpstreamCause | None = None
    while queue:
        ref = queue.popleft()
        try:
            edges = impact.lineage.edges_into(ref)
        except HeadwaterError:
            continue
        for edge in edges:
            src = edge.source
            if src is None or edge.kind not in _SAME_VALUES or src in parents or src == start:
                continue
            parents[src] = edge
            failed = _fails_at(impact, src, rule)
            if failed is not None:
                path, cur = [], src
                while cur in parents:
                    path.append(parents[cur])
                    cur = parents[cur].target
                best = UpstreamCause(src.node, src.column, failed, tuple(path))
            queue.append(src)
    return best


def _fails_at(impact: Impact, ref: ColumnRef, rule: QualityRule) -> ContractChange | None:
    node = impact.manifest.get(ref.node)
    if node is None or node.identifier is None or impact.warehouse is None:
        return None
    try:
        actual = read_node(node, impact.artifacts, impact.warehouse)
    except (NotReadable, HeadwaterError):
        return None
    if actual is None or actual.column(ref.column) is None:
        return None
    contract = TableContract(
        node.name,
        Origin(ContractKind.DBT, node.original_file_path),
        node_id=node.unique_id,
        database=node.database,
        schema=node.schema,
        identifier=node.identifier,
    )
    moved = replace(rule, column=ref.column, name="")
    found = evaluate_quality(impact.warehouse, contract, actual, (moved,))
    return next((f for f in found if isinstance(f, QualityFailed)), None)
