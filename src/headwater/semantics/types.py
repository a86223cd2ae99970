"""Dialect-independent column types: normalise a warehouse / contract type string, then compare two.

The one implementation of type families and widening: contract checks (`headwater.contracts`), the GX
schema expectation and the tracer's schema re-run all compare types here.

A contract says `decimal(12,2)`, DuckDB's catalog says `DECIMAL(12,2)`, PostgreSQL says `numeric(12,2)`,
BigQuery says `NUMERIC`: all four must compare equal, and `integer` → `bigint` must read as a widening
(non-breaking) while `bigint` → `integer` or `decimal` → `varchar` is breaking. sqlglot parses each
dialect's spelling into one `DataType`; this module maps that onto a small family + parameters model.

>>> normalize_type("character varying(20)", "postgres").length
20
>>> str(normalize_type("INT64", "bigquery"))
'integer(64)'
>>> compare_types("integer", "BIGINT", "duckdb").change
<TypeChange.WIDENED: 'widened'>
>>> compare_types("decimal(12,2)", "VARCHAR", "duckdb").is_breaking
True
>>> same_type("double", "REAL"), same_type("real", "DOUBLE"), same_type("real", "DOUBLE", allow_widening=False)
(False, True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.expressions.datatypes import DType

T = DType


class TypeFamily(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    NUMBER = "number"  # any numeric: only from ODCS logicalType "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"  # without time zone
    TIMESTAMP_TZ = "timestamp_tz"  # with time zone (or instant semantics, as BigQuery TIMESTAMP)
    INTERVAL = "interval"
    BINARY = "binary"
    JSON = "json"
    UUID = "uuid"
    ARRAY = "array"
    STRUCT = "struct"
    MAP = "map"
    UNKNOWN = "unknown"


_NUMERIC = frozenset({TypeFamily.INTEGER, TypeFamily.DECIMAL, TypeFamily.FLOAT, TypeFamily.NUMBER})

_INT_BITS: dict[DType, int] = {
    T.BIT: 1, T.TINYINT: 8, T.UTINYINT: 8, T.SMALLINT: 16, T.USMALLINT: 16, T.MEDIUMINT: 24,
    T.UMEDIUMINT: 24, T.INT: 32, T.UINT: 32, T.BIGINT: 64, T.UBIGINT: 64, T.INT128: 128, T.UINT128: 128,
    T.INT256: 256, T.UINT256: 256,
}  # fmt: skip
# Decimal digits an integer of that many bits needs, to decide whether decimal(p, 0) holds it.
_INT_DIGITS = {1: 1, 8: 3, 16: 5, 24: 8, 32: 10, 64: 19, 128: 39, 256: 77}
_FLOAT_BITS: dict[DType, int] = {T.FLOAT: 32, T.DOUBLE: 64, T.UDOUBLE: 64}
_DECIMALS = frozenset({T.DECIMAL, T.DECIMAL32, T.DECIMAL64, T.DECIMAL128, T.DECIMAL256, T.UDECIMAL,
                       T.BIGDECIMAL, T.DECFLOAT, T.MONEY, T.SMALLMONEY})  # fmt: skip
_FAMILY_BY_TYPE: dict[DType, TypeFamily] = {
    T.BOOLEAN: TypeFamily.BOOLEAN, T.DATE: TypeFamily.DATE, T.DATE32: TypeFamily.DATE,
    T.TIME: TypeFamily.TIME, T.TIMETZ: TypeFamily.TIME, T.INTERVAL: TypeFamily.INTERVAL,
    T.TIMESTAMPTZ: TypeFamily.TIMESTAMP_TZ, T.TIMESTAMPLTZ: TypeFamily.TIMESTAMP_TZ,
    T.JSON: TypeFamily.JSON, T.JSONB: TypeFamily.JSON, T.VARIANT: TypeFamily.JSON,
    T.UUID: TypeFamily.UUID, T.ARRAY: TypeFamily.ARRAY, T.LIST: TypeFamily.ARRAY,
    T.STRUCT: TypeFamily.STRUCT, T.OBJECT: TypeFamily.STRUCT, T.MAP: TypeFamily.MAP,
    T.BINARY: TypeFamily.BINARY, T.VARBINARY: TypeFamily.BINARY, T.BLOB: TypeFamily.BINARY,
    T.LONGBLOB: TypeFamily.BINARY, T.BPCHAR: TypeFamily.TEXT, T.ENUM: TypeFamily.TEXT,
}  # fmt: skip
_TIMESTAMPS = frozenset({T.TIMESTAMP, T.TIMESTAMPNTZ, T.DATETIME, T.DATETIME2, T.DATETIME64, T.SMALLDATETIME,
                         T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS})  # fmt: skip
# ODCS v3 logicalType values (coarse: parameters are unconstrained).
_LOGICAL: dict[str, TypeFamily] = {
    "string": TypeFamily.TEXT, "integer": TypeFamily.INTEGER, "number": TypeFamily.NUMBER,
    "boolean": TypeFamily.BOOLEAN, "date": TypeFamily.DATE, "timestamp": TypeFamily.TIMESTAMP,
    "time": TypeFamily.TIME, "object": TypeFamily.STRUCT, "array": TypeFamily.ARRAY,
}  # fmt: skip


@dataclass(frozen=True)
class NormalizedType:
    """One column type, independent of dialect. A parameter that is None is unconstrained / unbounded.

    `bits` is set for INTEGER and FLOAT, `precision`/`scale` for DECIMAL, `length` for TEXT and BINARY.
    """

    family: TypeFamily
    raw: str = ""
    bits: int | None = None
    precision: int | None = None
    scale: int | None = None
    length: int | None = None

    def __str__(self) -> str:
        if self.family is TypeFamily.DECIMAL and self.precision is not None:
            return f"decimal({self.precision},{self.scale or 0})"
        if self.bits is not None and self.family in (TypeFamily.INTEGER, TypeFamily.FLOAT):
            return f"{self.family}({self.bits})"
        if self.length is not None:
            return f"{self.family}({self.length})"
        if self.family is TypeFamily.UNKNOWN:
            return self.raw.strip().lower() or "unknown"
        return str(self.family)


class TypeChange(StrEnum):
    SAME = "same"
    WIDENED = "widened"  # every old value still fits: non-breaking
    NARROWED = "narrowed"  # some old values no longer fit (or lose precision): breaking
    INCOMPATIBLE = "incompatible"  # a different kind of value: breaking
    UNKNOWN = "unknown"  # a type we cannot interpret differs: cannot be decided


@dataclass(frozen=True)
class TypeComparison:
    change: TypeChange
    reason: str

    @property
    def is_breaking(self) -> bool:
        return self.change in (TypeChange.NARROWED, TypeChange.INCOMPATIBLE)


def _int_param(node: exp.Expression | None) -> int | None:
    if node is None:
        return None
    inner = node.this if isinstance(node, exp.DataTypeParam) else node
    try:
        return int(inner.name if isinstance(inner, exp.Expression) else str(inner))
    except (TypeError, ValueError):
        return None


def _params(dt: exp.DataType) -> list[int | None]:
    return [_int_param(e) for e in dt.expressions]


def normalize_type(raw: str, dialect: str | None = None) -> NormalizedType:
    """Normalise one type string as written in `dialect` (sqlglot dialect name; None = generic SQL).

    Never raises: a type sqlglot cannot parse becomes family UNKNOWN, compared by its lower-cased text.
    """
    text = (raw or "").strip()
    if not text:
        return NormalizedType(TypeFamily.UNKNOWN, raw)
    try:
        dt = exp.DataType.build(text, dialect=dialect or None)
    except (ParseError, ValueError, TypeError):
        return NormalizedType(TypeFamily.UNKNOWN, raw)
    return _from_datatype(dt, raw)


def _from_datatype(dt: exp.DataType, raw: str) -> NormalizedType:
    kind = dt.this
    params = _params(dt)
    if kind in _INT_BITS:
        return NormalizedType(TypeFamily.INTEGER, raw, bits=_INT_BITS[kind])
    if kind in _FLOAT_BITS:
        bits = _FLOAT_BITS[kind]
        # FLOAT(p): p <= 24 is single precision, more is double (SQL standard / PostgreSQL).
        if kind is T.FLOAT and params and params[0] is not None:
            bits = 32 if params[0] <= 24 else 64
        return NormalizedType(TypeFamily.FLOAT, raw, bits=bits)
    if kind in _DECIMALS:
        if kind is T.BIGDECIMAL and not params:
            return NormalizedType(TypeFamily.DECIMAL, raw, precision=76, scale=38)
        if params and params[0] is not None:
            scale = params[1] if len(params) > 1 and params[1] is not None else 0
            return NormalizedType(TypeFamily.DECIMAL, raw, precision=params[0], scale=scale)
        # A bare DECIMAL/NUMERIC is read as "any decimal": on the contract side that is what authors
        # mean, and warehouse catalogs spell out the parameters whenever they are fixed.
        return NormalizedType(TypeFamily.DECIMAL, raw)
    if kind in exp.DataType.TEXT_TYPES or kind is T.BPCHAR:
        length = params[0] if params else None
        # CHAR without a length is CHAR(1); BPCHAR without one is unbounded (PostgreSQL).
        if length is None and kind in (T.CHAR, T.NCHAR):
            length = 1
        return NormalizedType(TypeFamily.TEXT, raw, length=length)
    if kind in _TIMESTAMPS:
        # BigQuery DATETIME and Snowflake TIMESTAMP_NTZ are wall-clock times; sqlglot already maps
        # BigQuery TIMESTAMP (an instant) to TIMESTAMPTZ.
        return NormalizedType(TypeFamily.TIMESTAMP, raw)
    family = _FAMILY_BY_TYPE.get(kind)
    if family is TypeFamily.BINARY:
        return NormalizedType(family, raw, length=params[0] if params else None)
    if family is not None:
        return NormalizedType(family, raw)
    return NormalizedType(TypeFamily.UNKNOWN, raw)


def normalize_logical_type(logical: str) -> NormalizedType:
    """Normalise an ODCS v3 `logicalType` (string, integer, number, ...): a family with no parameters."""
    family = _LOGICAL.get((logical or "").strip().lower(), TypeFamily.UNKNOWN)
    return NormalizedType(family, logical)


def _as_type(value: NormalizedType | str, dialect: str | None) -> NormalizedType:
    return value if isinstance(value, NormalizedType) else normalize_type(value, dialect)


def compare_types(
    expected: NormalizedType | str, actual: NormalizedType | str, dialect: str | None = None
) -> TypeComparison:
    """How `actual` relates to `expected` (the contract): the same, widened, narrowed, incompatible.

    Strings are normalised with `dialect` first. An unconstrained parameter in `expected` (e.g. a bare
    `varchar` or ODCS logicalType `integer`) accepts any value of that parameter in `actual`.
    """
    exp_t, act_t = _as_type(expected, dialect), _as_type(actual, dialect)
    where = f"{exp_t} → {act_t}"
    if TypeFamily.UNKNOWN in (exp_t.family, act_t.family):
        if exp_t.family is act_t.family and str(exp_t) == str(act_t):
            return TypeComparison(TypeChange.SAME, f"type {exp_t} unchanged")
        return TypeComparison(TypeChange.UNKNOWN, f"cannot compare types {where}")
    if exp_t.family is TypeFamily.NUMBER and act_t.family in _NUMERIC:
        return TypeComparison(TypeChange.SAME, f"{act_t} is a number")
    if exp_t.family is act_t.family:
        return _same_family(exp_t, act_t, where)
    return _cross_family(exp_t, act_t, where)


def _bounded(old: int | None, new: int | None) -> TypeChange:
    """Compare one size parameter where larger holds more; None in `old` is unconstrained."""
    if old is None or old == new:
        return TypeChange.SAME
    if new is None or new > old:
        return TypeChange.WIDENED
    return TypeChange.NARROWED


def _same_family(e: NormalizedType, a: NormalizedType, where: str) -> TypeComparison:
    if e.family in (TypeFamily.INTEGER, TypeFamily.FLOAT):
        change = _bounded(e.bits, a.bits)
    elif e.family is TypeFamily.DECIMAL:
        if e.precision is None:
            change = TypeChange.SAME
        elif a.precision is None:
            change = TypeChange.WIDENED
        else:
            integral = _bounded(e.precision - (e.scale or 0), a.precision - (a.scale or 0))
            fraction = _bounded(e.scale or 0, a.scale or 0)
            if TypeChange.NARROWED in (integral, fraction):
                change = TypeChange.NARROWED
            elif TypeChange.WIDENED in (integral, fraction):
                change = TypeChange.WIDENED
            else:
                change = TypeChange.SAME
    elif e.family in (TypeFamily.TEXT, TypeFamily.BINARY):
        change = _bounded(e.length, a.length)
    elif e.family in (TypeFamily.ARRAY, TypeFamily.STRUCT, TypeFamily.MAP):
        # Element types are compared textually: any difference is not decidable here.
        same = e.raw.replace(" ", "").lower() == a.raw.replace(" ", "").lower()
        change = TypeChange.SAME if same or not e.raw or not a.raw else TypeChange.UNKNOWN
    else:
        change = TypeChange.SAME
    reasons = {
        TypeChange.SAME: f"type {a} matches {e}",
        TypeChange.WIDENED: f"type widened {where}: every old value still fits",
        TypeChange.NARROWED: f"type narrowed {where}: some values no longer fit",
        TypeChange.UNKNOWN: f"cannot compare types {where}",
    }
    return TypeComparison(change, reasons[change])


def _cross_family(e: NormalizedType, a: NormalizedType, where: str) -> TypeComparison:
    if e.family is TypeFamily.INTEGER and a.family is TypeFamily.DECIMAL:
        digits = _INT_DIGITS.get(e.bits or 32, 19)
        if a.precision is None or a.precision - (a.scale or 0) >= digits:
            return TypeComparison(TypeChange.WIDENED, f"type widened {where}: every integer still fits")
        return TypeComparison(TypeChange.NARROWED, f"type narrowed {where}: large integers no longer fit")
    if e.family is TypeFamily.DECIMAL and a.family is TypeFamily.INTEGER:
        if e.scale == 0 and e.precision is not None and _INT_DIGITS.get(a.bits or 64, 19) > e.precision:
            return TypeComparison(TypeChange.WIDENED, f"type widened {where}: every value still fits")
        return TypeComparison(TypeChange.NARROWED, f"type narrowed {where}: fractions or digits are lost")
    if e.family is TypeFamily.INTEGER and a.family is TypeFamily.FLOAT:
        # A double holds every integer up to 2**53 exactly; a 64-bit integer does not fit.
        exact = (e.bits or 64) <= (24 if a.bits == 32 else 53)
        change = TypeChange.WIDENED if exact else TypeChange.NARROWED
        return TypeComparison(change, f"type {change} {where}: integers become floating point")
    if e.family is TypeFamily.FLOAT and a.family is TypeFamily.DECIMAL and a.precision is None:
        # An unbounded decimal (PostgreSQL's bare `numeric`, what its decimal arithmetic yields where DuckDB's
        # gives a double) holds every finite float exactly: nothing is lost.
        return TypeComparison(TypeChange.WIDENED, f"type widened {where}: every float is an exact decimal")
    if e.family in _NUMERIC and a.family in _NUMERIC:
        return TypeComparison(TypeChange.NARROWED, f"type narrowed {where}: exact values lose precision")
    if e.family is TypeFamily.DATE and a.family in (TypeFamily.TIMESTAMP, TypeFamily.TIMESTAMP_TZ):
        return TypeComparison(TypeChange.WIDENED, f"type widened {where}: every date is a timestamp")
    if e.family in (TypeFamily.TIMESTAMP, TypeFamily.TIMESTAMP_TZ) and a.family is TypeFamily.DATE:
        return TypeComparison(TypeChange.NARROWED, f"type narrowed {where}: the time of day is lost")
    if {e.family, a.family} == {TypeFamily.TIMESTAMP, TypeFamily.TIMESTAMP_TZ}:
        return TypeComparison(TypeChange.INCOMPATIBLE, f"type changed {where}: time zone semantics differ")
    if a.family is TypeFamily.TEXT:
        return TypeComparison(TypeChange.INCOMPATIBLE, f"type changed {where}: values are now text")
    return TypeComparison(TypeChange.INCOMPATIBLE, f"type changed {where}: incompatible kinds of value")


def types_match(
    expected: NormalizedType | str,
    actual: NormalizedType | str,
    dialect: str | None = None,
    *,
    allow_widening: bool = True,
) -> bool:
    """True when `actual` satisfies `expected`: the same type, or (by default) a widening of it."""
    change = compare_types(expected, actual, dialect).change
    return change is TypeChange.SAME or (allow_widening and change is TypeChange.WIDENED)


def same_type(
    declared: NormalizedType | str,
    actual: NormalizedType | str,
    dialect: str | None = None,
    *,
    allow_widening: bool = True,
) -> bool:
    """True when a column declared `declared` may hold `actual`: the same type (spelling, dialect and an
    unconstrained parameter aside) or, unless `allow_widening=False`, a widening of it.

    `double` declared and `real` found is a narrowing (64 to 32 bits): not the same type.
    """
    return types_match(declared, actual, dialect, allow_widening=allow_widening)
