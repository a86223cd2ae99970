"""The failing expectation of each example fault, as GX reports it: taken from the committed suites in
`expectations/gx/expectations/` (plain JSON) and wrapped in a GX 1.x suite validation result.

Shared by tests/trace/test_accuracy.py and bench/trace/accuracy.py; `drop_declared_types` makes the
untyped variants of the schema faults (`headwater.example.faults.UNTYPED`) from their base's rebuilt copy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from headwater.example.faults import Fault

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "expectations" / "gx" / "expectations"

EXPECTATION_TYPES = {
    "not_null": ("expect_column_values_to_not_be_null",),
    "unique": ("expect_column_values_to_be_unique",),
    "between": ("expect_column_values_to_be_between",),
    "in_set": ("expect_column_values_to_be_in_set",),
    "freshness": ("expect_column_max_to_be_between", "expect_table_to_be_fresh"),
    "schema": ("expect_table_columns_to_match_set", "expect_table_schema_to_match_contract"),
    "distinct_set": ("expect_column_distinct_values_to_contain_set", "expect_column_distinct_values_to_equal_set"),
    "most_common_share": ("expect_column_most_common_value_share_to_be_below",),
}


def expectation_of(fault: Fault) -> dict[str, Any]:
    """The committed expectation config the fault must make fail."""
    suite = json.loads((SUITES / f"{fault.expectation.model}.json").read_text())
    types = EXPECTATION_TYPES[fault.expectation.check]
    for item in suite["expectations"]:
        column = item["kwargs"].get("column")
        if item["type"] in types and (column == fault.expectation.column or column is None):
            return item
    raise LookupError(f"no {fault.expectation} expectation in {fault.expectation.model}.json")


def validation_result(fault: Fault, schema: str = "marts") -> dict[str, Any]:
    """A GX 1.x suite validation result in which the fault's expectation failed."""
    config = expectation_of(fault)
    return {
        "success": False,
        "suite_name": fault.expectation.model,
        "results": [
            {
                "success": False,
                "expectation_config": {"type": config["type"], "kwargs": config["kwargs"], "meta": {}},
                "result": {},
                "exception_info": {"raised_exception": False},
            }
        ],
        "meta": {
            "batch_spec": {"table_name": fault.expectation.model, "schema_name": schema},
            "active_batch_definition": {"data_asset_name": f"{schema}.{fault.expectation.model}"},
        },
    }


def drop_declared_types(project: Path, fault: Fault) -> None:
    """A copy of the base fault's rebuilt project becomes `fault` (an UNTYPED variant): the column's
    `data_type` goes from the source YAML and from the manifest, as dbt writes an undeclared type (null).
    No rebuild: a declaration changes no model."""
    assert fault.edit is not None and fault.base
    file, old, new = fault.edit
    path = project / file
    path.write_text(path.read_text().replace(old, new, 1))
    manifest_path = project / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for column in fault.truth.columns:
        manifest["sources"][fault.truth.node]["columns"][column]["data_type"] = None
    manifest_path.write_text(json.dumps(manifest))
