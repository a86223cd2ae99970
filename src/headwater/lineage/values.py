"""Value lineage inside one model: an output column -> the leaf columns it is computed from.

Leaves are table columns of other nodes, an ephemeral model's `__dbt__cte__<name>` CTE, literals, or
UNKNOWN with a reason. CTEs and subqueries in between are collapsed; the strongest step on the way
(aggregate > window > expression > cast > rename/passthrough) gives the edge its kind and its SQL text.
Lineage is resolved per (scope, column) on demand and memoised, so a `select *` CTE costs only the
columns that are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from headwater.lineage.names import string_quotes, written
from headwater.lineage.pivots import pivot_by_alias, pivot_leaves
from headwater.lineage.scopes import (
    AGG,
    CAST,
    EXPR,
    EXTERNAL_PREFIX,
    PASS,
    WINDOW,
    Context,
    Fallback,
    Leaf,
    Source,
    has_column,
    is_recursive_anchor,
    lookup_source,
    outputs,
    scope_of,
    unknown,
)


def resolve_scope(ctx: Context, scope: Scope) -> dict[str, list[Leaf]]:
    """Every output column of a scope -> its leaves (the root, scalar subqueries, GROUP BY 1)."""
    return {name: column_leaves(ctx, scope, name) or [] for name in outputs(ctx, scope).columns}


def column_leaves(ctx: Context, scope: Scope, name: str) -> list[Leaf] | None:
    """The leaves of one output column of a scope; None when the scope has no such column."""
    key = (id(scope), name)
    found = ctx.leaves.get(key)
    if found is not None:
        return found
    output = (ctx.outputs_memo.get(key[0]) or outputs(ctx, scope)).columns.get(name)
    if output is None:
        return None
    ctx.leaves[key] = []  # a column defined through itself (recursive CTE) adds nothing
    if isinstance(scope.expression, exp.SetOperation):
        leaves: list[Leaf] = []
        for branch in scope.set_operation_scopes:
            names = list(outputs(ctx, branch).columns)
            if output.position < len(names):
                leaves.extend(column_leaves(ctx, branch, names[output.position]) or [])
    elif output.projection is not None:
        leaves = projection_leaves(ctx, scope, output.projection, name)
    else:
        assert output.source is not None
        step = f"{output.alias}.{name}"
        # `compose(leaf, PASS, False, step)`, inlined (one call per column and `select *` level): a PASS step
        # adds only its text, to a leaf that has none yet.
        leaves = [
            leaf
            if leaf.reason or leaf.step is not None
            else Leaf(leaf.node, leaf.column, leaf.rank, leaf.renamed, step, "", leaf.note)
            for leaf in resolve_in_source(ctx, output.source, name, None, scope)
        ]
    ctx.leaves[key] = leaves
    return leaves


@dataclass
class Parts:
    """What one walk over an expression finds (subqueries are collected, not entered)."""

    columns: list[exp.Column] = field(default_factory=list)
    subqueries: list[exp.Expr] = field(default_factory=list)
    udfs: list[exp.Anonymous] = field(default_factory=list)
    window: bool = False
    aggregate: bool = False


# What `parts_of` does with a node, by its class: one dict lookup per node instead of up to six isinstance
# checks (a pure memo: a class's ancestors never change).
_OTHER, _COLUMN, _QUERY, _WINDOW, _AGG, _UDF, _LAMBDA = range(1, 8)
_KINDS: dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _KINDS.get(cls)
    if kind is None:
        if issubclass(cls, exp.Column):
            kind = _COLUMN
        else:
            kind = _QUERY if issubclass(cls, exp.Subquery | exp.Select) else _inner_kind(cls)
        _KINDS[cls] = kind
    return kind


def _inner_kind(cls: type) -> int:
    """The kind of a node that is neither a column nor a subquery (or is the walk's own root query)."""
    if issubclass(cls, exp.Window):
        return _WINDOW
    if issubclass(cls, exp.AggFunc):
        return _AGG
    if issubclass(cls, exp.Anonymous):
        return _UDF
    return _LAMBDA if issubclass(cls, exp.Lambda) else _OTHER


def parts_of(node: exp.Expr) -> Parts:
    if isinstance(node, exp.Column):  # most projections: no walk needed
        return Parts(columns=[] if node.is_star else [node])
    parts = Parts()
    columns = parts.columns
    lambdas = False
    kinds = _KINDS
    stack = [node]
    while stack:
        current = stack.pop()
        kind = kinds.get(type(current)) or _kind(type(current))
        if kind == _COLUMN:
            if not current.is_star:
                columns.append(current)  # type: ignore[arg-type]  # its kind says it is a Column
            continue
        if kind == _QUERY:
            if current is not node:
                parts.subqueries.append(current)
                continue
            kind = _inner_kind(type(current))
        if kind == _WINDOW:
            parts.window = True
        elif kind == _AGG:
            parts.aggregate = True
        elif kind == _UDF:
            parts.udfs.append(current)  # type: ignore[arg-type]  # its kind says it is an Anonymous
        elif kind == _LAMBDA:
            lambdas = True
        stack.extend(current.iter_expressions())
    if lambdas:
        parts.columns = [c for c in parts.columns if not _is_lambda_variable(c)]
    parts.columns.reverse()  # the stack walked right to left
    return parts


def _is_lambda_variable(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None and not column.table:
        if isinstance(parent, exp.Lambda) and any(v.name == column.name for v in parent.expressions):
            return True
        parent = parent.parent
    return False


def _classify(inner: exp.Expr, parts: Parts) -> int:
    if isinstance(inner, exp.Column):
        return PASS
    node = inner
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if node is not inner and isinstance(node, exp.Column):
        return CAST
    if parts.window:
        return WINDOW
    return AGG if parts.aggregate else EXPR


def projection_leaves(ctx: Context, scope: Scope, projection: exp.Expr, name: str) -> list[Leaf]:
    inner = projection.unalias()
    if isinstance(inner, exp.Column):  # most projections, renamed or not: what parts_of and _classify say of it
        parts, columns, rank = None, [] if inner.is_star else [inner], PASS
    else:
        parts = parts_of(inner)
        columns, rank = parts.columns, _classify(inner, parts)
    leaves: list[Leaf] = []
    for column in columns:
        column_name = ctx.name(column)
        renamed = column_name != name
        for leaf in resolve_column(ctx, scope, column, column_name):
            leaves.append(compose(leaf, rank, renamed, projection))
    for sub in parts.subqueries if parts is not None else ():
        sub_scope = scope_of(scope, sub)
        if sub_scope is not None:
            for sub_leaves in resolve_scope(ctx, sub_scope).values():
                leaves.extend(compose(leaf, EXPR, True, projection) for leaf in sub_leaves)
                break  # a scalar subquery has one output column
    for func in parts.udfs if parts is not None else ():
        if parts_of(func).columns:
            why = f"udf: {func.name}() is not a known function; its effect on the value is not analysed"
            leaves.append(unknown(why))
    if not leaves:  # a literal, now(), count(*): no upstream column
        leaves.append(Leaf(None, None, max(rank, EXPR), True, projection, note=_string_named_column(ctx, scope, inner)))
    return leaves


def _string_named_column(ctx: Context, scope: Scope, inner: exp.Expr) -> str:
    """A note when a double-quoted string, in a dialect where double quotes delimit strings (MySQL-family,
    BigQuery, Spark/Databricks, Hive), is exactly the name of a column of a source: the dialect's reading (a
    string) is kept, and the edge says that the author may have meant the column (MySQL's ANSI_QUOTES mode,
    or Spark's doubleQuotedIdentifiers, would read it as one)."""
    if not (isinstance(inner, exp.Literal) and inner.is_string) or '"' not in string_quotes(ctx.dialect):
        return ""
    value, start = str(inner.this), inner.meta.get("start")
    if not isinstance(start, int) or ctx.locator.text[start : start + 1] != '"':
        return ""  # written with single quotes (or made by sqlglot): plainly a string
    name = written(value, True, ctx.case)
    for alias, (_, source) in scope.selected_sources.items():
        if has_column(ctx, source, name):
            return (
                f'quoted string: "{value}" is a string in {ctx.dialect} (double quotes delimit strings), '
                f"although {alias} has a column {name}; a server that reads double quotes as identifiers "
                "(MySQL ANSI_QUOTES) would read that column"
            )
    return ""


def compose(inner: Leaf, rank: int, renamed: bool, step: exp.Expr | str) -> Leaf:
    """One more step on the way from a leaf: keep the strongest step."""
    if inner.reason:
        return inner
    # Ties keep the step nearer the leaf, except that SQL written in the model beats a `*` expansion.
    keep_inner = inner.step is not None and (
        (inner.rank, inner.renamed) > (rank, renamed)
        or (
            (inner.rank, inner.renamed) == (rank, renamed)
            and (isinstance(step, str) or not isinstance(inner.step, str))
        )
    )
    if keep_inner and rank <= inner.rank and (inner.renamed or not renamed):
        return inner  # the step adds nothing (a `*` or a plain reference): no new object
    return Leaf(
        inner.node,
        inner.column,
        rank if rank > inner.rank else inner.rank,
        renamed or inner.renamed,
        inner.step if keep_inner else step,
        "",
        inner.note,
    )


def resolve_column(ctx: Context, scope: Scope, column: exp.Column, name: str | None = None) -> list[Leaf]:
    """The leaves of a column reference (`name`: its canonical name, when the caller has it already)."""
    if name is None:
        name = ctx.name(column)
    if not column.table:
        if not ctx.qualified:
            return _resolve_unqualified(ctx, scope, column, name)
        if len(scope.selected_sources) == 1:  # qualify leaves it so when its only table has no columns
            return resolve_in_source(ctx, next(iter(scope.selected_sources.values()))[1], name, None, scope)
        return [unknown(f"unresolved column: {column.name} is in no known schema of the tables it could come from")]
    source = lookup_source(ctx, scope, column.table) or pivot_by_alias(ctx, scope, column.table)
    if source is None and _is_recursive_reference(column):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    if source is None:
        if scope.udtf_scopes or scope.lateral_sources:
            sql = column.sql(ctx.dialect)
            return [unknown(f"unnest/lateral: {sql} comes from an UNNEST/LATERAL, which is not analysed")]
        return [unknown(f"unresolved column: {column.sql(ctx.dialect)} refers to an unknown table alias")]
    return resolve_in_source(ctx, source, name, column, scope)


def _resolve_unqualified(ctx: Context, scope: Scope, column: exp.Column, name: str) -> list[Leaf]:
    """Which source an unqualified column comes from, as qualify would decide it."""
    unknown_sources: list[Source] = []
    for _, source in scope.selected_sources.values():
        found = has_column(ctx, source, name)
        if found is None:
            unknown_sources.append(source)
        elif found:
            return resolve_in_source(ctx, source, name, column, scope)
    if isinstance(scope.expression, exp.Select) and _alias_reference(ctx, scope, column, name, bool(unknown_sources)):
        return column_leaves(ctx, scope, name) or []  # another projection's alias (a lateral alias)
    if len(unknown_sources) == 1:
        return resolve_in_source(ctx, unknown_sources[0], name, column, scope)
    if len(scope.selected_sources) == 1 and not unknown_sources and not scope.is_subquery:
        return resolve_in_source(ctx, next(iter(scope.selected_sources.values()))[1], name, column, scope)
    if scope.parent is not None and scope.is_subquery and not unknown_sources:
        return _resolve_unqualified(ctx, scope.parent, column, name)  # correlated subquery
    raise Fallback


def _alias_reference(ctx: Context, scope: Scope, column: exp.Column, name: str, unknown_sources: bool) -> bool:
    """Whether an unqualified name that no source is known to have means a projection's alias.

    Source columns win over aliases: inside the select list only an EARLIER projection's alias counts
    (`x as y, y + 1 as z`); elsewhere (WHERE, GROUP BY) an alias counts only when every source's columns
    are known (none of them has the name).
    """
    own = outputs(ctx, scope).columns.get(name)
    select = scope.expression
    if own is None or own.projection is None or not isinstance(select, exp.Select):
        return False
    node: exp.Expr | None = column
    while node is not None and node.parent is not select:
        node = node.parent
    if node is None:
        return False
    for position, projection in enumerate(select.selects):
        if projection is node:
            return own.position < position
    return not unknown_sources


def _is_recursive_reference(column: exp.Column) -> bool:
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.CTE) and parent.alias.lower() == column.table.lower():
            return True
        parent = parent.parent
    return False


def resolve_in_source(
    ctx: Context, source: Source, name: str, column: exp.Column | None = None, scope: Scope | None = None
) -> list[Leaf]:
    """The leaves of column `name` of a FROM/JOIN source. `scope`: the scope it is a source of (a pivoted
    CTE is found through it)."""
    if isinstance(source, exp.Table):
        if source.args.get("pivots"):
            return pivot_leaves(ctx, scope, source, name, lambda relation, col: _unpivoted(ctx, relation, col, scope))
        return _table_leaves(ctx, source, name)
    return _scope_leaves(ctx, source, name, column)


def _unpivoted(
    ctx: Context, source: Source, name: str, scope: Scope | None, column: exp.Column | None = None
) -> list[Leaf]:
    if isinstance(source, exp.Table):
        return _table_leaves(ctx, source, name)
    return _scope_leaves(ctx, source, name, column)


def _table_leaves(ctx: Context, source: exp.Table, name: str) -> list[Leaf]:
    """A column of a relation: its node's column, an EXTERNAL leaf, or unknown (missing, table function)."""
    known = ctx.table_names.get(id(source))
    if known is None:  # once per table reference: its node, and the columns it is known to have
        uid = ctx.table_uid(source) if isinstance(source.this, exp.Identifier) else None
        columns = ctx.table_columns(uid) if uid is not None else None
        known = ctx.table_names[id(source)] = (uid, None if columns is None else frozenset(columns))
    uid, names = known
    if uid is not None:
        if names is not None and name not in names:
            where = _relation(source)
            return [unknown(f"missing column: {name} is not a column of {where} (catalog, YAML or lineage)")]
        return [Leaf(uid, name)]
    if not isinstance(source.this, exp.Identifier):
        return [unknown(f"table function: {source.sql(ctx.dialect)[:80]} is not analysed")]
    # A physical relation dbt does not declare (no source, model or seed): an EXTERNAL leaf node.
    # Its columns are only those the SQL names through it; none is ever guessed.
    return [Leaf(external_id(source), name)]


def _scope_leaves(ctx: Context, source: Scope, name: str, column: exp.Column | None) -> list[Leaf]:
    plain = ctx.plain_scopes.get(id(source))
    if plain is None:  # neither UNNEST/LATERAL, nor an ephemeral model, nor a recursive anchor (the usual)
        plain = not source.is_udtf and ctx.ephemeral_uid(source) is None and not is_recursive_anchor(source)
        ctx.plain_scopes[id(source)] = plain
    if plain:
        leaves = column_leaves(ctx, source, name)
        return leaves if leaves is not None else through_star(ctx, source, name)
    if source.is_udtf:
        shown = column.sql(ctx.dialect) if column is not None else name
        return [unknown(f"unnest/lateral: {shown} comes from an UNNEST/LATERAL, which is not analysed")]
    uid = ctx.ephemeral_uid(source)
    if uid is not None:
        return [Leaf(uid, name)]
    if is_recursive_anchor(source):
        return []  # WITH RECURSIVE: the recursive branch adds no lineage beyond the anchor branch
    leaves = column_leaves(ctx, source, name)
    return leaves if leaves is not None else through_star(ctx, source, name)


def _relation(table: exp.Table) -> str:
    return ".".join(p.name for p in table.parts)


def external_id(table: exp.Table) -> str:
    """`external.<db>.<schema>.<table>` (the parts the SQL writes, lower-cased) for an undeclared relation."""
    return EXTERNAL_PREFIX + _relation(table).lower()


def through_star(ctx: Context, scope: Scope, name: str) -> list[Leaf]:
    """A column not listed by a scope that selects `*` from something whose columns are unknown."""
    stars = outputs(ctx, scope).stars
    star_tables = {s.table for s in stars if isinstance(s, exp.Column) and s.table}
    if any(isinstance(s, exp.Star) for s in stars):
        star_tables |= set(scope.selected_sources)
    if len(star_tables) == 1:
        source = lookup_source(ctx, scope, next(iter(star_tables)))
        if source is not None:
            return resolve_in_source(ctx, source, name, None, scope)
    where = "" if not stars else " (several sources behind select *)"
    return [unknown(f"missing column: {name} not found in its source{where}")]
