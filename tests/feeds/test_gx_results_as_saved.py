"""`describe_dict()` output names its batch only by `batch_id`; with `--context-root` it traces like the full
checkpoint result GX and headwater's action save."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from headwater.trace.api import trace
from headwater.trace.gx_context import read_context
from headwater.trace.gx_results import read_validation_result
from tests.feeds.conftest import GxRun

pytestmark = pytest.mark.slow


def _summary(result: object) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    failures = result.failures  # type: ignore[attr-defined]
    return sorted(
        (f.node, f.column, f.expectation, f.verdict.value, tuple(c.node + "." + c.column for c in f.root_causes))
        for f in failures
    )


def test_describe_dict_batches_resolve_through_the_saved_context(gx_run: GxRun) -> None:
    raw = orjson.loads(gx_run.describe.read_bytes())
    assert "batch_spec" not in gx_run.describe.read_text()  # what makes describe_dict() hard: no table
    failed = read_validation_result(gx_run.describe, gx_run.context_root)
    full = read_validation_result(gx_run.full_result)
    assert failed and len(failed) == len(full) == sum(
        1 for v in raw["validation_results"] for e in v["expectations"] if not e["success"]
    )
    assert {(f.batch.schema, f.batch.table, f.suite) for f in failed} == {
        (f.batch.schema, f.batch.table, f.suite) for f in full
    }
    assets = read_context(gx_run.context_root).assets
    assert ("warehouse", "marts.dim_customers") in assets


def test_describe_dict_traces_like_the_full_result(gx_run: GxRun) -> None:
    options = {"project_dir": gx_run.project, "use_history": False}
    full = trace(gx_run.full_result, **options)
    described = trace(gx_run.describe, context_root=gx_run.context_root, **options)
    assert _summary(described) == _summary(full)
    assert any(f.verdict.value == "traced" for f in described.failures)
    assert [i.cause.node for i in described.incidents] == [i.cause.node for i in full.incidents]


def test_map_takes_the_asset_name_as_printed(gx_run: GxRun) -> None:
    """Without the context the asset name is all there is; `--map <asset>=NODE` points it anywhere."""
    failed = read_validation_result(gx_run.describe)
    asset = failed[0].batch.asset
    assert asset and failed[0].batch.table is None
    on_asset = sum(1 for f in failed if f.batch.asset == asset)
    done = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "trace", str(gx_run.describe), "--project-dir", str(gx_run.project),
         "--no-history", "--format", "json", "--map", f"{asset}=stg_customers"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    nodes = [f["node"] for f in orjson.loads(done.stdout)["failures"]]
    assert nodes.count("model.headwater_example.stg_customers") == on_asset
