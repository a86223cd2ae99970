"""Column lineage of ONE model: parse its compiled SQL once, then one pass over its scopes.

`analyze_model` is pure: SQL text, schemas and resolvers in, a `RawLineage` out; it never raises for bad
SQL (the model gets UNKNOWN edges with the reason instead).

Two passes share the same resolution code (`scopes.py`: output names; `values.py`: value lineage;
`rows.py`: row lineage):
- fast: over the parsed tree as written, with unqualified columns and `*` resolved from the columns each
  source is known to have (catalog, YAML, or upstream lineage). Most dbt SQL goes this way.
- qualified: sqlglot's `qualify()` with the project's `MappingSchema` (built once, extended in topological
  order), when the fast pass raises `Fallback` (ambiguous names, column alias lists, pivots, `* RENAME`)
  or leaves a column unresolved. `qualify()` costs about as much as parsing, so it runs only then.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.parser import Parser
from sqlglot.schema import MappingSchema
from sqlglot.tokens import Tokenizer

from headwater.lineage.compact import RawEdge, RawLineage
from headwater.lineage.locate import Locator
from headwater.lineage.rows import row_edges
from headwater.lineage.scopes import KIND_OF_RANK, PASS, Context, Leaf, outputs, unknown
from headwater.lineage.values import resolve_scope, through_star

JINJA_RE = re.compile(r"\{\{|\{%|\{#")
_RETRY_CATEGORIES = ("unresolved column", "missing column")


def analyze_model(
    node_id: str,
    sql: str,
    dialect: str,
    schema: MappingSchema | Callable[[], MappingSchema],
    resolve_table: Callable[[exp.Table], str | None],
    resolve_ephemeral: Callable[[str], str | None],
    locator: Locator,
    fallback_columns: tuple[str, ...] = (),
    table_columns: Callable[[str], tuple[str, ...] | None] | None = None,
    fast: bool = True,
) -> RawLineage:
    """Lineage of one model's compiled SQL. `table_columns(uid)`: a node's known columns (they drive the
    fast pass and flag references to columns a table does not have); `fast=False`: qualify every time."""
    jinja = JINJA_RE.search(sql)
    if jinja:
        line = sql.count("\n", 0, jinja.start()) + 1
        return failed(node_id, fallback_columns, f"jinja remnant: compiled SQL line {line} still holds Jinja")
    try:
        tree = _parse_one(sql, dialect)
    except SqlglotError as err:
        return failed(node_id, fallback_columns, f"unparseable SQL: {_first_line(err)}")
    if not isinstance(tree, exp.Query):
        return failed(node_id, fallback_columns, f"not a select: the compiled SQL is a {tree.key} statement")
    if not tree.selects:
        return failed(node_id, fallback_columns, "not a select: the compiled SQL selects no columns")
    columns_of = table_columns or _no_columns
    if fast and table_columns is not None:
        try:
            root = build_scope(tree)
            if root is not None:
                ctx = Context(dialect, resolve_table, resolve_ephemeral, columns_of, locator, qualified=False)
                result = _lineage(ctx, node_id, root, fallback_columns)
                if not any(e.reason.startswith(_RETRY_CATEGORIES) for e in (*result.edges, *result.row_edges)):
                    return result
        except Exception:  # Fallback, or SQL the fast pass trips on: qualify gets its turn
            pass
    from sqlglot.optimizer.qualify import qualify  # here: most projects never need it (~5 ms of imports)

    try:
        mapping = schema if isinstance(schema, MappingSchema) else schema()
        tree = qualify(
            tree,
            dialect=dialect,
            schema=mapping,
            validate_qualify_columns=False,
            # A column the schema of its (qualified) table lacks, e.g. Snowflake's METADATA$FILENAME, must
            # make only the columns reading it unknown ("missing column"), not stop the whole model.
            allow_partial_qualification=True,
            quote_identifiers=False,
            identify=False,
        )
        root = build_scope(tree)
    except (SqlglotError, KeyError, ValueError, AttributeError) as err:
        return failed(node_id, fallback_columns, f"unqualifiable SQL: {_first_line(err)}")
    if root is None:
        return failed(node_id, fallback_columns, "not a select: no SELECT scope found")
    ctx = Context(dialect, resolve_table, resolve_ephemeral, columns_of, locator, qualified=True)
    try:
        return _lineage(ctx, node_id, root, fallback_columns)
    except Exception as err:  # one odd model must not stop the project; it says why
        return failed(node_id, fallback_columns, f"unanalysable SQL: {type(err).__name__}: {_first_line(err)}")


@lru_cache(maxsize=16)
def _dialect(name: str) -> Dialect:
    """One Dialect instance per name: `parse_one(sql, dialect=<str>)` builds a new one for every model."""
    return Dialect.get_or_raise(name)


_READERS = threading.local()  # per thread: a tokenizer and a parser are reused, never shared


def _parse_one(sql: str, dialect: str) -> exp.Expr:
    """`sqlglot.parse_one(sql, dialect=...)` with one tokenizer and one parser per dialect and thread, instead of
    new ones for every model (each tokenizer builds its scanner's tables again); both reset after every call."""
    readers: dict[str, tuple[Tokenizer, Parser]] | None = getattr(_READERS, "by_dialect", None)
    if readers is None:
        readers = _READERS.by_dialect = {}
    reader = readers.get(dialect)
    if reader is None:
        found = _dialect(dialect)
        reader = readers[dialect] = (found.tokenizer(), found.parser())
    tokenizer, parser = reader
    try:
        result = parser.parse(tokenizer.tokenize(sql), sql)
    finally:
        # Neither keeps this model's tokens until the next model's parse: alive, they would be walked (and
        # promoted) by the young collection that frees the tree (`build.collect_tree`).
        parser.reset()
        tokenizer.tokenize("")
    if not result or result[0] is None:  # as parse_one says it
        raise ParseError(f"No expression was parsed from '{sql}'")
    return exp.Block(expressions=result) if len(result) > 1 else result[0]


def _no_columns(_: str) -> tuple[str, ...] | None:
    return None


def _lineage(ctx: Context, node_id: str, root: Scope, fallback_columns: tuple[str, ...]) -> RawLineage:
    found = dict(resolve_scope(ctx, root))
    columns: list[str] = list(found)
    star_sources = outputs(ctx, root).stars
    if star_sources:
        # `select *` over something whose columns are unknown: use the declared/catalog columns.
        for col in fallback_columns:
            if col not in found:
                columns.append(col)
                found[col] = through_star(ctx, root, col)
        if not fallback_columns:
            columns.append("*")
            shown = star_sources[0].sql(ctx.dialect)
            found["*"] = [unknown(f"unknown columns: {shown} selects from a relation without catalog or YAML columns")]
    edges: list[RawEdge] = []
    for col, leaves in found.items():
        edges.extend(_edges_for(ctx, col, leaves))
    return RawLineage(node=node_id, columns=tuple(columns), edges=tuple(edges), row_edges=tuple(row_edges(ctx, root)))


def failed(node_id: str, columns: tuple[str, ...], reason: str) -> RawLineage:
    cols = columns or ("*",)
    edges = tuple(RawEdge(target=c, kind="unknown", reason=reason) for c in cols)
    return RawLineage(node=node_id, columns=cols, edges=edges, error=reason)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def _edges_for(ctx: Context, target: str, leaves: list[Leaf]) -> Iterator[RawEdge]:
    seen: set[tuple[str | None, str | None, str]] = set()
    for leaf in leaves:
        if leaf.reason:
            kind = "unknown"
        elif leaf.rank == PASS and leaf.node is not None:
            kind = "passthrough" if leaf.column == target else "rename"
        else:
            kind = KIND_OF_RANK.get(leaf.rank, "expression")
        key = (leaf.node, leaf.column, leaf.reason or kind)
        if key in seen:
            continue
        seen.add(key)
        step = leaf.step if ctx.locator.where else None  # a Locator without `where` gives values nothing
        text, line, compiled = ctx.locator.locate(step) if step is not None else ("", None, False)
        yield RawEdge(target, kind, leaf.node, leaf.column, text, line, compiled, leaf.reason or leaf.note)
