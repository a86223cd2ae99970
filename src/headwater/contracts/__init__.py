"""Contracts: what a table promises (dbt model contracts, ODCS v3 files, GX suites), checked against the
actual schema and data, classified breaking / non-breaking, with blast radius and upstream cause.

Public API (stable for other packages):
    headwater.contracts.types.normalize_type(raw, dialect) -> NormalizedType
    headwater.contracts.types.compare_types(expected, actual, dialect) -> TypeComparison
        (.change: TypeChange SAME | WIDENED | NARROWED | INCOMPATIBLE | UNKNOWN, .reason, .is_breaking)
    headwater.contracts.types.types_match(expected, actual, dialect, allow_widening=True) -> bool
    headwater.contracts.types.normalize_logical_type(odcs_logical_type) -> NormalizedType
"""
