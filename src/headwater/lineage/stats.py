"""`LineageStats`: the coverage of a whole manifest (`headwater lineage --stats`), stored and printed.

Its own module, light to import: a warm `--stats` answered from the cache (`memo.py`) prints it without
loading the manifest, sqlglot or the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

import orjson

NOT_STORED = ("seconds", "cache_hits", "cache_misses")  # what each run measures for itself


@dataclass(frozen=True)
class LineageStats:
    """Coverage of a manifest. `resolved`: model columns whose every value path ends at a source/seed
    column, an external relation's column (also counted in `external`) or a literal; `unknown`: model columns
    with at least one UNKNOWN value edge of their own;
    `unresolved_upstream`: the rest (an ancestor column is unknown). Row edges are counted apart."""

    models: int
    columns: int
    resolved: int
    unknown: int
    unresolved_upstream: int
    unknown_reasons: Mapping[str, int] = field(default_factory=dict)
    row_unknown: int = 0  # model columns whose model has an UNKNOWN row edge (join/filter on the unknown)
    row_unknown_reasons: Mapping[str, int] = field(default_factory=dict)
    models_failed: int = 0
    models_uncompiled: int = 0  # of `models_failed`: models the manifest holds no compiled SQL for
    edges: int = 0
    # Resolved columns with a value path that ends at an EXTERNAL leaf (a relation the SQL reads that dbt
    # does not declare), and those relations' unique_ids. Included in `resolved`; reported so it is seen.
    external: int = 0
    external_relations: tuple[str, ...] = ()
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def coverage(self) -> float:
        return self.resolved / self.columns if self.columns else 1.0

    def to_dict(self) -> dict[str, object]:
        return {
            "models": self.models,
            "columns": self.columns,
            "resolved": self.resolved,
            "unknown": self.unknown,
            "unresolved_upstream": self.unresolved_upstream,
            "coverage": round(self.coverage, 4),
            "unknown_reasons": dict(self.unknown_reasons),
            "row_unknown": self.row_unknown,
            "row_unknown_reasons": dict(self.row_unknown_reasons),
            "models_failed": self.models_failed,
            "models_uncompiled": self.models_uncompiled,
            "edges": self.edges,
            "external": self.external,
            "external_relations": list(self.external_relations),
            "seconds": round(self.seconds, 3),
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
        }


def stats_to_json(stats: LineageStats) -> dict[str, object]:
    """The statistics a cache stores (what describes the lineage, not the run that computed it)."""
    return {k: v for k, v in asdict(stats).items() if k not in NOT_STORED}


def stats_from_json(data: Mapping[str, object], **run: float) -> LineageStats | None:
    """Stored statistics back (`run`: seconds, cache_hits, cache_misses); None for data of another shape."""
    try:
        stats = LineageStats(**data, **run)  # type: ignore[arg-type]
        return replace(stats, external_relations=tuple(stats.external_relations))
    except TypeError:  # a summary of another shape: not trusted
        return None


def render_stats(stats: LineageStats, as_json: bool) -> str:
    if as_json:
        return orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2).decode()
    lines = [
        f"models:   {stats.models} ({stats.models_failed} not analysable"
        + (f", {stats.models_uncompiled} without compiled SQL: run `dbt compile`)" if stats.models_uncompiled else ")"),
        f"columns:  {stats.columns}",
        f"resolved: {stats.resolved} ({stats.coverage:.1%}) — every value path ends at a source, seed, external"
        " relation or literal",
        f"unknown:  {stats.unknown} with an UNKNOWN edge of their own; {stats.unresolved_upstream} unknown upstream",
    ]
    lines += [f"  {n:>6}  {reason}" for reason, n in stats.unknown_reasons.items()]
    if stats.external_relations:
        lines.append(f"external: {stats.external} resolved columns read a relation dbt does not declare:")
        lines += [f"          {uid}" for uid in stats.external_relations]
    if stats.row_unknown:
        lines.append(f"row edges unknown for {stats.row_unknown} columns:")
        lines += [f"  {n:>6}  {reason}" for reason, n in stats.row_unknown_reasons.items()]
    lines.append(f"edges:    {stats.edges}")
    lines.append(f"time:     {stats.seconds:.2f} s (cache: {stats.cache_hits} hit, {stats.cache_misses} analysed)")
    return "\n".join(lines)
