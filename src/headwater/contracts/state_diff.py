"""`headwater diff`: what changed between two dbt states, per model and per column, and what it breaks.

Models are added, removed or modified (file checksum or materialization). Each column of a modified
model is classified from its column lineage in both states, the way Recce and SQLMesh categorise:
- breaking: the rows change (a JOIN, WHERE/HAVING/QUALIFY or GROUP BY changed), a column was removed,
  or its type (catalog.json) was narrowed or changed;
- partial: only this column's expression changed (its values, not the rows);
- non-breaking: a column was added, a type widened, or the SQL changed without changing any lineage;
- unknown: lineage could not be resolved on either side, or the SQL changed outside what lineage sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlglot
from sqlglot.errors import SqlglotError

from headwater.contracts.dbt_contracts import contract_changes, contracts_from_manifest
from headwater.contracts.dbt_yaml import located_contracts
from headwater.contracts.impact import Impact
from headwater.contracts.model import BlastRadius, ContractChange, TableContract
from headwater.contracts.types import TypeChange, compare_types
from headwater.dbt import Artifacts, Node, load_artifacts
from headwater.lineage import Edge, EdgeKind, LineageGraph, build_lineage


class Category(StrEnum):
    BREAKING = "breaking"
    PARTIAL = "partial_breaking"
    NON_BREAKING = "non_breaking"
    UNKNOWN = "unknown"


_RANK = {Category.NON_BREAKING: 0, Category.UNKNOWN: 1, Category.PARTIAL: 2, Category.BREAKING: 3}


def worst(categories: Iterable[Category]) -> Category:
    return max(categories, key=_RANK.__getitem__, default=Category.NON_BREAKING)


@dataclass(frozen=True)
class ColumnDiff:
    column: str
    category: Category
    reason: str


@dataclass(frozen=True)
class ModelDiff:
    unique_id: str
    status: str  # added | removed | modified
    category: Category
    reason: str
    file: str = ""
    columns: tuple[ColumnDiff, ...] = ()
    contract_changes: tuple[ContractChange, ...] = ()
    blast: BlastRadius | None = None

    @property
    def name(self) -> str:
        return self.unique_id.split(".")[-1]


@dataclass(frozen=True)
class StateDiff:
    old_target: str
    new_target: str
    models: tuple[ModelDiff, ...]

    @property
    def breaking(self) -> tuple[ModelDiff, ...]:
        return tuple(m for m in self.models if m.category is Category.BREAKING)


def diff_states(
    old_target: Path,
    new_target: Path | None = None,
    project_dir: Path | None = None,
    gx_dirs: Sequence[Path] = (),
) -> StateDiff:
    """Load both states (manifest required, catalog optional) and compare them; `gx_dirs` hold the GX
    suites (JSON) whose expectations join each blast radius."""
    old = load_artifacts(target_path=old_target, require_compiled=False)
    new = load_artifacts(project_dir=project_dir, target_path=new_target, require_compiled=False)
    # The old state is read-only evidence: never write a lineage cache into it.
    old_lineage = build_lineage(old, use_cache=False)
    new_lineage = build_lineage(new)
    contracts: list[TableContract] = []
    folder = (project_dir or Path.cwd()) / "contracts"
    if folder.is_dir():
        from headwater.contracts.gate import contract_files, load_contract_file, resolve

        for file in contract_files([folder]):
            contracts += [resolve(c, new.manifest) for c in load_contract_file(file)]
    return compare(old, new, old_lineage, new_lineage, contracts, gx_dirs)


def compare(
    old: Artifacts,
    new: Artifacts,
    old_lineage: LineageGraph,
    new_lineage: LineageGraph,
    contracts: Sequence[TableContract] = (),
    gx_dirs: Sequence[Path] = (),
) -> StateDiff:
    """`contracts` (e.g. ODCS files) join the dbt model contracts of `new` in each blast radius."""
    old_models = {n.unique_id: n for n in old.manifest.models()}
    new_models = {n.unique_id: n for n in new.manifest.models()}
    new_impact = Impact(
        new, None, located_contracts(new.manifest, new.project_dir) + tuple(contracts), gx_dirs, new_lineage
    )
    old_impact = Impact(
        old, None, contracts_from_manifest(old.manifest) + tuple(contracts), gx_dirs, old_lineage
    )
    diffs: list[ModelDiff] = []
    for uid in sorted(new_models.keys() - old_models.keys()):
        node = new_models[uid]
        diffs.append(ModelDiff(uid, "added", Category.NON_BREAKING, "new model", node.original_file_path))
    for uid in sorted(old_models.keys() - new_models.keys()):
        node = old_models[uid]
        blast = old_impact.blast_radius(uid, old_lineage.columns_of(uid))
        changes = contract_changes(node, None, old.manifest.dialect)
        diffs.append(
            ModelDiff(
                uid,
                "removed",
                Category.BREAKING,
                "model removed",
                node.original_file_path,
                (),
                changes,
                blast,
            )
        )
    for uid in sorted(old_models.keys() & new_models.keys()):
        before, after = old_models[uid], new_models[uid]
        if before.checksum == after.checksum and before.materialized == after.materialized:
            continue
        diffs.append(_modified(before, after, old, new, old_lineage, new_lineage, new_impact))
    seen = {d.unique_id for d in diffs}
    diffs += _schema_drift(old, new, seen, old_impact, new_impact)
    return StateDiff(str(old.target_path or ""), str(new.target_path or ""), tuple(diffs))


def _schema_drift(
    old: Artifacts, new: Artifacts, seen: set[str], old_impact: Impact, new_impact: Impact
) -> list[ModelDiff]:
    """Tables whose code did not change but whose columns did (catalog.json): upstream drift."""
    if old.catalog is None or new.catalog is None:
        return []
    drift = []
    for uid in sorted(old.catalog.tables.keys() & new.catalog.tables.keys()):
        node = new.manifest.get(uid)
        if uid in seen or node is None or node.resource_type not in ("model", "source", "seed", "snapshot"):
            continue
        columns = _merge(_catalog_diffs(uid, old, new))
        if not columns:
            continue
        category = worst(c.category for c in columns)
        significant = [c.reason for c in columns if c.category is not Category.NON_BREAKING]
        reason = "; ".join(significant or [c.reason for c in columns])
        removed = [c.column for c in columns if c.reason.endswith("removed")]
        changed = [
            c.column for c in columns if c.category is not Category.NON_BREAKING and c.column not in removed
        ]
        blast = _union(
            old_impact.blast_radius(uid, removed) if removed else None,
            new_impact.blast_radius(uid, changed) if changed else None,
        )
        drift.append(
            ModelDiff(uid, "schema_changed", category, reason, node.original_file_path, columns, (), blast)
        )
    return drift


def _union(a: BlastRadius | None, b: BlastRadius | None) -> BlastRadius | None:
    if a is None or b is None:
        return a or b

    def merged(x: tuple[str, ...], y: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(x) | set(y)))

    return BlastRadius(
        tuple(sorted(set(a.columns) | set(b.columns))),
        merged(a.models, b.models),
        merged(a.exposures, b.exposures),
        merged(a.tests, b.tests),
        merged(a.gx_expectations, b.gx_expectations),
        merged(a.contracts, b.contracts),
    )


def _modified(
    before: Node,
    after: Node,
    old: Artifacts,
    new: Artifacts,
    old_lineage: LineageGraph,
    new_lineage: LineageGraph,
    impact: Impact,
) -> ModelDiff:
    uid = after.unique_id
    # Formatting or comments only: lineage's expression texts are source lines, so they can differ
    # when nothing else does; the normalised SQL decides.
    same_sql = _same_sql(before, after, new.manifest.dialect)
    columns = [] if same_sql else _column_diffs(uid, old_lineage, new_lineage)
    merged = _merge(columns + _catalog_diffs(uid, old, new))
    contract = contract_changes(before, after, new.manifest.dialect)
    categories = [c.category for c in merged]
    categories += [Category.BREAKING for ch in contract if ch.breaking]
    if before.materialized != after.materialized:
        categories.append(Category.BREAKING)
    if not merged:
        categories.append(Category.NON_BREAKING if same_sql else Category.UNKNOWN)
        reason = (
            "SQL unchanged after normalisation (formatting, comments or config)"
            if same_sql
            else "SQL changed outside column lineage (e.g. DISTINCT, LIMIT, ORDER BY): review it"
        )
    else:
        significant = [c.reason for c in merged if c.category is not Category.NON_BREAKING]
        reason = "; ".join(dict.fromkeys(significant or [c.reason for c in merged]))
    if before.materialized != after.materialized:
        reason = f"materialization {before.materialized} → {after.materialized}; {reason}"
    category = worst(categories)
    hit = [c.column for c in merged if c.category in (Category.BREAKING, Category.PARTIAL, Category.UNKNOWN)]
    if category is Category.BREAKING and any(c.reason.startswith("rows change") for c in merged):
        hit = list(new_lineage.columns_of(uid))
    blast = impact.blast_radius(uid, hit) if hit else None
    return ModelDiff(uid, "modified", category, reason, after.original_file_path, merged, contract, blast)


def _signature(edges: Iterable[Edge]) -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    """(value edges, row edges) without locations: what the column computes and which rows reach it."""
    values: set[tuple[str, ...]] = set()
    rows: set[tuple[str, ...]] = set()
    for e in edges:
        # A passthrough or rename carries the value as it is: its text (a source line) says nothing more.
        same_value = e.kind in (EdgeKind.PASSTHROUGH, EdgeKind.RENAME)
        key = (
            str(e.source) if e.source else "",
            str(e.kind),
            "" if same_value else " ".join(e.expression.split()).lower(),
            e.join_side,
        )
        (rows if e.kind.is_row_edge else values).add(key)
    return frozenset(values), frozenset(rows)


def _describe(old: frozenset[tuple[str, ...]], new: frozenset[tuple[str, ...]]) -> str:
    """One line: what was removed and added, sources folded (a join key has two columns, one ON)."""
    gone = sorted({k[1:] for k in old} - {k[1:] for k in new})
    came = sorted({k[1:] for k in new} - {k[1:] for k in old})
    if len(gone) == 1 and len(came) == 1 and gone[0][:2] == came[0][:2] and gone[0][2] != came[0][2]:
        kind, expression, side = came[0]
        return f"{kind} {gone[0][2]} → {side} `{expression}`"

    def show(items: list[tuple[str, ...]], sign: str) -> list[str]:
        return [f"{sign}{k[0]}{' ' + k[2] if k[2] else ''} `{k[1]}`" for k in items[:3]]

    parts = show(gone, "-") + show(came, "+")
    return ", ".join(parts) if parts else "upstream columns changed"


def _column_diffs(uid: str, old_lineage: LineageGraph, new_lineage: LineageGraph) -> list[ColumnDiff]:
    from headwater.lineage import ColumnRef

    old_model, new_model = old_lineage.model(uid), new_lineage.model(uid)
    if old_model.error or new_model.error:
        why = new_model.error or old_model.error
        return [ColumnDiff(c, Category.UNKNOWN, f"lineage unavailable: {why}") for c in new_model.columns]
    old_cols, new_cols = set(old_model.columns), set(new_model.columns)
    diffs = [ColumnDiff(c, Category.BREAKING, f"column {c} removed") for c in sorted(old_cols - new_cols)]
    diffs += [ColumnDiff(c, Category.NON_BREAKING, f"column {c} added") for c in sorted(new_cols - old_cols)]
    for col in sorted(old_cols & new_cols):
        before = old_lineage.edges_into(ColumnRef(uid, col))
        after = new_lineage.edges_into(ColumnRef(uid, col))
        (old_values, old_rows), (new_values, new_rows) = _signature(before), _signature(after)
        unknown = any(str(e.kind) == "unknown" for e in (*before, *after))
        if old_rows != new_rows:
            diffs.append(ColumnDiff(col, Category.BREAKING, f"rows change: {_describe(old_rows, new_rows)}"))
        elif old_values != new_values:
            category = Category.UNKNOWN if unknown else Category.PARTIAL
            diffs.append(ColumnDiff(col, category, f"column {col}: {_describe(old_values, new_values)}"))
    return diffs


def _catalog_diffs(uid: str, old: Artifacts, new: Artifacts) -> list[ColumnDiff]:
    old_cols = old.catalog.columns(uid) if old.catalog else None
    new_cols = new.catalog.columns(uid) if new.catalog else None
    if not old_cols or not new_cols:
        return []
    dialect = new.manifest.dialect
    before = {c.name.lower(): c.data_type for c in old_cols}
    now = {c.name.lower() for c in new_cols}
    diffs = [ColumnDiff(c, Category.BREAKING, f"column {c} removed") for c in before if c not in now]
    diffs += [ColumnDiff(c, Category.NON_BREAKING, f"column {c} added") for c in sorted(now - before.keys())]
    for col in new_cols:
        was = before.get(col.name.lower())
        if was is None or was == col.data_type:
            continue
        result = compare_types(was, col.data_type, dialect)
        category = {
            TypeChange.SAME: Category.NON_BREAKING,
            TypeChange.WIDENED: Category.NON_BREAKING,
            TypeChange.UNKNOWN: Category.UNKNOWN,
        }.get(result.change, Category.BREAKING)
        diffs.append(ColumnDiff(col.name.lower(), category, f"column {col.name.lower()}: {result.reason}"))
    return diffs


def _merge(diffs: list[ColumnDiff]) -> tuple[ColumnDiff, ...]:
    by_column: dict[str, list[ColumnDiff]] = {}
    for d in diffs:
        by_column.setdefault(d.column, []).append(d)
    merged = []
    for column, items in by_column.items():
        category = worst(d.category for d in items)
        merged.append(ColumnDiff(column, category, "; ".join(dict.fromkeys(d.reason for d in items))))
    return tuple(merged)


def _same_sql(before: Node, after: Node, dialect: str) -> bool:
    old_sql, new_sql = before.compiled_code or before.raw_code, after.compiled_code or after.raw_code
    try:
        normalise = [
            sqlglot.parse_one(s, dialect=dialect or None).sql(comments=False) for s in (old_sql, new_sql)
        ]
    except SqlglotError:
        return " ".join(old_sql.split()) == " ".join(new_sql.split())
    return normalise[0] == normalise[1]
