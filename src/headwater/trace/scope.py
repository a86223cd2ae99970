"""Find, in a model's compiled SQL, the SELECT that defines one output column: its expression, joins and
filters. The tracer instruments that SELECT (`headwater.trace.instrument`) instead of trusting a blind
translation of the check through a value-changing transformation.

Pure sqlglot; no warehouse access. Wrapper scopes (`select * from final`) are followed into their CTE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError


@dataclass(frozen=True)
class JoinInfo:
    """One JOIN of the defining SELECT. `pairs` are (driving side, joined side) keys of its ON equalities."""

    index: int
    side: str  # left, right, full, inner, cross
    alias: str  # alias (or name) of the joined table
    source: exp.Expr  # the joined table / CTE reference / subquery
    on: exp.Expr | None
    pairs: tuple[tuple[exp.Expr, exp.Column], ...]  # the driving side may be an expression (`lower(c.code)`)

    @property
    def is_outer(self) -> bool:
        return self.side in ("left", "right", "full")


@dataclass(frozen=True)
class Scope:
    """The SELECT that defines `column` of a model, with the CTEs it may reference."""

    column: str
    select: exp.Select
    with_: exp.With | None
    output: exp.Expr  # the expression of `column`, unaliased
    driving: str  # alias of the FROM table
    joins: tuple[JoinInfo, ...]
    filters: tuple[exp.Expr, ...]  # WHERE conjuncts
    grouped: bool  # GROUP BY / aggregate / window in the output: rows are not 1:1 with inputs

    def inputs(self) -> tuple[exp.Column, ...]:
        """The columns the output expression reads, in order, without duplicates."""
        seen: dict[str, exp.Column] = {}
        for column in self.output.find_all(exp.Column):
            seen.setdefault(column.sql(), column)
        return tuple(seen.values())

    def with_projections(self, projections: dict[str, exp.Expr], keep_where: bool = True) -> exp.Select:
        """The defining SELECT with its own projections replaced by `projections`, CTEs attached."""
        select = self.select.copy()
        select.set("expressions", [exp.alias_(e.copy(), name, quoted=True) for name, e in projections.items()])
        for arg in ("group", "having", "qualify", "order", "limit", "offset", "distinct", "with_"):
            select.set(arg, None)
        if not keep_where:
            select.set("where", None)
        _prune_left_joins(select)
        if self.with_ is not None:
            select.set("with_", self.with_.copy())
        return select


def _prune_left_joins(select: exp.Select) -> None:
    """Drop LEFT JOINs nothing in the instrumented SELECT reads (an aggregate CTE joined for other columns
    can cost more than the whole probe). A LEFT JOIN keeps every row on its left, so the rows and values of
    the remaining columns are unchanged unless it fanned out, which the `unique` checks report on their own."""
    referenced = {c.table.lower() for e in select.expressions for c in e.find_all(exp.Column) if c.table}
    where = select.args.get("where")
    if where is not None:
        referenced |= {c.table.lower() for c in where.find_all(exp.Column) if c.table}
    kept: list[exp.Join] = []
    for join in reversed(select.args.get("joins") or []):
        alias = join.this.alias_or_name.lower()
        if (join.side or "").lower() == "left" and alias not in referenced:
            continue
        kept.append(join)
        referenced |= {c.table.lower() for c in join.find_all(exp.Column) if c.table}
    select.set("joins", list(reversed(kept)) or None)


def without_self_filters(scope: Scope, identifier: str) -> Scope:
    """An incremental model's compiled SQL filters on its own table (`where ts > (select max(ts) from
    {{ this }})`): re-run as is it sees only the last increment. Drop those conjuncts."""
    keep = [f for f in scope.filters if not any(t.name.lower() == identifier.lower() for t in f.find_all(exp.Table))]
    if len(keep) == len(scope.filters):
        return scope
    select = scope.select.copy()
    select.set("where", exp.Where(this=exp.and_(*keep)) if keep else None)
    return replace(scope, select=select, filters=tuple(keep))


# Expressions that are NULL whenever an input is NULL (SQL's strict functions and operators).
_STRICT = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Paren,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Substring,
    exp.Length,
    exp.Abs,
    exp.Round,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.DPipe,
)


def null_propagating(expression: exp.Expr) -> bool:
    """Whether the expression is NULL when any column it reads is NULL (no COALESCE, CASE, CONCAT()…)."""
    return all(isinstance(node, _STRICT) for node in expression.walk()) and not any(
        isinstance(node, exp.Null) for node in expression.walk()
    )


def one_to_one(scope: Scope) -> bool:
    """The defining SELECT (and the CTE chain it reads) keeps its table's rows one to one: no join, filter,
    grouping, DISTINCT, QUALIFY or LIMIT anywhere on the way."""
    select: exp.Select | None = scope.select
    for _ in range(20):
        if select is None:
            return False
        if any(select.args.get(a) for a in ("joins", "where", "group", "having", "qualify", "distinct", "limit")):
            return False
        from_ = select.args.get("from_")
        if from_ is None or not isinstance(from_.this, exp.Table):
            return False
        cte = _cte_select(scope.with_, from_.this.name) if not from_.this.db else None
        if cte is None:
            return not any(
                c.alias_or_name.lower() == from_.this.name.lower()
                for c in (scope.with_.expressions if scope.with_ else ())
            )
        select = cte
    return False


def base_table(scope: Scope, source: exp.Expr) -> exp.Table | None:
    """The warehouse table a FROM/JOIN source reads, followed through CTEs that select from one table
    (`orders as (select * from {{ ref('x') }})`); None for anything else (joins, subqueries, unions)."""
    current: exp.Expr | None = source
    for _ in range(20):
        if not isinstance(current, exp.Table):
            return None
        cte = _cte_select(scope.with_, current.name) if not current.db else None
        if cte is None:
            return current if current.db else None
        from_ = cte.args.get("from_")
        if cte.args.get("joins") or from_ is None:
            return None
        current = from_.this
    return None


def _projection(select: exp.Select, column: str) -> exp.Expr | None:
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            continue
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            continue
        if projection.alias_or_name.lower() == column.lower():
            return projection.unalias() if isinstance(projection, exp.Alias) else projection
    return None


def _stars(select: exp.Select) -> list[str]:
    """'' for an unqualified `*`, the table alias for `t.*`."""
    found: list[str] = []
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            found.append("")
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            found.append(projection.table)
    return found


def cte_body(with_: exp.With | None, table: exp.Table) -> exp.Expr | None:
    """The body of the CTE an unqualified table reference names (any query: a SELECT, a UNION...), else None:
    the reference is to a relation of the warehouse."""
    if with_ is None or table.db:
        return None
    return next((c.this for c in with_.expressions if c.alias_or_name.lower() == table.name.lower()), None)


def _cte_select(with_: exp.With | None, name: str) -> exp.Select | None:
    if with_ is None:
        return None
    for cte in with_.expressions:
        if cte.alias_or_name.lower() == name.lower() and isinstance(cte.this, exp.Select):
            return cte.this
    return None


def _key_pair(left: exp.Expr, right: exp.Expr, alias: str) -> tuple[exp.Expr, exp.Column] | None:
    """(driving side, joined side) of one ON equality. The joined side is a column of the joined table;
    the driving side a column, or an expression over driving columns only (`lower(c.code) = k.code`,
    `cast(o.id as int) = p.id`): such a key misses as a column does, and NULL in means no match."""
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        return (right, left) if left.table.lower() == alias.lower() else (left, right)
    for key, other in ((left, right), (right, left)):
        if not isinstance(key, exp.Column) or key.table.lower() != alias.lower():
            continue
        tables = [c.table.lower() for c in other.find_all(exp.Column)]
        if (
            tables
            and all(tables)
            and alias.lower() not in tables
            and not any(isinstance(n, exp.AggFunc | exp.Window | exp.Subquery) for n in other.walk())
        ):
            return other, key
    return None


def key_label(key: exp.Expr, dialect: str = "") -> str:
    """How a join key is named in a sentence: its column name, or the expression's SQL."""
    return key.name if isinstance(key, exp.Column) else key.sql(dialect=dialect or None)


def _join_infos(select: exp.Select) -> tuple[JoinInfo, ...]:
    infos: list[JoinInfo] = []
    for index, join in enumerate(select.args.get("joins") or ()):
        alias = join.this.alias_or_name
        side = (join.side or join.kind or "inner").lower()
        if join.args.get("kind") and str(join.args["kind"]).lower() == "cross":
            side = "cross"
        on = join.args.get("on")
        pairs: list[tuple[exp.Expr, exp.Column]] = []
        for eq in on.find_all(exp.EQ) if on is not None else ():
            pair = _key_pair(eq.this, eq.expression, alias)
            if pair is not None:
                pairs.append(pair)
        using = join.args.get("using") or []
        driving = select.args["from_"].this.alias_or_name if select.args.get("from_") else ""
        for ident in using:
            name = ident.name
            pairs.append((exp.column(name, table=driving), exp.column(name, table=alias)))
        infos.append(JoinInfo(index, side, alias, join.this, on, tuple(pairs)))
    return tuple(infos)


def _conjuncts(where: exp.Expr | None) -> tuple[exp.Expr, ...]:
    if where is None:
        return ()
    condition = where.this if isinstance(where, exp.Where) else where
    return tuple(condition.flatten()) if isinstance(condition, exp.And) else (condition,)


def locate(sql: str, dialect: str, column: str) -> Scope | None:
    """The defining scope of `column` in a model's compiled SQL; None when it cannot be found
    (set operations at the top, unqualified stars over joins, unparseable SQL)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return None
    if not isinstance(tree, exp.Select):
        return None
    with_ = tree.args.get("with_")
    # the canonical name as given (PostgreSQL's quoted "Customer;Key" keeps its case), matched case-blind
    select: exp.Select = tree
    for _ in range(20):  # a wrapper chain deeper than this is not a dbt model anyone wrote
        from_ = select.args.get("from_")
        if from_ is None:
            return None
        driving = from_.this.alias_or_name
        joins = select.args.get("joins") or ()
        output = _projection(select, column)
        if output is None:
            stars = _stars(select)
            if not stars:
                return None
            if "" in stars and joins:
                return None  # `select *` over joins: which side? only a schema could say
            table = stars[0] or driving
            plain = not joins and not select.args.get("where") and not select.args.get("group")
            inner = _cte_select(with_, table) if plain and isinstance(from_.this, exp.Table) else None
            if inner is not None and not select.args.get("qualify"):
                select = inner
                continue
            output = exp.column(column, table=table)
        grouped = bool(select.args.get("group")) or any(
            isinstance(node, exp.AggFunc | exp.Window) for node in output.walk()
        )
        return Scope(
            column, select, with_, output, driving, _join_infos(select), _conjuncts(select.args.get("where")), grouped
        )
    return None
