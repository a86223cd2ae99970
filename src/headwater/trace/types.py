"""Type families, so `integer` declared in YAML matches DuckDB `INTEGER` and PostgreSQL `integer`.

A schema change is a change of family (or of decimal precision/scale), not of spelling.
"""

from __future__ import annotations

import re

_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("integer", ("int", "integer", "int4", "int2", "int8", "smallint", "bigint", "tinyint", "hugeint", "ubigint", "uinteger", "usmallint", "utinyint", "long", "short", "byte")),
    ("float", ("float", "double", "real", "float4", "float8", "double precision")),
    ("text", ("varchar", "text", "string", "char", "character", "character varying", "bpchar", "nvarchar")),
    ("boolean", ("bool", "boolean", "logical")),
    ("date", ("date",)),
    ("timestamp", ("timestamp", "datetime", "timestamp without time zone", "timestamp_ntz")),
    ("timestamptz", ("timestamptz", "timestamp with time zone", "timestamp_tz")),
    ("decimal", ("decimal", "numeric", "number")),
)


def family(data_type: str) -> str:
    """Normalised type: `decimal(12,2)`, `integer`, `text`…; unknown spellings lower-cased as they are."""
    text = data_type.strip().lower()
    base = re.sub(r"\(.*\)", "", text).strip()
    args = re.findall(r"\d+", text[len(base):]) if "(" in text else []
    for name, spellings in _FAMILIES:
        if base in spellings:
            if name == "decimal" and args:
                return f"decimal({','.join(args[:2])})"
            return name
    return base


def same_type(declared: str, actual: str) -> bool:
    left, right = family(declared), family(actual)
    if left == right:
        return True
    # `decimal` without precision matches any decimal; text lengths are not a change of type.
    return left == "decimal" and right.startswith("decimal")
