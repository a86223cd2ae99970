"""GX expectation configurations (type + kwargs, as plain JSON) -> Checks. No great_expectations import.

Core `expect_*` types and headwater's own expectations (snake_case names) are mapped; any other type
becomes `Untraceable(type)` so the report names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from headwater.errors import ConfigError, suggest
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


def _duration_seconds(kw: Kwargs) -> float:
    for key, factor in (("max_age_seconds", 1), ("max_lag_seconds", 1), ("max_age_minutes", 60)):
        if kw.get(key) is not None:
            return float(kw[key]) * factor
    for key, factor in (("max_age_hours", 3600), ("max_lag_hours", 3600), ("max_age_days", 86400)):
        if kw.get(key) is not None:
            return float(kw[key]) * factor
    lag = kw.get("max_lag") or kw.get("max_age")
    if isinstance(lag, int | float):
        return float(lag)
    if isinstance(lag, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", lag)
        if match:
            return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return 86400.0


def _as_of(kw: Kwargs) -> datetime | None:
    raw = kw.get("reference_time") or kw.get("as_of") or kw.get("now")
    if raw in (None, "", "now"):
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).replace(tzinfo=None)


def _newest(kw: Kwargs) -> Check | None:
    """`max(column) >= <timestamp>` is a freshness check: say so, so a stale source is named `stale`."""
    low = kw.get("min_value")
    if not isinstance(low, str) or kw.get("max_value") is not None:
        return None
    try:
        reference = datetime.fromisoformat(low.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
    return ck.Freshness(_col(kw), 0.0, reference)


def _fresh(kw: Kwargs) -> Check:
    return ck.Freshness(_col(kw), _duration_seconds(kw), _as_of(kw))


def _drift(kw: Kwargs) -> Check:
    """Inline `baseline` (or KL `partition_object`), or the column's profile in `baseline_path` (the file
    `headwater baseline` writes: {"columns": {name: profile}})."""
    baseline = kw.get("baseline") or kw.get("partition_object") or {}
    if not baseline and kw.get("baseline_path"):
        import orjson

        try:
            data = orjson.loads(Path(str(kw["baseline_path"])).read_bytes())
        except (OSError, orjson.JSONDecodeError) as err:
            return ck.Untraceable("expect_column_distribution_to_match_baseline", _col(kw), f"baseline file unreadable: {err}")
        columns = data.get("columns", data) if isinstance(data, Mapping) else {}
        baseline = columns.get(kw.get("column")) or columns.get(_col(kw)) or {}
    threshold = float(kw.get("psi_threshold") or kw.get("threshold") or 0.2)
    minimum = int(kw.get("min_sample_size") or 0)
    if isinstance(baseline, Mapping):
        if "bins" in baseline:
            return ck.Drift(_col(kw), bins=tuple(baseline["bins"]), shares=tuple(baseline.get("weights", ())),
                         threshold=threshold, min_sample_size=minimum)
        if "values" in baseline:
            return ck.Drift(_col(kw), values=tuple(baseline["values"]), shares=tuple(baseline.get("weights", ())),
                         threshold=threshold, min_sample_size=minimum)
        if "shares" in baseline and isinstance(baseline["shares"], Mapping):
            shares = baseline["shares"]
            return ck.Drift(_col(kw), values=tuple(shares), shares=tuple(float(v) for v in shares.values()),
                         threshold=threshold, min_sample_size=minimum)
    return ck.Untraceable(
        "expect_column_distribution_to_match_baseline",
        _col(kw),
        "no baseline profile for the column (give `baseline` or `baseline_path` with values/bins and weights)",
    )


def _schema_contract(kw: Kwargs) -> Check:
    """Inline `columns`, a dbt model contract (`dbt_manifest` + `dbt_model`) or an ODCS file (`odcs_path`)."""
    items: Any = kw.get("contract") or kw.get("columns") or ()
    exact_default = False
    if not items and kw.get("dbt_manifest") and kw.get("dbt_model"):
        items, exact_default = _dbt_contract_columns(str(kw["dbt_manifest"]), str(kw["dbt_model"])), True
    elif not items and kw.get("odcs_path"):
        items = _odcs_columns(str(kw["odcs_path"]), kw.get("odcs_schema"))
    if isinstance(items, Mapping):
        items = items.get("columns", items)
    if isinstance(items, Mapping):
        items = [{"name": k, **(v if isinstance(v, Mapping) else {"data_type": v})} for k, v in items.items()]
    names: list[str] = []
    types: list[tuple[str, str]] = []
    for item in items or ():
        if isinstance(item, str):
            names.append(item.lower())
        elif isinstance(item, Mapping) and item.get("name"):
            names.append(str(item["name"]).lower())
            dtype = item.get("data_type") or item.get("type") or item.get("physicalType")
            if dtype:
                types.append((str(item["name"]).lower(), str(dtype)))
    if not names:
        return ck.Untraceable("expect_table_schema_to_match_contract", "", "its contract could not be read")
    allow_extra = kw.get("allow_extra")
    exact = (allow_extra is False) if allow_extra is not None else exact_default
    return ck.Schema(tuple(names), tuple(types), exact=exact)


def _dbt_contract_columns(manifest_path: str, model: str) -> list[dict[str, Any]]:
    import orjson

    try:
        nodes = orjson.loads(Path(manifest_path).read_bytes()).get("nodes", {})
    except (OSError, orjson.JSONDecodeError):
        return []
    for node in nodes.values():
        if node.get("resource_type") == "model" and model in (node.get("name"), node.get("unique_id")):
            return [{"name": c.get("name", k), "data_type": c.get("data_type")} for k, c in (node.get("columns") or {}).items()]
    return []


def _odcs_columns(path: str, schema_name: Any) -> list[dict[str, Any]]:
    import yaml

    try:
        document = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    objects = document.get("schema") or []
    chosen = next((o for o in objects if not schema_name or o.get("name") == schema_name), None)
    if not chosen:
        return []
    return [{"name": p.get("name"), "data_type": p.get("physicalType") or p.get("logicalType")} for p in chosen.get("properties") or ()]


def _columns_set(kw: Kwargs) -> Check:
    cols = tuple(str(c).lower() for c in (kw.get("column_set") or kw.get("column_list") or ()))
    exact = bool(kw.get("exact_match", True)) if "column_set" in kw else True
    return ck.Schema(cols, exact=exact)


def _referential(kw: Kwargs) -> Check:
    target = kw.get("to_table") or kw.get("table") or kw.get("reference_table") or kw.get("other_table") or ""
    to_column = kw.get("to_column") or kw.get("reference_column") or kw.get("other_column") or kw.get("field")
    return ck.Referential(_col(kw), str(target), str(to_column or _col(kw)).lower())


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
    "expect_column_kl_divergence_to_be_less_than": _drift,
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
    except (KeyError, TypeError, ValueError) as err:
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
        return ck.Between(col, _literal(args.get("min", args.get("min_value"))), _literal(args.get("max", args.get("max_value"))), stat=stat)
    if name == "regex":
        return ck.Regex(col, args.get("pattern", args.get("regex", "")))
    if name == "row_count":
        return ck.RowCount(_int(args.get("min")), _int(args.get("max")))
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
