"""Lineage through a dbt Python model that scores an ML model: edges of kind `model`.

SQL cannot be parsed out of a Python model, so what it reads is taken, in this order, from:
1. the registered model it names (`meta: {headwater: {model: <name>}}`): the newest registered version's
   feature list in its MLflow store (the signature's inputs, else the estimator's `feature_names_in_`);
2. what the dbt model declares: `meta: {headwater: {features: [...], key: <column>}}`.
Each output column that the model computes (every column but the key) gets a `model` edge from each feature
column; the key passes through. A feature no parent has, or a Python model that tells neither, gets explicit
`unknown` edges with the reason: never silent ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

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


def registry_key(node: Node, project_dir: Path | None) -> tuple[str, ...]:
    """What the lineage cache must see change for a python model: its `meta.headwater` options (the features
    it declares live in YAML, outside the file's checksum) and, for one that names a registered model, the
    store and its stamp (a retrain changes it). Cheap: no MLflow import."""
    if node.language != "python":
        return ()
    options = (node.meta or {}).get("headwater")
    key = ("python", orjson.dumps(options, default=str, option=orjson.OPT_SORT_KEYS).decode())
    store = model_store(node, project_dir)
    return (*key, "registry", *store) if store is not None else key


def model_store(node: Node, project_dir: Path | None) -> tuple[str, str, str] | None:
    """(tracking URI, registered model name, the store's stamp now) of a python model that names one."""
    from headwater.ml.registered import declared_model, store_stamp

    declared = declared_model(node, project_dir)
    return (*declared, store_stamp(declared[0])) if declared is not None else None


def registered_features(node: Node, project_dir: Path | None) -> tuple[tuple[str, ...], str]:
    """(features, where they come from) of the newest registered version; ((), "") when not readable."""
    from headwater.ml.registered import declared_model, newest_signature, registered_model

    declared = declared_model(node, project_dir)
    if declared is None:
        return (), ""
    quick = newest_signature(*declared)  # a local SQLite store: no MLflow import (seconds) for lineage
    if quick is not None:
        return quick[1], f"the registered {declared[1]} v{quick[0]}"
    model = registered_model(node, project_dir)
    newest = model.newest if model is not None else None
    if model is None or newest is None or not newest.features:
        return (), ""
    return newest.features, f"the registered {model.name} v{newest.version}"


def python_model_lineage(
    node: Node, outputs: tuple[str, ...], columns_of: ColumnsOf, project_dir: Path | None = None
) -> RawLineage:
    """The lineage of a Python model over its features; `outputs` are its columns (catalog)."""
    declared, key = declared_features(node)
    features, origin = registered_features(node, project_dir)
    if not features:
        features, origin = declared, "meta"
    columns = outputs or ("*",)
    if not features:
        reason = (
            f"python model: {node.name} names no registered model with a readable feature list and declares no "
            "features (add meta: {headwater: {model: <registered name>}} or {headwater: {features: [...]}})"
        )
        return RawLineage(node.unique_id, columns, tuple(RawEdge(c, EdgeKind.UNKNOWN.value, reason=reason)
                                                         for c in columns), error=reason)  # fmt: skip
    owners = {feature: _owner(feature, node.depends_on, columns_of) for feature in (*features, key) if feature}
    edges: list[RawEdge] = []
    said = "" if origin == "meta" else f" ({origin})"
    for target in columns:
        if key and target == key:
            edges.append(_edge(target, EdgeKind.PASSTHROUGH, key, owners[key], "passed through the scoring"))
            continue
        for feature in features:
            edges.append(_edge(target, EdgeKind.MODEL, feature, owners[feature], f"{node.name} scores {feature}{said}"))
    return RawLineage(node.unique_id, columns, tuple(edges))


def _owner(column: str, parents: tuple[str, ...], columns_of: ColumnsOf) -> str | None:
    holders = [p for p in parents if column in (columns_of(p) or ())]
    return holders[0] if len(holders) == 1 else None


def _edge(target: str, kind: EdgeKind, column: str, owner: str | None, expression: str) -> RawEdge:
    if owner is None:
        reason = f"feature {column!r} of the model is in no single parent of the python model"
        return RawEdge(target, EdgeKind.UNKNOWN.value, None, column, reason=reason)
    return RawEdge(target, kind.value, owner, column, expression)
