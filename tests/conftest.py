"""Shared fixtures: the example warehouse, built once per test run, and faulted copies of it.

Every fixture here hands out folders in pytest's temporary directory: tests never build, query or lock the
repository's own `dbt_project_example/` warehouse. `make test` runs the suite on pytest-xdist workers (one per
core): the builds are made once, by whichever worker asks first, under a file lock in the folder the workers
share, and shared between test modules and workers; treat them as read-only (copy with `copy_built` before
changing anything).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from headwater.cli import main
from headwater.example.build import build_example, copy_project, rebuild_models
from headwater.example.faults import FAULTS

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SOURCE = REPO / "dbt_project_example"
CORPORA = REPO.parent / "shared" / "corpora"
# Smaller than the demo's default so the suite stays quick; big enough for every fault to show.
TEST_ROWS = int(os.environ.get("HEADWATER_TEST_ROWS", "40000"))

# pyspark's connect module (imported by GX when pyspark is installed) takes a `__main__` without a file for a
# doctest run and exits the process when grpc is missing: pytest-xdist workers have such a `__main__`.
if getattr(sys.modules["__main__"], "__spec__", None) is None and not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "pytest-xdist-worker"

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every pytest-xdist worker of this run sees (the parent of the workers' base temp folders),
    or the session's own base temp folder without xdist."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return root / name


@contextmanager
def built_once(folder: Path) -> Iterator[bool]:
    """Under an exclusive lock on `folder`'s lock file: yields True when the caller must build into `folder`
    (nobody has yet), False when another worker already did. The build is marked done only if it finished."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = folder.with_name(folder.name + ".built")
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        must_build = not done.exists()
        if must_build:
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
        yield must_build
        if must_build:
            done.touch()


@pytest.fixture(scope="session")
def example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean example, built once per test run (shared by the xdist workers). Read-only: copy it before
    changing anything."""
    project = shared_folder(tmp_path_factory, "example") / "project"
    with built_once(project) as must_build:
        if must_build:
            copy_project(EXAMPLE_SOURCE, project)
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

    Built once per fault per test run and shared (by the xdist workers too): read-only, like
    `example_template`.
    """

    def get(fault_id: str) -> Path:
        project = shared_folder(tmp_path_factory, f"fault-{fault_id}") / "project"
        with built_once(project) as must_build:
            if must_build:
                copy_built(example_template, project)
                FAULTS[fault_id].apply(project)
                rebuild_models(project, score=False)  # faults checked on the marts never read the ML models
        return project

    return get


def run_cli(args: list[str]) -> int:
    """`headwater ARGS` in this process: `main` exits with the code, or returns normally on success."""
    try:
        main(args)
    except SystemExit as done:
        return int(done.code or 0)
    return 0
