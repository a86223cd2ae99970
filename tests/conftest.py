"""Shared fixtures: the example warehouse, built once per session, and faulted copies of it.

Every fixture here hands out folders in pytest's temporary directory: tests never build, query or lock the
repository's own `dbt_project_example/` warehouse. Session-scoped builds are shared between test modules;
treat them as read-only (copy with `copy_built` before changing anything).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.build import build_example, copy_project, rebuild_models
from headwater.example.faults import FAULTS

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SOURCE = REPO / "dbt_project_example"
CORPORA = REPO.parent / "shared" / "corpora"
# Smaller than the demo's default so the suite stays quick; big enough for every fault to show.
TEST_ROWS = int(os.environ.get("HEADWATER_TEST_ROWS", "40000"))

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean example, built once per session. Read-only: copy it before changing anything."""
    project = copy_project(EXAMPLE_SOURCE, tmp_path_factory.mktemp("example") / "project")
    build_example(project, rows=TEST_ROWS)
    return project


def copy_built(template: Path, destination: Path) -> Path:
    """A private, writable copy of a built project (DuckDB file and target/ included)."""
    return copy_project(template, destination, with_build=True)


@pytest.fixture
def built_example(example_template: Path, tmp_path: Path) -> Path:
    """A private copy of the clean built example; the test may change it freely."""
    return copy_built(example_template, tmp_path / "project")


@pytest.fixture(scope="session")
def faulted_example(
    example_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """`faulted_example(fault_id)` -> the example with that fault injected and models rebuilt.

    Built once per fault per session and shared: read-only, like `example_template`.
    """
    cache: dict[str, Path] = {}

    def get(fault_id: str) -> Path:
        if fault_id not in cache:
            project = copy_built(example_template, tmp_path_factory.mktemp(f"fault-{fault_id}") / "project")
            FAULTS[fault_id].apply(project)
            rebuild_models(project)
            cache[fault_id] = project
        return cache[fault_id]

    return get
