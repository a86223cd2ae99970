"""What each scope of a model outputs, by name, before any lineage is resolved.

`outputs(ctx, scope)` lists a scope's output columns in order and how each is made: an explicit projection,
a column a `*` reads from a source, or a position of a UNION. Names are cheap (no lineage is resolved), so
`*` and unqualified columns are settled from them; lineage is then resolved only for the columns that are
actually used (`values.column_leaves`). On a tree qualified by sqlglot (`ctx.qualified`), a `*` that is
still there reads columns nobody knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.locate import Locator
from headwater.lineage.names import INSENSITIVES, column_case, fold, identifier_name

EPHEMERAL_PREFIX = "__dbt__cte__"
EXTERNAL_PREFIX = "external."  # unique_id prefix of relations the SQL reads that dbt does not declare
PASS, CAST, EXPR, WINDOW, AGG = 0, 1, 2, 3, 4
KIND_OF_RANK = {CAST: "cast", EXPR: "expression", WINDOW: "window", AGG: "aggregate"}

Source = exp.Table | Scope


class Fallback(Exception):
    """The fast pass met SQL it leaves to sqlglot's qualify (ambiguous names, column alias lists, pivots)."""


class Leaf(NamedTuple):
    """Where a value comes from: a node column, a literal (node None, reason ""), or unknown (reason).
    A NamedTuple, not a frozen dataclass: tens of thousands are made per project inside one call."""

    node: str | None
    column: str | None
    rank: int = PASS
    renamed: bool = False
    step: exp.Expr | str | None = None  # the projection that decides the kind and the expression text
    reason: str = ""
    note: str = ""  # said on a resolved edge that could be misread (a MySQL "string" naming a column)


class Output(NamedTuple):
    """How one output column of a scope is made."""

    position: int
    projection: exp.Expr | None = None  # an explicit projection (or a `* REPLACE (...)` one)
    source: Source | None = None  # the source a `*` reads this column from
    alias: str = ""  # that source's alias, for the edge text `alias.column`


class Outputs(NamedTuple):
    columns: dict[str, Output]  # in order
    stars: list[exp.Expr]  # `*` whose columns are unknown


@dataclass
class Context:
    dialect: str
    resolve_table: Callable[[exp.Table], str | None]
    resolve_ephemeral: Callable[[str], str | None]
    table_columns: Callable[[str], tuple[str, ...] | None]
    locator: Locator
    qualified: bool = True
    leaves: dict[tuple[int, str], list[Leaf]] = field(default_factory=dict)
    outputs_memo: dict[int, Outputs] = field(default_factory=dict)
    _sources: dict[int, dict[str, Source]] = field(default_factory=dict)
    _tables: dict[int, str | None] = field(default_factory=dict)
    _names: dict[int, frozenset[str] | None] = field(default_factory=dict)
    _ephemeral: dict[int, str | None] = field(default_factory=dict)
    plain_scopes: dict[int, bool] = field(default_factory=dict)  # `values._scope_leaves`: a CTE/subquery as such
    # `values._table_leaves`, per table reference: its node (None: external or a table function), its columns
    table_names: dict[int, tuple[str | None, frozenset[str] | None]] = field(default_factory=dict)
    case: str = field(init=False)  # how the dialect treats the case of column names (`names.column_case`)

    def __post_init__(self) -> None:
        self.case = column_case(self.dialect)

    def name(self, node: exp.Expr) -> str:
        """The canonical name (`headwater.lineage.names`) of a column, alias or identifier node."""
        if self.case in INSENSITIVES and type(node) is exp.Column:  # most names: a column, case folded
            ident = node.args["this"]
            if type(ident) is exp.Identifier:
                return fold(str(ident.args["this"]), self.case)
        return identifier_name(node, self.case)

    def table_uid(self, table: exp.Table) -> str | None:
        """The node a table reference reads (memoised per reference: `*` asks once per column)."""
        key = id(table)
        if key not in self._tables:
            self._tables[key] = self.resolve_table(table)
        return self._tables[key]

    def ephemeral_uid(self, scope: Scope) -> str | None:
        """The ephemeral model a `__dbt__cte__<name>` CTE stands for, else None."""
        key = id(scope)
        if key not in self._ephemeral:
            name = cte_name_of(scope)
            found = None
            if name is not None and name.lower().startswith(EPHEMERAL_PREFIX):
                found = self.resolve_ephemeral(name[len(EPHEMERAL_PREFIX) :])
            self._ephemeral[key] = found
        return self._ephemeral[key]

    def sources(self, scope: Scope) -> dict[str, Source]:
        """The scope's sources by lower-cased alias (aliases compare case-insensitively)."""
        found = self._sources.get(id(scope))
        if found is None:
            found = {k.lower(): v for k, v in scope.sources.items()}
            self._sources[id(scope)] = found
        return found


def outputs(ctx: Context, scope: Scope) -> Outputs:
    """The output columns of a scope (memoised)."""
    key = id(scope)
    found = ctx.outputs_memo.get(key)
    if found is not None:
        return found
    ctx.outputs_memo[key] = Outputs({}, [])  # a recursive CTE reading itself sees no columns
    if not ctx.qualified and (_has_column_aliases(scope) or scope.pivots):
        raise Fallback
    columns: dict[str, Output] = {}
    stars: list[exp.Expr] = []
    if isinstance(scope.expression, exp.SetOperation):
        first = outputs(ctx, scope.set_operation_scopes[0]) if scope.set_operation_scopes else Outputs({}, [])
        columns = {name: Output(position) for position, name in enumerate(first.columns)}
        stars = first.stars
    elif isinstance(scope.expression, exp.Select):
        for position, projection in enumerate(scope.expression.selects):
            if is_star(projection):
                expanded = None if ctx.qualified else _expand_star(ctx, scope, projection, position)
                if expanded is None:
                    stars.append(projection)
                else:
                    for name, output in expanded:
                        columns.setdefault(name, output)
                continue
            name = ctx.name(projection) or f"_col_{position}"  # qualify's name for `select 1 + 2`
            columns.setdefault(name, Output(position, projection))
    found = ctx.outputs_memo[key] = Outputs(columns, stars)
    return found


def _has_column_aliases(scope: Scope) -> bool:
    parent = scope.expression.parent
    alias = parent.args.get("alias") if parent is not None else None
    return isinstance(alias, exp.TableAlias) and bool(alias.columns)


def is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star)


def _expand_star(ctx: Context, scope: Scope, star: exp.Expr, position: int) -> list[tuple[str, Output]] | None:
    """`*` / `t.*` (with EXCLUDE / REPLACE) from the sources' known columns; None when one is unknown."""
    if isinstance(star, exp.Column):
        source = ctx.sources(scope).get(star.table.lower())
        sources = [(star.table, source)] if source is not None else []
        node = star.this
    else:
        sources = [(alias, src) for alias, (_, src) in scope.selected_sources.items()]
        node = star
    if node.args.get("rename") or not sources:
        raise Fallback
    excluded = {ctx.name(c) for c in node.args.get("except_") or node.args.get("except") or ()}
    replaced = {ctx.name(r): r for r in node.args.get("replace") or ()}
    expanded: list[tuple[str, Output]] = []
    for alias, source in sources:
        names = source_columns(ctx, source)
        if names is None:
            return None
        for name in names:
            if name in excluded:
                continue
            if name in replaced:
                expanded.append((name, Output(position, replaced[name])))
            else:
                expanded.append((name, Output(position, None, source, alias)))
    return expanded


def source_columns(ctx: Context, source: Source) -> tuple[str, ...] | None:
    """Lower-cased column names of a FROM/JOIN source, or None when they are not known."""
    if isinstance(source, exp.Table):
        if not isinstance(source.this, exp.Identifier):
            return None
        uid = ctx.table_uid(source)
        return ctx.table_columns(uid) if uid is not None else None
    if source.is_udtf or is_recursive_anchor(source):
        return None
    found = outputs(ctx, source)
    return None if found.stars else tuple(found.columns)


def has_column(ctx: Context, source: Source, name: str) -> bool | None:
    """Whether a source has the column; None when its columns are not known."""
    key = id(source)
    if key not in ctx._names:
        columns = source_columns(ctx, source)
        ctx._names[key] = None if columns is None else frozenset(columns)
    names = ctx._names[key]
    return None if names is None else name in names


def is_recursive_anchor(scope: Scope) -> bool:
    """sqlglot's view of a recursive CTE from inside itself: its anchor branch, without sources."""
    return bool(scope.is_cte and isinstance(scope.expression.parent, exp.SetOperation))


def cte_name_of(scope: Scope) -> str | None:
    parent = scope.expression.parent
    return parent.alias if isinstance(parent, exp.CTE) else None


def scope_of(scope: Scope, node: exp.Expr) -> Scope | None:
    """The subquery scope of a subquery expression inside `scope`."""
    target = node.this if isinstance(node, exp.Subquery) else node
    for sub in scope.subquery_scopes:
        if sub.expression is target or sub.expression is node:
            return sub
    return None


def lookup_source(ctx: Context, scope: Scope, table: str) -> Source | None:
    """The source an alias names, looking outwards from a subquery (correlated references)."""
    current: Scope | None = scope
    while current is not None:
        source = ctx.sources(current).get(table.lower())
        if source is not None:
            return source
        current = current.parent if current.is_subquery else None
    return None


def unknown(reason: str) -> Leaf:
    return Leaf(None, None, reason=reason)
