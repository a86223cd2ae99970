"""Run dbt as a subprocess of the current Python, with headwater's fixed environment.

A subprocess (rather than dbtRunner in-process) keeps dbt's global flags and logging out of the caller,
which matters for tests that build several copies of the example one after another.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from headwater.errors import HeadwaterError

DUCKDB_PATH_ENV = "HEADWATER_DUCKDB_PATH"


class DbtCommandError(HeadwaterError):
    """A dbt command failed."""


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_env(
    project_dir: Path, duckdb_path: Path | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["DO_NOT_TRACK"] = "1"
    env["DBT_PROFILES_DIR"] = str(project_dir)
    if duckdb_path is not None:
        env[DUCKDB_PATH_ENV] = str(duckdb_path)
    return env


def run_dbt(
    project_dir: Path,
    *args: str,
    duckdb_path: Path | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> DbtResult:
    """Run `dbt ARGS` in `project_dir` (profiles.yml there). Raise DbtCommandError when `check` and it fails.
    `env` adds variables (a profile's env_var() values, e.g. the PostgreSQL target's database)."""
    command = [sys.executable, "-m", "dbt.cli.main", *args, "--project-dir", str(project_dir)]
    completed = subprocess.run(
        command,
        cwd=project_dir,
        env=dbt_env(project_dir, duckdb_path, env),
        capture_output=True,
        text=True,
        check=False,
    )
    result = DbtResult(tuple(args), completed.returncode, completed.stdout + completed.stderr)
    if check and not result.ok:
        tail = "\n".join(result.output.strip().splitlines()[-15:])
        raise DbtCommandError(f"`dbt {' '.join(args)}` failed in {project_dir}:\n{tail}")
    return result


def run_selected(
    project_dir: Path, *args: str, code_changed: bool, duckdb_path: Path | None = None, check: bool = True,
    env: Mapping[str, str] | None = None,
) -> DbtResult:
    """`dbt run ARGS` of a selection (`--select ...`). A selective run writes a manifest with compiled SQL for
    the selected models only; when no model's code changed, the previous manifest (every model compiled) is
    still the project's and is put back, so lineage does not lose the models that were not rebuilt."""
    manifest = project_dir / "target" / "manifest.json"
    compiled = manifest.read_bytes() if manifest.exists() else None
    result = run_dbt(project_dir, "run", *args, duckdb_path=duckdb_path, check=check, env=env)
    if not code_changed and compiled is not None:
        manifest.write_bytes(compiled)
    return result
