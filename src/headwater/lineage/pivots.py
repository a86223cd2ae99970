"""Lineage through PIVOT / UNPIVOT (`FROM rel PIVOT (agg(v) FOR k IN (...))`), on sqlglot's qualified tree.

The relation under the pivot is a CTE when its unqualified name is one (resolved through the CTE, never
taken for an undeclared table), else a physical table. Output columns:
- PIVOT: each pivot column is the aggregate of the value column(s) (kind aggregate); the other columns of
  the relation pass through (the implicit GROUP BY); with several aggregates the pivot columns cannot be
  told apart, so they are UNKNOWN.
- UNPIVOT: the value column comes from every unpivoted column; the name column holds the column names (a
  literal); the other columns pass through. Multi-column unpivots are UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.scopes import AGG, PASS, Context, Leaf, Source, unknown

Resolve = Callable[[Source, str], list[Leaf]]


def pivoted_relation(ctx: Context, scope: Scope | None, table: exp.Table) -> Source:
    """What a pivoted table reference reads: the CTE of that name when there is one, else the table."""
    if scope is not None and not table.db and not table.catalog:
        cte = {k.lower(): v for k, v in scope.cte_sources.items()}.get(table.name.lower())
        if cte is not None:
            return cte
    return table


def pivot_leaves(ctx: Context, scope: Scope | None, table: exp.Table, name: str, resolve: Resolve) -> list[Leaf]:
    pivots = table.args.get("pivots") or []
    if len(pivots) != 1:
        return [unknown(f"pivot: {len(pivots)} pivots on {table.name} are not analysed")]
    pivot: exp.Pivot = pivots[0]
    relation = pivoted_relation(ctx, scope, table)
    if pivot.unpivot:
        return _unpivot(ctx, pivot, relation, name, resolve)
    return _pivot(ctx, pivot, relation, name, resolve)


def _pivot(ctx: Context, pivot: exp.Pivot, relation: Source, name: str, resolve: Resolve) -> list[Leaf]:
    produced = {ctx.name(c) for c in pivot.args.get("columns") or ()}
    consumed = {ctx.name(c) for e in (*pivot.expressions, *pivot.fields) for c in e.find_all(exp.Column)}
    if name in produced or (not produced and name not in consumed and _is_pivot_name(pivot, name)):
        if len(pivot.expressions) != 1:
            return [unknown(f"pivot: {name} is one of several aggregates of a PIVOT, which cannot be told apart")]
        aggregate = pivot.expressions[0]
        values = [ctx.name(c) for c in aggregate.find_all(exp.Column)]
        if not values:  # count(*): a number, not a column's value
            return [Leaf(None, None, AGG, True, aggregate)]
        return [_step(leaf, AGG, aggregate) for value in values for leaf in resolve(relation, value)]
    if name in consumed:
        return [unknown(f"pivot: {name} is consumed by the PIVOT and not an output column")]
    return resolve(relation, name)


def _is_pivot_name(pivot: exp.Pivot, name: str) -> bool:
    """Without sqlglot's names for the pivot columns: whether `name` is one of the IN values, as written."""
    names = {e.alias_or_name.lower() for f in pivot.fields for e in (f.expressions if isinstance(f, exp.In) else ())}
    return name in names or name.strip("'\"") in {n.strip("'\"") for n in names}


def _unpivot(ctx: Context, pivot: exp.Pivot, relation: Source, name: str, resolve: Resolve) -> list[Leaf]:
    fields = pivot.fields
    values = [ctx.name(e) for e in pivot.expressions]
    if len(fields) != 1 or not isinstance(fields[0], exp.In) or len(values) != 1:
        return [unknown(f"unpivot: {name} comes from a multi-column UNPIVOT, which is not analysed")]
    field = fields[0]
    label = ctx.name(field.this)
    sources = [e.this if isinstance(e, exp.PivotAlias) else e for e in field.expressions]
    if any(not isinstance(s, exp.Column) for s in sources):
        return [unknown(f"unpivot: {name} comes from an UNPIVOT of column groups, which is not analysed")]
    unpivoted = [ctx.name(s) for s in sources]
    if name == values[0]:
        return [_step(leaf, PASS, pivot) for column in unpivoted for leaf in resolve(relation, column)]
    if name == label:
        return [Leaf(None, None, PASS, True, pivot)]  # the unpivoted columns' names: a literal
    if name in unpivoted:
        return [unknown(f"unpivot: {name} is consumed by the UNPIVOT and not an output column")]
    return resolve(relation, name)


def _step(leaf: Leaf, rank: int, step: exp.Expr) -> Leaf:
    if leaf.reason:
        return leaf
    return leaf._replace(rank=max(rank, leaf.rank), renamed=True, step=step)


def pivot_by_alias(ctx: Context, scope: Scope, alias: str) -> exp.Table | None:
    """The pivoted table a column's qualifier names by the PIVOT's alias (sqlglot keys the table's own)."""
    for source in ctx.sources(scope).values():
        if isinstance(source, exp.Table):
            for pivot in source.args.get("pivots") or ():
                if pivot.alias.lower() == alias.lower():
                    return source
    return None
