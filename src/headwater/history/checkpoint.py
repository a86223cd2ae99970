"""Remember a checkpoint run: its outcomes (every expectation, passed or not) and, when it passed, a snapshot.

Called by `headwater.gx.actions.TraceRootCauseAction` on every run, with the checkpoint result as a plain
dict (no great_expectations import here), so that a user who only runs checkpoints gets the memory too.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwater.errors import ConfigError, HeadwaterError
from headwater.history.outcomes import NodeOf, node_resolver, outcomes_from_result
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.history.store import ENV_VAR, open_store


@dataclass(frozen=True)
class Remembered:
    store: str
    outcomes: int
    snapshot_id: str | None = None
    snapshot_error: str | None = None  # the snapshot failed; the outcomes were still recorded

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "outcomes": self.outcomes,
            "snapshot": self.snapshot_id,
            "snapshot_error": self.snapshot_error,
        }


def remember_checkpoint(
    raw: Mapping[str, Any],
    project_dir: str | Path,
    history: str | None = None,
    snapshot: SnapshotOptions | None = None,
    run_at: str | None = None,
) -> Remembered:
    """Record the outcomes of `raw` (a `checkpoint_result_dict`); with `snapshot` and a passing run, take a
    snapshot first and link the outcomes to it. ConfigError when there is no dbt project and no store named
    (the default store lives in the project)."""
    project = Path(project_dir)
    has_project = (project / "dbt_project.yml").is_file()
    if not has_project and not (history or os.environ.get(ENV_VAR)):
        raise ConfigError(f"no dbt project at {project} to keep the history in; set project_dir or history")
    store = open_store(history, project)
    snapshot_id, snapshot_error = None, None
    if snapshot is not None and bool(raw.get("success")) and has_project:
        try:
            snapshot_id = record_snapshot(snapshot).snapshot.snapshot_id
        except HeadwaterError as err:
            snapshot_error = str(err)
    node_of = _node_of(project) if has_project else None
    when = run_at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    outcomes = outcomes_from_result(raw, when, node_of, snapshot_id)
    store.write_outcomes(outcomes)
    return Remembered(store.describe(), len(outcomes), snapshot_id, snapshot_error)


def _node_of(project: Path) -> NodeOf | None:
    from headwater.dbt import load_artifacts

    try:
        manifest = load_artifacts(project, require_compiled=False, include_run_results=False, include_tests=False)
    except HeadwaterError:
        return None  # no manifest yet: outcomes keep their relation, without a node
    return node_resolver(manifest.manifest)
