"""Lineage through a dbt Python model that scores an ML model: edges of kind `model`.

SQL cannot be parsed out of a Python model, so what it reads is taken from what the model declares:
`meta: {headwater: {features: [...], key: <column>}}` on the dbt model (for the example, the same list the
registered MLflow model was trained on). Each output column that the model computes (every column but the
key) gets a `model` edge from each feature column; the key passes through. A feature no parent has, or a
Python model that declares nothing, gets explicit `unknown` edges with the reason: never silent ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from headwater.dbt import Node
from headwater.lineage.compact import RawEdge, RawLineage
from headwater.lineage.model import EdgeKind

ColumnsOf = Callable[[str], tuple[str, ...] | None]


def declared_features(node: Node) -> tuple[tuple[str, ...], str]:
    """(features, key) from `meta.headwater`; empty when the model declares none."""
    options: Any = (node.meta or {}).get("headwater") or {}
    if not isinstance(options, dict):
        return (), ""
    features = options.get("features") or ()
    if not isinstance(features, Sequence) or isinstance(features, str):
        return (), ""
    return tuple(str(f).lower() for f in features), str(options.get("key") or "").lower()


def python_model_lineage(node: Node, outputs: tuple[str, ...], columns_of: ColumnsOf) -> RawLineage:
    """The lineage of a Python model over its declared features; `outputs` are its columns (catalog)."""
    features, key = declared_features(node)
    columns = outputs or ("*",)
    if not features:
        reason = (
            f"python model: {node.name} declares no features (add meta: {{headwater: {{features: [...]}}}} "
            "with the columns its ML model reads)"
        )
        return RawLineage(node.unique_id, columns, tuple(RawEdge(c, EdgeKind.UNKNOWN.value, reason=reason)
                                                         for c in columns), error=reason)  # fmt: skip
    owners = {feature: _owner(feature, node.depends_on, columns_of) for feature in (*features, key) if feature}
    edges: list[RawEdge] = []
    for target in columns:
        if key and target == key:
            edges.append(_edge(target, EdgeKind.PASSTHROUGH, key, owners[key], "passed through the scoring"))
            continue
        for feature in features:
            edges.append(_edge(target, EdgeKind.MODEL, feature, owners[feature], f"{node.name} scores {feature}"))
    return RawLineage(node.unique_id, columns, tuple(edges))


def _owner(column: str, parents: tuple[str, ...], columns_of: ColumnsOf) -> str | None:
    holders = [p for p in parents if column in (columns_of(p) or ())]
    return holders[0] if len(holders) == 1 else None


def _edge(target: str, kind: EdgeKind, column: str, owner: str | None, expression: str) -> RawEdge:
    if owner is None:
        reason = f"declared feature {column!r} is in no single parent of the python model"
        return RawEdge(target, EdgeKind.UNKNOWN.value, None, column, reason=reason)
    return RawEdge(target, kind.value, owner, column, expression)
