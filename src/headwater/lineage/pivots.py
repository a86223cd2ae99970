"""Lineage through PIVOT / UNPIVOT (`FROM rel PIVOT (agg(v) FOR k IN (...))`), on sqlglot's qualified tree.

The relation under the pivot is a CTE when its unqualified name is one (resolved through the CTE, never
taken for an undeclared table), else a physical table. Output columns:
- PIVOT: each pivot column is the aggregate of the value column(s) and of the FOR column that picks its
  rows (kind aggregate, as the equivalent `sum(case when ...)`); the other columns of the relation pass
  through (the implicit GROUP BY). With several aggregates a column is `<value>_<aggregate alias>` (Spark,
  DuckDB, Oracle); a column not named so cannot be told apart from the others, so it is UNKNOWN.
- UNPIVOT: the value column comes from every unpivoted column; the name column holds the column names (a
  literal); the other columns pass through. Multi-column unpivots are UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.scopes import AGG, PASS, Context, Leaf, Source, source_columns, unknown

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
        aggregate = _aggregate_of(ctx, pivot, name)
        if aggregate is None:
            return [unknown(f"pivot: {name} is one of several aggregates of a PIVOT, which cannot be told apart")]
        values = [ctx.name(c) for c in aggregate.find_all(exp.Column)]
        # The FOR column picks the rows each pivot column aggregates, as `sum(case when k = 'v' then x end)`.
        keys = [ctx.name(c) for f in pivot.fields if isinstance(f, exp.In) for c in f.this.find_all(exp.Column)]
        found = [_step(leaf, AGG, aggregate) for column in (*values, *keys) for leaf in resolve(relation, column)]
        if not values:  # count(*): a number, not a column's value
            return [Leaf(None, None, AGG, True, aggregate), *found]
        return found
    if name in consumed:
        return [unknown(f"pivot: {name} is consumed by the PIVOT and not an output column")]
    return resolve(relation, name)


def pivot_group_keys(ctx: Context, scope: Scope, table: exp.Table) -> tuple[exp.Pivot, list[str]] | None:
    """A PIVOT's implicit GROUP BY: the columns of its relation it neither aggregates nor pivots on (they
    decide the output rows, as GROUP BY keys do). None: not one PIVOT, or the relation's columns unknown."""
    pivots = table.args.get("pivots") or []
    if len(pivots) != 1 or pivots[0].unpivot:
        return None
    pivot: exp.Pivot = pivots[0]
    columns = source_columns(ctx, pivoted_relation(ctx, scope, table))
    if columns is None:
        return None
    consumed = {ctx.name(c) for e in (*pivot.expressions, *pivot.fields) for c in e.find_all(exp.Column)}
    return pivot, [c for c in columns if c not in consumed]


def _aggregate_of(ctx: Context, pivot: exp.Pivot, name: str) -> exp.Expr | None:
    """The aggregate a pivot column holds. With several, sqlglot names the columns per IN value, then per
    aggregate: the column's position tells both, kept only where the name is `<value>_<aggregate alias>`
    exactly, as Spark, DuckDB and Oracle name them (an unaliased aggregate, or other naming, stays unknown)."""
    aggregates: list[exp.Expr] = list(pivot.expressions)
    if len(aggregates) == 1:
        return aggregates[0]
    columns = [ctx.name(c) for c in pivot.args.get("columns") or ()]
    values = [e.alias_or_name for f in pivot.fields if isinstance(f, exp.In) for e in f.expressions]
    if name not in columns or len(columns) != len(values) * len(aggregates):
        return None
    position = columns.index(name)
    aggregate = aggregates[position % len(aggregates)]
    value = values[position // len(aggregates)]
    if isinstance(aggregate, exp.Alias) and name.lower() == f"{value}_{aggregate.alias}".lower():
        return aggregate
    return None


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
