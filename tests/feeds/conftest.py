"""A real GX checkpoint run on a faulted copy of the example, saved the ways GX users save it: headwater's
checkpoint result JSON and `CheckpointResult.describe_dict()`."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

REPO = Path(__file__).resolve().parents[2]
COMMITTED_SUITES = REPO / "expectations" / "gx" / "expectations"
FAULT = "null_customer_email"  # a source fault that fails a mart expectation (dim_customers.email not null)


@dataclass(frozen=True)
class GxRun:
    project: Path
    context_root: Path
    full_result: Path  # headwater's checkpoint_result_dict
    describe: Path  # CheckpointResult.describe_dict()


@pytest.fixture(scope="session")
def gx_run(faulted_example: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> GxRun:
    from headwater.example.build import database_path
    from headwater.gx.checkpoint import CHECKPOINT_NAME, close_datasources, ensure_context, summarise

    project = faulted_example(FAULT)
    folder = tmp_path_factory.mktemp("gx-feeds")
    root = folder / "expectations"
    shutil.copytree(COMMITTED_SUITES, root / "gx" / "expectations")
    context = ensure_context(root, database_path(project))
    try:
        result = context.checkpoints.get(CHECKPOINT_NAME).run()
    finally:
        close_datasources(context)
    outcome = summarise(result, folder / "results")
    assert not outcome.success, "the fault must fail an expectation for the feeds to have something to say"
    describe = folder / "describe.json"
    describe.write_bytes(orjson.dumps(result.describe_dict(), option=orjson.OPT_SERIALIZE_NUMPY, default=str))
    return GxRun(project, root, outcome.result_path, describe)
