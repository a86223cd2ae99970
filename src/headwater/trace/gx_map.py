"""GX expectation configurations (type + kwargs, as plain JSON) -> Checks. No great_expectations import.

Core `expect_*` types and headwater's own expectations (snake_case names) are mapped; any other type
becomes `Untraceable(type)` so the report names it. Arguments are read by `headwater.semantics` (lags,
reference times, baselines, schema contracts): the same readers as the GX expectations', so a check
re-run here means what it meant in GX. CLI questions (`--check NAME --arg k=v`) become checks here too
(`check_from_question`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from headwater.errors import ConfigError, HeadwaterError, suggest
from headwater.semantics import clock, drift, durations, schema_contract
from headwater.trace import checks as ck
from headwater.trace.checks import CHECK_NAMES, Check

Kwargs = Mapping[str, Any]


def _col(kw: Kwargs) -> str:
    return str(kw.get("column", "")).lower()


def _mostly(kw: Kwargs) -> float:
    value = kw.get("mostly")
    return float(value) if value is not None else 1.0


def _values(kw: Kwargs, key: str = "value_set") -> tuple[Any, ...]:
    raw = kw.get(key) or ()
    return tuple(raw)


def _between(stat: str) -> Callable[[Kwargs], Check]:
    def build(kw: Kwargs) -> Check:
        return ck.Between(
            _col(kw),
            kw.get("min_value"),
            kw.get("max_value"),
            bool(kw.get("strict_min", False)),
            bool(kw.get("strict_max", False)),
            stat=stat,
            mostly=_mostly(kw),
        )

    return build


def _newest(kw: Kwargs) -> Check | None:
    """`max(column) >= <timestamp>` is a freshness check: say so, so a stale source is named `stale`."""
    low = kw.get("min_value")
    if not isinstance(low, str) or kw.get("max_value") is not None:
        return None
    try:
        reference = clock.to_utc_naive(low)
    except ValueError:
        return None
    return ck.Freshness(_col(kw), 0.0, reference)


def _fresh(kw: Kwargs) -> Check:
    reference = clock.reference_time(kw)
    return ck.Freshness(_col(kw), durations.lag_seconds(kw), reference.replace(tzinfo=None) if reference else None)


def _drift(kw: Kwargs) -> Check:
    """Inline `baseline` (or KL `partition_object`), or the column's profile in `baseline_path` (the file
    `headwater baseline` writes: {"columns": {name: profile}}), read as the GX expectation reads them."""
    try:
        profile = drift.profile_from_kwargs(kw)
    except OSError as err:
        return ck.Untraceable(DRIFT, _col(kw), f"baseline file unreadable: {err}")
    except ValueError as err:
        return ck.Untraceable(DRIFT, _col(kw), f"no baseline profile for the column ({err})")
    t = drift.thresholds_from_kwargs(kw)
    if isinstance(profile, drift.NumericProfile):
        return ck.Drift(_col(kw), bins=profile.bins, shares=profile.weights, threshold=t.psi, count=profile.count,
                        min_sample_size=t.min_sample_size, ks_pvalue=t.ks_pvalue)  # fmt: skip
    return ck.Drift(_col(kw), values=profile.values, shares=profile.weights, threshold=t.psi, count=profile.count,
                    min_sample_size=t.min_sample_size, chi2_pvalue=t.chi2_pvalue)  # fmt: skip


def _kl_divergence(kw: Kwargs) -> Check:
    """GX's KL-divergence expectation, approximated by PSI on its partition (no KS / chi-square)."""
    threshold = float(kw.get("threshold") or 0.2)
    return _drift({**kw, "psi_threshold": threshold, "ks_pvalue": None, "chi2_pvalue": None, "min_sample_size": 0})


DRIFT = "expect_column_distribution_to_match_baseline"


def _schema_contract(kw: Kwargs) -> Check:
    """The contract `headwater.semantics.schema_contract.resolve_contract` reads (inline `columns`, a dbt
    model contract or an ODCS file, paths relative to the working directory), as a Schema check."""
    try:
        contract = schema_contract.resolve_contract(str(kw.get("batch_id") or "batch"), kw)
    except HeadwaterError as err:
        return ck.Untraceable(schema_contract.SCHEMA_EXPECTATION, "", f"its contract could not be read: {err}")
    names = tuple(c.key for c in contract.columns)
    return ck.Schema(
        names,
        tuple((c.key, c.data_type) for c in contract.columns if c.data_type),
        exact=not contract.allow_extra_columns,
        logical_types=tuple((c.key, c.logical_type) for c in contract.columns if c.logical_type and not c.data_type),
        allow_widening=contract.allow_widening is not False,
        exact_order=schema_contract.exact_order(kw),
        dialect=contract.dialect,
    )


def _columns_set(kw: Kwargs) -> Check:
    cols = tuple(str(c).lower() for c in (kw.get("column_set") or kw.get("column_list") or ()))
    exact = bool(kw.get("exact_match", True)) if "column_set" in kw else True
    return ck.Schema(cols, exact=exact, exact_order="column_list" in kw)


def _referential(kw: Kwargs) -> Check:
    target = kw.get("to_table") or kw.get("table") or kw.get("reference_table") or kw.get("other_table") or ""
    to_column = kw.get("to_column") or kw.get("reference_column") or kw.get("other_column") or kw.get("field")
    return ck.Referential(_col(kw), str(target), str(to_column or _col(kw)).lower(), _mostly(kw))


MAPPERS: dict[str, Callable[[Kwargs], Check]] = {
    "expect_column_values_to_not_be_null": lambda kw: ck.NotNull(_col(kw), _mostly(kw)),
    "expect_column_values_to_be_unique": lambda kw: ck.Unique((_col(kw),)),
    "expect_compound_columns_to_be_unique": lambda kw: ck.Unique(tuple(c.lower() for c in kw["column_list"])),
    "expect_select_column_values_to_be_unique_within_record": lambda kw: ck.Untraceable(
        "expect_select_column_values_to_be_unique_within_record"
    ),
    "expect_column_values_to_be_in_set": lambda kw: ck.InSet(_col(kw), _values(kw), mostly=_mostly(kw)),
    "expect_column_values_to_not_be_in_set": lambda kw: ck.InSet(_col(kw), _values(kw), True, _mostly(kw)),
    "expect_column_distinct_values_to_be_in_set": lambda kw: ck.InSet(_col(kw), _values(kw)),
    "expect_column_distinct_values_to_contain_set": lambda kw: ck.DistinctContains(_col(kw), _values(kw)),
    "expect_column_distinct_values_to_equal_set": lambda kw: ck.DistinctContains(_col(kw), _values(kw), True),
    "expect_column_values_to_be_between": _between("value"),
    "expect_column_min_to_be_between": _between("min"),
    "expect_column_max_to_be_between": lambda kw: _newest(kw) or _between("max")(kw),
    "expect_column_mean_to_be_between": _between("mean"),
    "expect_column_sum_to_be_between": _between("sum"),
    "expect_column_values_to_match_regex": lambda kw: ck.Regex(_col(kw), str(kw["regex"]), False, _mostly(kw)),
    "expect_column_values_to_not_match_regex": lambda kw: ck.Regex(_col(kw), str(kw["regex"]), True, _mostly(kw)),
    "expect_table_row_count_to_be_between": lambda kw: ck.RowCount(kw.get("min_value"), kw.get("max_value")),
    "expect_table_row_count_to_equal": lambda kw: ck.RowCount(kw.get("value"), kw.get("value")),
    "expect_column_to_exist": lambda kw: ck.Schema((_col(kw),)),
    "expect_table_columns_to_match_set": _columns_set,
    "expect_table_columns_to_match_ordered_list": _columns_set,
    "expect_column_values_to_be_of_type": lambda kw: ck.Schema(types=((_col(kw), str(kw.get("type_", ""))),)),
    "expect_column_values_to_be_in_type_list": lambda kw: ck.Schema(
        types=((_col(kw), str((kw.get("type_list") or [""])[0])),)
    ),
    "expect_column_kl_divergence_to_be_less_than": _kl_divergence,
    # headwater's own expectations (headwater.gx)
    "expect_table_schema_to_match_contract": _schema_contract,
    "expect_column_distribution_to_match_baseline": _drift,
    "expect_table_to_be_fresh": _fresh,
    "expect_column_most_common_value_share_to_be_below": lambda kw: ck.McvShare(
        _col(kw), float(kw.get("max_share", kw.get("threshold", 0.5)))
    ),
    "expect_column_values_to_exist_in_table": _referential,
}


def check_from_expectation(expectation_type: str, kwargs: Kwargs) -> Check:
    """The Check for one expectation config; ck.Untraceable (with the reason) when it cannot be mapped."""
    kind = _snake(expectation_type)
    mapper = MAPPERS.get(kind)
    if mapper is None:
        return ck.Untraceable(kind, _col(kwargs), "headwater does not know how to re-run this expectation upstream")
    try:
        return mapper(kwargs)
    except (KeyError, TypeError, ValueError, HeadwaterError) as err:
        return ck.Untraceable(kind, _col(kwargs), f"its arguments could not be read ({err})")


def _snake(name: str) -> str:
    """`ExpectTableToBeFresh` -> `expect_table_to_be_fresh`; snake_case names pass unchanged."""
    if "_" in name or name.islower():
        return name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_from_question(check: str, column: str, args: Mapping[str, str]) -> Check:
    """`--check NAME --column COL --arg key=value`: the names of `CHECK_NAMES` or any expectation type."""
    name = check.lower()
    col = column.lower()
    if name.startswith("expect") or name[:1].isupper():
        kw: dict[str, Any] = {"column": col, **{k: _literal(v) for k, v in args.items()}}
        return check_from_expectation(name, kw)
    if name == "not_null":
        return ck.NotNull(col)
    if name == "unique":
        extra = tuple(c.strip().lower() for c in args.get("columns", "").split(",") if c.strip())
        return ck.Unique(extra or (col,))
    if name in ("in_set", "accepted_values"):
        return ck.InSet(col, _list(args.get("values", args.get("value_set", ""))))
    if name == "distinct_values":
        return ck.DistinctContains(col, _list(args.get("values", "")), args.get("exact", "") == "true")
    if name in ("between", "min", "max"):
        stat = "value" if name == "between" else name
        low, high = _literal(args.get("min", args.get("min_value"))), _literal(args.get("max", args.get("max_value")))
        return ck.Between(col, low, high, stat=stat)
    if name == "regex":
        return ck.Regex(col, args.get("pattern", args.get("regex", "")))
    if name == "row_count":
        # GX's names (`min_value` / `max_value`), as for every other check; `min` / `max` still read
        return ck.RowCount(_int(args.get("min_value", args.get("min"))), _int(args.get("max_value", args.get("max"))))
    if name == "schema":
        cols = _list(args.get("columns", col))
        types = ((col, args["type"]),) if "type" in args else ()
        return ck.Schema(tuple(str(c).lower() for c in cols) if "columns" in args or not types else (), types)
    if name == "freshness":
        return _fresh({"column": col, **args})
    if name == "drift":
        return _drift({"column": col, "baseline": _literal(args.get("baseline", "{}"))})
    if name == "referential":
        return ck.Referential(col, args.get("to", args.get("to_table", "")), args.get("field", col).lower())
    if name == "mcv_share":
        return ck.McvShare(col, float(args.get("max_share", "0.5")))
    raise ConfigError(f"unknown check {check!r}; use one of {', '.join(CHECK_NAMES)}." + suggest(name, CHECK_NAMES))


def _literal(raw: str | None) -> Any:
    if raw is None:
        return None
    import json

    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _list(raw: str) -> tuple[Any, ...]:
    parsed = _literal(raw)
    if isinstance(parsed, list):
        return tuple(parsed)
    return tuple(_literal(p.strip()) for p in str(raw).split(",") if p.strip())


def _int(raw: str | None) -> int | None:
    return int(raw) if raw else None
