"""Column types of contracts: re-exported from `headwater.semantics.types`, the one implementation that
contracts, the GX schema expectation and the tracer share.

>>> compare_types("integer", "BIGINT", "duckdb").change
<TypeChange.WIDENED: 'widened'>
"""

from __future__ import annotations

from headwater.semantics.types import (
    NormalizedType,
    TypeChange,
    TypeComparison,
    TypeFamily,
    compare_types,
    normalize_logical_type,
    normalize_type,
    same_type,
    types_match,
)

__all__ = [
    "NormalizedType",
    "TypeChange",
    "TypeComparison",
    "TypeFamily",
    "compare_types",
    "normalize_logical_type",
    "normalize_type",
    "same_type",
    "types_match",
]
