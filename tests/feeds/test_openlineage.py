"""`headwater openlineage` events from the faulted example and a real GX result.

openlineage-python ships no copy of the spec's JSON schemas (site-packages holds only the generated attrs
classes), so each event is checked against those classes, which the client generates from the spec: every
key is a field of the class the spec puts there, every required field is present, every value has the
field's type, and every facet names its spec schema."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import attr
import pytest
from openlineage.client.event_v2 import RunEvent, RunState
from openlineage.client.generated.column_lineage_dataset import ColumnLineageDatasetFacet
from openlineage.client.generated.data_quality_assertions_dataset import DataQualityAssertionsDatasetFacet

from tests.feeds.conftest import GxRun

pytestmark = pytest.mark.slow

FACETS: dict[str, type] = {
    "columnLineage": ColumnLineageDatasetFacet,
    "dataQualityAssertions": DataQualityAssertionsDatasetFacet,
}


def _conforms(value: Any, kind: Any, where: str) -> None:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            assert type(None) in args, f"{where}: null not allowed"
            return
        kind = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is list:
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _conforms(item, args[0], f"{where}[{i}]")
    elif origin is dict:
        assert isinstance(value, dict), where
        for key, item in value.items():
            facet = FACETS.get(key) if where.endswith("acets") else None
            _conforms(item, facet or args[1], f"{where}.{key}")
    elif attr.has(kind):
        assert isinstance(value, dict), where
        attr.resolve_types(kind)
        fields = {f.name.lstrip("_"): f for f in attr.fields(kind)}
        for key in value:
            assert key in fields or key in ("_producer", "_schemaURL"), f"{where}: {key} is no field of {kind.__name__}"
        for name, field in fields.items():
            if field.default is attr.NOTHING and name not in ("producer", "schemaURL"):
                assert name in value, f"{where}: {kind.__name__}.{name} missing"
            if name in value:
                _conforms(value[name], field.type, f"{where}.{name}")
        if hasattr(kind, "_get_schema") and "_schemaURL" in value:
            assert value["_schemaURL"] == kind._get_schema(), where
    elif kind is Any or isinstance(kind, typing.TypeVar):
        return
    elif isinstance(kind, type) and issubclass(kind, enum.Enum):  # RunState
        assert value in {m.value for m in kind}, where
    else:
        assert isinstance(value, kind), f"{where}: {value!r} is not {kind}"


@pytest.fixture(scope="module")
def events(gx_run: GxRun, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("ol") / "events.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "openlineage", "--project-dir", str(gx_run.project),
         "--result", str(gx_run.describe), "--context-root", str(gx_run.context_root), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in Path(out).read_text().splitlines()]


def test_every_event_conforms_to_the_client_classes(events: list[dict[str, Any]]) -> None:
    assert events
    for number, event in enumerate(events):
        _conforms(event, RunEvent, f"event {number}")
        assert event["eventType"] == RunState.COMPLETE.value and event["producer"] and event["schemaURL"]


def test_column_lineage_names_the_upstream_columns(events: list[dict[str, Any]]) -> None:
    by_job = {e["job"]["name"].rsplit(".", 1)[-1]: e for e in events if e.get("outputs")}
    dim = by_job["dim_customers"]["outputs"][0]
    assert dim["name"] == "marts.dim_customers"
    email = dim["facets"]["columnLineage"]["fields"]["email"]["inputFields"]
    assert {(f["name"], f["field"]) for f in email} >= {("staging.stg_customers", "email")}
    assert all(t["type"] in ("DIRECT", "INDIRECT") for f in email for t in f["transformations"])
    inputs = {d["name"] for d in by_job["dim_customers"]["inputs"]}
    assert "staging.stg_customers" in inputs
    staging = by_job["stg_customers"]["outputs"][0]["facets"]["columnLineage"]["fields"]["email"]["inputFields"]
    assert {f["name"] for f in staging} == {"raw.customers"}  # the source, named as the warehouse names it


def test_assertions_carry_the_failed_expectation(events: list[dict[str, Any]], gx_run: GxRun) -> None:
    raw = json.loads(gx_run.describe.read_text())
    expected = sum(len(v["expectations"]) for v in raw["validation_results"])
    checked = [
        (d["name"], a)
        for e in events
        for d in e.get("inputs", [])
        for a in d.get("inputFacets", {}).get("dataQualityAssertions", {}).get("assertions", [])
    ]
    assert len(checked) == expected  # passed and failed alike
    failed = {(name, a["assertion"], a.get("column")) for name, a in checked if not a["success"]}
    assert ("marts.dim_customers", "not_null", "email") in failed
