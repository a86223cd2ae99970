"""Column names as the dialect means them, in one canonical spelling for the whole lineage.

A column is named the same however the SQL or the catalog spells it when the dialect treats the spellings
as one column. The canonical spelling:
- lower case for every name the dialect folds (unquoted names, and any name in a dialect whose column
  names are case-insensitive even when quoted: DuckDB, BigQuery, Spark/Databricks, MySQL-family, T-SQL...);
- the exact name for a quoted name that keeps its case (PostgreSQL `"Amount"`, Snowflake `"Amount"`), so
  two columns that differ only in case never collide;
- the exact name in double quotes when it is all lower case but the dialect folds to upper case
  (Snowflake's `"amount"` is not its `amount`, which means `AMOUNT`).

The strategy is sqlglot's `NORMALIZATION_STRATEGY`, except where sqlglot's choice is about table names
and columns are case-insensitive (MySQL, StarRocks, Doris, Fabric/T-SQL). Catalog names, and the names on a
names in a `MappingSchema` are stored names: spelled exactly as the warehouse keeps them.
"""

from __future__ import annotations

import string
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

# Dialects whose column names are case-insensitive although sqlglot keeps their (table) names' case.
_INSENSITIVE_COLUMNS = frozenset({"mysql", "starrocks", "doris", "fabric", "tsql", "singlestore"})
LOWER, UPPER, SENSITIVE, INSENSITIVE = "lower", "upper", "sensitive", "insensitive"
# Case-insensitive too, but folding every letter (`Ü` to `ü`) as sqlglot does for the dialect (Spark, T-SQL...);
# INSENSITIVE dialects fold ASCII letters only (DuckDB, BigQuery, Redshift: sqlglot's ASCII_ONLY_NORMALIZATION).
UNICODE_INSENSITIVE = "insensitive, unicode"
INSENSITIVES = frozenset({INSENSITIVE, UNICODE_INSENSITIVE})


@lru_cache(maxsize=64)
def column_case(dialect: str) -> str:
    """How the dialect treats the case of column names: lower, upper, sensitive or insensitive."""
    try:
        found = Dialect.get_or_raise(dialect)
    except ValueError:
        return INSENSITIVE if dialect in _INSENSITIVE_COLUMNS else LOWER
    insensitive = INSENSITIVE if getattr(found, "ASCII_ONLY_NORMALIZATION", False) else UNICODE_INSENSITIVE
    if dialect in _INSENSITIVE_COLUMNS:
        return insensitive
    strategy = found.NORMALIZATION_STRATEGY
    if strategy is NormalizationStrategy.UPPERCASE:
        return UPPER
    if strategy is NormalizationStrategy.LOWERCASE:
        return LOWER
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return SENSITIVE
    return insensitive


@lru_cache(maxsize=64)
def string_quotes(dialect: str) -> frozenset[str]:
    """The quote characters that delimit a string in the dialect (`"` in MySQL-family dialects)."""
    try:
        quotes = Dialect.get_or_raise(dialect).tokenizer_class.QUOTES
    except ValueError:
        return frozenset("'")
    return frozenset(q for q in quotes if isinstance(q, str))


def fold(name: str, case: str = INSENSITIVE) -> str:
    """A name in lower case the way the dialect folds identifiers: ASCII letters only for DuckDB's
    case-insensitive names and PostgreSQL's unquoted ones, which leave `Ü` as it is (`"ünï"` is not DuckDB's
    `"Ünï"`); every letter where sqlglot folds them all (UNICODE_INSENSITIVE, and UPPER: Snowflake)."""
    if case in (INSENSITIVE, LOWER) and not name.isascii():
        return name.translate(_ASCII_LOWER)
    return name.lower()  # on ASCII the same as the table, and several times cheaper


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def stored(name: str, case: str) -> str:
    """The canonical spelling of a name as the warehouse stores it (catalog, qualified tree)."""
    if case in INSENSITIVES:
        return fold(name, case)
    if case in (LOWER, SENSITIVE):
        return name  # a stored name in lower case is the folded one; any other keeps its case
    upper = name.upper()
    if name == upper:
        return name.lower()  # Snowflake's AMOUNT: what unquoted `amount` means
    return name if name != name.lower() else f'"{name}"'


def written(name: str, quoted: bool, case: str) -> str:
    """The canonical spelling of a name as the SQL writes it (quoted or not)."""
    if case in INSENSITIVES or (not quoted and case != SENSITIVE):
        return fold(name, case)
    return stored(name, case)


def to_stored(canonical: str, case: str) -> str:
    """The stored spelling of a canonical name (the inverse of `stored`)."""
    if case == UPPER:
        if canonical.startswith('"') and canonical.endswith('"') and len(canonical) > 1:
            return canonical[1:-1]
        return canonical.upper() if canonical == canonical.lower() else canonical
    return canonical


def schema_key(name: str, case: str, dialect: str) -> str:
    """A stored name as a key of sqlglot's `MappingSchema`, which normalises keys as unquoted SQL: a name
    the dialect would fold is passed quoted, so its case survives; so is any name that is not a plain
    identifier (`Order ID`, `x"); --`), which does not parse unquoted."""
    if not exp.SAFE_IDENTIFIER_RE.match(name):
        return exp.to_identifier(name, quoted=True).sql(dialect)
    if case in INSENSITIVES or case == SENSITIVE:
        return name
    folded = name.upper() if case == UPPER else name.lower()
    return name if name == folded else exp.to_identifier(name, quoted=True).sql(dialect)


def identifier_name(node: exp.Expr, case: str) -> str:
    """The canonical name of a column, alias or identifier node, on the tree as written or as sqlglot's
    qualify left it (it folds unquoted names, and quotes the names it expands `*` to whose case counts)."""
    ident = node
    if isinstance(node, exp.Alias):
        ident = node.args.get("alias") or node
    elif isinstance(node, exp.Column):
        ident = node.this
    if isinstance(ident, exp.Identifier):
        if case in INSENSITIVES:
            return fold(str(ident.this), case)
        return written(str(ident.this), bool(ident.args.get("quoted")), case)
    return written(node.alias_or_name, False, case)
