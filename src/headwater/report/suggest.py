"""The check that would have caught a fault at its cause, as code: a GX 1.x expectation configuration, a dbt
test in a properties file, and an ODCS v3 quality rule; `write_suggestions` puts them in a folder
(`headwater trace --suggest DIR`).

The check is the one the trace re-ran at the cause (the last failing hop of the path), read back from the
trace's description of it (`not_null`, `unique`, `between [0, 5000]`, `>= 0`, `in_set {'a', 'b'}`,
`referential → source.p.shop.customers.customer_id`): the same words `headwater.trace.checks.describe` writes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from headwater.report.model import Prevention

if TYPE_CHECKING:
    from headwater.report.model import Hop, Report
    from headwater.trace.model import RootCause

_BETWEEN = re.compile(r"^between \[(?P<lo>[^,\]]+), (?P<hi>[^\]]+)\]$")
_BOUND = re.compile(r"^(?P<op>[<>]=?) (?P<value>\S+)$")
_IN_SET = re.compile(r"^in_set \{(?P<values>.*)\}$")
_REFERENTIAL = re.compile(r"^referential → (?P<node>\S+)\.(?P<column>[^.\s]+)$")


def _number(text: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _parse(check: str) -> tuple[str, dict[str, Any]] | None:
    """The trace's description of a check -> (name, GX-style kwargs); None when it cannot be read back."""
    check = check.strip()
    if check in ("not_null", "unique"):
        return check, {}
    if match := _BETWEEN.match(check):
        low, high = _number(match["lo"]), _number(match["hi"])
        return ("between", {"min_value": low, "max_value": high}) if None not in (low, high) else None
    if (match := _BOUND.match(check)) and (value := _number(match["value"])) is not None:
        key = "min_value" if match["op"].startswith(">") else "max_value"
        strict = {"strict_min": True} if match["op"] == ">" else {"strict_max": True} if match["op"] == "<" else {}
        return "between", {key: value, **strict}
    if (match := _IN_SET.match(check)) and "…" not in match["values"]:
        try:
            values = ast.literal_eval(f"[{match['values']}]")
        except (ValueError, SyntaxError):
            return None
        return "in_set", {"value_set": list(values)}
    if match := _REFERENTIAL.match(check):
        return "referential", {"to_node": match["node"], "to_column": match["column"]}
    return None


_GX_TYPES = {
    "not_null": "expect_column_values_to_not_be_null",
    "unique": "expect_column_values_to_be_unique",
    "between": "expect_column_values_to_be_between",
    "in_set": "expect_column_values_to_be_in_set",
}


def _dbt_test(name: str, kwargs: dict[str, Any]) -> object:
    if name in ("not_null", "unique"):
        return name
    if name == "in_set":
        return {"accepted_values": {"arguments": {"values": kwargs["value_set"]}}}
    if name == "referential":
        return {"relationships": {"arguments": {"to": _ref(kwargs["to_node"]), "field": kwargs["to_column"]}}}
    bounds = {k: v for k, v in kwargs.items() if k in ("min_value", "max_value")}
    return {"dbt_utils.accepted_range": {"arguments": bounds}}  # dbt has no built-in range test


def _ref(node: str) -> str:
    parts = node.split(".")
    return f"source('{parts[-2]}', '{parts[-1]}')" if parts[0] == "source" else f"ref('{parts[-1]}')"


def _dbt_yaml(node: str, column: str, test: object) -> str:
    parts = node.split(".")
    entry = {"name": column, "data_tests": [test]}
    if parts[0] == "source":
        doc: dict[str, Any] = {
            "version": 2,
            "sources": [{"name": parts[-2], "tables": [{"name": parts[-1], "columns": [entry]}]}],
        }
    else:
        doc = {"version": 2, "models": [{"name": parts[-1], "columns": [entry]}]}
    return yaml.safe_dump(doc, sort_keys=False)


def _odcs_rule(name: str, kwargs: dict[str, Any], relation: str, column: str) -> dict[str, object] | None:
    if name == "not_null":
        return {"type": "library", "metric": "nullValues", "mustBe": 0}
    if name == "unique":
        return {"type": "library", "metric": "duplicateValues", "mustBe": 0}
    if name == "in_set":
        return {
            "type": "library",
            "metric": "invalidValues",
            "arguments": {"validValues": kwargs["value_set"]},
            "mustBe": 0,
        }
    if name == "referential":
        return None  # the referenced table's warehouse name is not in the trace; the dbt test names it
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    outside = " OR ".join(
        ([f'"{column}" < {low}'] if low is not None else []) + ([f'"{column}" > {high}'] if high is not None else [])
    )
    return {"type": "sql", "query": f"SELECT COUNT(*) FROM {relation} WHERE {outside}", "mustBe": 0}


def prevention_for(cause: RootCause, at_cause: Hop | None) -> Prevention:
    """The check re-run at the cause, as a GX expectation, a dbt test and an ODCS rule (or why not)."""
    if at_cause is None:
        return Prevention(
            cause.node,
            cause.relation,
            cause.column,
            "",
            None,
            "",
            None,
            "no check was re-run at the cause: nothing to write",
        )
    column = at_cause.column
    parsed = _parse(at_cause.check)
    if parsed is None or "," in column:
        return Prevention(
            cause.node,
            cause.relation,
            column,
            at_cause.check,
            None,
            "",
            None,
            f"the check `{at_cause.check}` cannot be written back as code for one column",
        )
    name, kwargs = parsed
    meta = {"headwater": {"node": at_cause.node, "why": f"catches {cause.mechanism.value} at {cause.node}"}}
    gx: dict[str, object] | None = None
    if name in _GX_TYPES:
        gx = {"type": _GX_TYPES[name], "kwargs": {"column": column, **kwargs}, "meta": meta}
    reason = "" if gx is not None else f"no built-in GX expectation for {name}; use the dbt test or the ODCS rule"
    if name == "between":
        reason = "the dbt test needs the dbt-utils package (dbt has no built-in range test)"
    odcs = _odcs_rule(name, kwargs, cause.relation, column)
    return Prevention(
        at_cause.node,
        cause.relation,
        column,
        at_cause.check,
        gx,
        _dbt_yaml(at_cause.node, column, _dbt_test(name, kwargs)),
        odcs,
        reason,
    )


def odcs_contract(prevention: Prevention) -> dict[str, object]:
    """A minimal ODCS v3 contract holding the rule on the cause's property (it validates as ODCS)."""
    table = prevention.relation.split(".")[-1]
    return {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": f"headwater-suggestion-{table}-{prevention.column}",
        "version": "0.1.0",
        "status": "proposed",
        "schema": [
            {
                "name": table,
                "physicalName": prevention.relation,
                "properties": [{"name": prevention.column, "quality": [prevention.odcs]}],
            }
        ],
    }


def write_suggestions(report: Report, directory: Path) -> tuple[Path, ...]:
    """One file per tool per incident: `incident-N.gx.json` (an expectation suite), `incident-N.dbt.yml`,
    `incident-N.odcs.yaml`. Returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for incident in report.incidents:
        prevention, stem = incident.prevention, directory / f"incident-{incident.number}"
        if prevention.gx is not None:
            suite = {
                "name": f"headwater_suggestions_{incident.label.replace('.', '_')}",
                "expectations": [prevention.gx],
                "meta": {"headwater": {"incident": incident.root_cause}},
            }
            written.append(stem.with_suffix(".gx.json"))
            written[-1].write_bytes(orjson.dumps(suite, option=orjson.OPT_INDENT_2))
        if prevention.dbt_yaml:
            written.append(stem.with_suffix(".dbt.yml"))
            written[-1].write_text(prevention.dbt_yaml)
        if prevention.odcs is not None:
            written.append(stem.with_suffix(".odcs.yaml"))
            written[-1].write_text(yaml.safe_dump(odcs_contract(prevention), sort_keys=False))
    return tuple(written)
