"""The checks headwater can re-run upstream, as a tagged union of frozen dataclasses.

A Check names columns of one relation; `rename` moves it to another relation along a lineage edge.
How each check becomes SQL lives in `headwater.trace.measures`; how GX expectations (and CLI questions)
become checks lives in `headwater.trace.gx_map`; what a check's numbers mean (its verdict) lives in
`headwater.semantics`, shared with the GX expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class NotNull:
    column: str
    mostly: float = 1.0
    name: ClassVar[str] = "not_null"


@dataclass(frozen=True)
class Unique:
    """Unique values of one column, or of a combination of columns (compound unique)."""

    columns: tuple[str, ...]
    name: ClassVar[str] = "unique"

    @property
    def column(self) -> str:
        return self.columns[0]


@dataclass(frozen=True)
class InSet:
    """Values in (or, with `negate`, not in) a set: accepted_values / in_set / not_in_set."""

    column: str
    values: tuple[Any, ...]
    negate: bool = False
    mostly: float = 1.0
    name: ClassVar[str] = "in_set"


@dataclass(frozen=True)
class DistinctContains:
    """Every value of `values` occurs in the column (and, with `exact`, no other value does)."""

    column: str
    values: tuple[Any, ...]
    exact: bool = False
    name: ClassVar[str] = "distinct_values"


@dataclass(frozen=True)
class Between:
    """Row values (`stat="value"`) or an aggregate of the column (`min`, `max`, `mean`, `sum`) in a range."""

    column: str
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    strict_max: bool = False
    stat: str = "value"
    mostly: float = 1.0
    name: ClassVar[str] = "between"


@dataclass(frozen=True)
class Regex:
    column: str
    pattern: str
    negate: bool = False
    mostly: float = 1.0
    name: ClassVar[str] = "regex"


@dataclass(frozen=True)
class RowCount:
    min_value: int | None = None
    max_value: int | None = None
    column: str = ""
    name: ClassVar[str] = "row_count"


@dataclass(frozen=True)
class Schema:
    """Columns that must exist (`exact`: and no others) and expected types: (column, physical type) pairs
    written in `dialect` (None: the warehouse's), and (column, ODCS logical type) pairs. A widened type
    passes unless `allow_widening` is False; `exact_order`: the columns keep the listed order."""

    columns: tuple[str, ...] = ()
    types: tuple[tuple[str, str], ...] = ()
    exact: bool = False
    column: str = ""
    logical_types: tuple[tuple[str, str], ...] = ()
    allow_widening: bool = True
    exact_order: bool = False
    dialect: str | None = None
    name: ClassVar[str] = "schema"


@dataclass(frozen=True)
class Freshness:
    """max(column) is at least `as_of - max_age_seconds` (as_of None: now). Naive datetimes are UTC."""

    column: str
    max_age_seconds: float
    as_of: datetime | None = None
    name: ClassVar[str] = "freshness"


@dataclass(frozen=True)
class Drift:
    """The column's distribution matches a baseline: categorical shares (value, share), or numeric
    bin edges with their shares (`bins` has one more element than `shares`)."""

    column: str
    values: tuple[Any, ...] = ()
    shares: tuple[float, ...] = ()
    bins: tuple[float, ...] = ()
    threshold: float | None = 0.2  # population stability index (None: not tested)
    min_sample_size: int = 0  # fewer non-null rows: not judged
    ks_pvalue: float | None = None  # numeric: fail below this two-sample KS p-value
    chi2_pvalue: float | None = None  # categorical: fail below this chi-square p-value
    count: int = 0  # rows behind the baseline shares (the KS / chi-square sample size)
    name: ClassVar[str] = "drift"


@dataclass(frozen=True)
class Referential:
    """Every non-null value of `column` exists in `to_relation.to_column` (no orphans; with `mostly`, at
    least that share of the non-null rows)."""

    column: str
    to_relation: str
    to_column: str
    mostly: float = 1.0
    name: ClassVar[str] = "referential"


@dataclass(frozen=True)
class McvShare:
    """The most common value's share of rows stays below `max_share`."""

    column: str
    max_share: float
    name: ClassVar[str] = "mcv_share"


@dataclass(frozen=True)
class Untraceable:
    """An expectation headwater cannot re-run upstream; reported by name, never dropped."""

    expectation_type: str
    column: str = ""
    reason: str = ""
    name: ClassVar[str] = "untraceable"


Check = (
    NotNull
    | Unique
    | InSet
    | DistinctContains
    | Between
    | Regex
    | RowCount
    | Schema
    | Freshness
    | Drift
    | Referential
    | McvShare
    | Untraceable
)

CHECK_NAMES: tuple[str, ...] = (
    "not_null",
    "unique",
    "in_set",
    "accepted_values",
    "distinct_values",
    "between",
    "min",
    "max",
    "regex",
    "row_count",
    "schema",
    "freshness",
    "drift",
    "referential",
    "mcv_share",
)


def columns_of(check: Check) -> tuple[str, ...]:
    """The columns of its relation a check reads."""
    if isinstance(check, Unique):
        return check.columns
    if isinstance(check, Schema):
        typed = tuple(dict.fromkeys(c for c, _ in (*check.types, *check.logical_types) if c not in check.columns))
        return check.columns + typed
    return (check.column,) if check.column else ()


def rename(check: Check, mapping: dict[str, str]) -> Check:
    """The same check on another relation whose columns are named by `mapping` (old -> new)."""
    if isinstance(check, Unique):
        return replace(check, columns=tuple(mapping.get(c, c) for c in check.columns))
    if isinstance(check, Schema):
        return replace(
            check,
            columns=tuple(mapping.get(c, c) for c in check.columns),
            types=tuple((mapping.get(c, c), t) for c, t in check.types),
            logical_types=tuple((mapping.get(c, c), t) for c, t in check.logical_types),
        )
    if check.column:
        return replace(check, column=mapping.get(check.column, check.column))
    return check


def describe(check: Check) -> str:
    """A short human phrase: `not_null`, `between [0, 5000]`, `in_set {'card', 'cash'}`."""
    if isinstance(check, Unique):
        return "unique" if len(check.columns) == 1 else f"unique ({', '.join(check.columns)})"
    if isinstance(check, InSet):
        shown = ", ".join(repr(v) for v in check.values[:5]) + (", …" if len(check.values) > 5 else "")
        return f"{'not_in_set' if check.negate else 'in_set'} {{{shown}}}"
    if isinstance(check, DistinctContains):
        return f"distinct values {'equal' if check.exact else 'contain'} {{{', '.join(map(repr, check.values))}}}"
    if isinstance(check, Between):
        what = "" if check.stat == "value" else f"{check.stat} "
        if check.max_value is None:
            return f"{what}>{'' if check.strict_min else '='} {check.min_value}"
        if check.min_value is None:
            return f"{what}<{'' if check.strict_max else '='} {check.max_value}"
        return f"{what}between [{check.min_value}, {check.max_value}]"
    if isinstance(check, Regex):
        return f"{'not ' if check.negate else ''}regex {check.pattern!r}"
    if isinstance(check, RowCount):
        return f"row_count between [{check.min_value}, {check.max_value}]"
    if isinstance(check, Freshness):
        if check.as_of is not None and not check.max_age_seconds:
            return f"freshness (max {check.column} >= {check.as_of:%Y-%m-%d %H:%M})"
        return f"freshness (max age {check.max_age_seconds / 3600:g} h)"
    if isinstance(check, Referential):
        return f"referential → {check.to_relation}.{check.to_column}"
    if isinstance(check, McvShare):
        return f"most common value share < {check.max_share}"
    if isinstance(check, Untraceable):
        return f"untraceable ({check.expectation_type})"
    return check.name


def value_fails(check: Check, value: Any) -> bool | None:
    """Whether one row holding `value` fails `check`, judged in Python the way `failing_predicate` judges it
    in SQL (NULL fails only not_null; numbers given as text are read as numbers). None for a check that
    has no row-level meaning here (unique, freshness, drift…).

    >>> value_fails(Between("x", 0, 10), "12"), value_fails(InSet("m", ("card",)), "crypto")
    (True, True)
    >>> value_fails(NotNull("x"), 0), value_fails(Unique(("x",)), 1)
    (False, None)
    """
    if isinstance(check, NotNull):
        return value is None
    if not isinstance(check, InSet | Between) or (isinstance(check, Between) and check.stat != "value"):
        return None
    if value is None:
        return False
    if isinstance(check, InSet):
        if not check.values:
            return None
        member = value in check.values or str(value) in {str(v) for v in check.values}
        return member == check.negate
    number, low, high = _as_number(value), _as_number(check.min_value), _as_number(check.max_value)
    if (
        number is None
        or (check.min_value is not None and low is None)
        or (check.max_value is not None and high is None)
    ):
        return None
    below = low is not None and (number <= low if check.strict_min else number < low)
    above = high is not None and (number >= high if check.strict_max else number > high)
    return below or above


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
