"""Fixtures of the tracer's accuracy tests: the schema faults again, in a project that declares no type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import UNTYPED
from tests.conftest import copy_built
from tests.trace.faultcases import drop_declared_types


@pytest.fixture(scope="session")
def untyped_example(
    faulted_example: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """`untyped_example(fault_id)` -> the base fault's rebuilt example (shared with its own tests), with the
    column's `data_type` gone from the source YAML and the manifest. Read-only, like `faulted_example`."""
    cache: dict[str, Path] = {}

    def get(fault_id: str) -> Path:
        if fault_id not in cache:
            fault = UNTYPED[fault_id]
            project = copy_built(faulted_example(fault.base), tmp_path_factory.mktemp(fault_id) / "project")
            drop_declared_types(project, fault)
            cache[fault_id] = project
        return cache[fault_id]

    return get
