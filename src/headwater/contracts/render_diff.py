"""Render a state diff (`headwater diff`) as text or JSON (pure: strings out)."""

from __future__ import annotations

from typing import Any

import orjson

from headwater.contracts.render import blast_dict, blast_lines
from headwater.contracts.state_diff import Category, ModelDiff, StateDiff

_MARK = {
    Category.BREAKING: "✗ breaking",
    Category.PARTIAL: "~ partial",
    Category.NON_BREAKING: "✓ non-breaking",
    Category.UNKNOWN: "? unknown",
}


def diff_to_text(diff: StateDiff) -> str:
    counts = {c: sum(1 for m in diff.models if m.category is c) for c in Category}
    summary = ", ".join(f"{n} {c.value.replace('_', '-')}" for c, n in counts.items() if n) or "no changes"
    lines = [f"headwater diff: {diff.old_target} → {diff.new_target}: {len(diff.models)} changed ({summary})"]
    for m in diff.models:
        lines += _model_lines(m)
    return "\n".join(lines) + "\n"


def _model_lines(m: ModelDiff) -> list[str]:
    where = f"  ({m.file})" if m.file else ""
    lines = [f"{_MARK[m.category]:15} {m.status:14} {m.unique_id}{where}"]
    if not m.columns:
        lines.append(f"    {m.reason}")
    # Row changes repeat on every column: group columns by reason.
    by_reason: dict[tuple[Category, str], list[str]] = {}
    for c in m.columns:
        by_reason.setdefault((c.category, c.reason), []).append(c.column)
    for (category, reason), columns in by_reason.items():
        if category is Category.NON_BREAKING and reason.endswith("added"):
            lines.append(f"    + {', '.join(columns)} ({category.value})")
        elif len(columns) > 1:
            lines.append(f"    {category.value}: {reason}  [columns: {', '.join(columns)}]")
        else:
            lines.append(f"    {category.value}: {reason}")
    lines += [f"    contract: {ch.reason}" for ch in m.contract_changes]
    if m.blast is not None:
        lines += blast_lines(m.blast, "    ")
    return lines


def model_dict(m: ModelDiff) -> dict[str, Any]:
    return {
        "unique_id": m.unique_id,
        "status": m.status,
        "category": m.category.value,
        "reason": m.reason,
        "file": m.file,
        "columns": [
            {"column": c.column, "category": c.category.value, "reason": c.reason} for c in m.columns
        ],
        "contract_changes": [
            {"category": ch.category, "breaking": ch.breaking, "reason": ch.reason}
            for ch in m.contract_changes
        ],
        "blast_radius": blast_dict(m.blast) if m.blast else None,
    }


def diff_to_json(diff: StateDiff) -> str:
    data = {
        "old_target": diff.old_target,
        "new_target": diff.new_target,
        "models": [model_dict(m) for m in diff.models],
    }
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
