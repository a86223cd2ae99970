"""The read-only guard: every statement headwater sends is parsed by sqlglot and must be a single query.

Checked on the AST, not with a regex: a SELECT that hides a write (a CTE with INSERT, `COPY`, `PRAGMA`,
a multi-statement string) is refused before it reaches the warehouse.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from headwater.errors import UnsafeQueryError

# Node types that never belong in a read-only probe, wherever they appear in the tree.
_FORBIDDEN: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.TruncateTable,
    exp.Into,
    exp.LoadData,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
)


def ensure_select(statement: str | exp.Expr, dialect: str) -> exp.Query:
    """Return `statement` as a sqlglot query, or raise UnsafeQueryError when it is not a plain read."""
    if isinstance(statement, exp.Expr):
        trees = [statement]
    else:
        try:
            trees = [t for t in sqlglot.parse(statement, read=dialect) if t is not None]
        except ParseError as err:
            first = str(err).splitlines()[0]
            raise UnsafeQueryError(f"refused to send SQL that does not parse as {dialect}: {first}") from err
    if len(trees) != 1:
        raise UnsafeQueryError(f"refused to send {len(trees)} statements at once; send one SELECT")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise UnsafeQueryError(f"refused to send a {tree.key.upper()} statement; headwater only reads (SELECT)")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise UnsafeQueryError(
                f"refused to send a query containing {node.key.upper()}; headwater only reads (SELECT)"
            )
    return tree


def render(query: exp.Query, dialect: str, pretty: bool = False) -> str:
    """SQL text with every identifier quoted (after normalising unquoted ones the way the dialect folds them).
    `pretty` lays long probes out on several lines, for the people who re-run them from a report."""
    normalized = normalize_identifiers(query.copy(), dialect=dialect)
    return normalized.sql(dialect=dialect, identify=True, pretty=pretty)
