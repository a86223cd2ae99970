"""The last good state a trace compares with, read once per trace: the history store's snapshots and check
outcomes (or dbt's `--state` artifacts), and the timeline of the failure's path drawn from them."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.errors import ConfigError, HeadwaterError

if TYPE_CHECKING:
    from headwater.dbt import Artifacts
    from headwater.trace.memory import Memory
    from headwater.trace.model import PathStep, RootCause, TimelineEvent


def of_project(memory: Memory, name: str) -> Memory:
    """Only the snapshots of project `name` (a shared store holds several), as `load_memory(..., name)` keeps."""
    kept = tuple(s for s in memory.snapshots if not name or s.meta.project_name in ("", name))
    return memory if len(kept) == len(memory.snapshots) else replace(memory, snapshots=kept)


def load_last_good(project: Path, history: str | None, state: Path | None, use_history: bool, name: str = "") -> Memory:
    """The history and --state a trace compares with (`name`: this project's snapshots only; "" keeps all)."""
    from headwater.history.store import ENV_VAR, open_store, store_url
    from headwater.trace.memory import load_memory

    if state is not None and not (state / "manifest.json").is_file():
        raise ConfigError(f"--state {state} holds no manifest.json; pass the target/ directory of the deployed run")
    store = None
    if use_history:
        url = store_url(history, project)
        explicit = bool(history or os.environ.get(ENV_VAR))
        # The project's own store is used when it exists (forensics by default); one named explicitly must.
        if explicit or Path(url.split("://", 1)[1].removeprefix("/")).is_file():
            store = open_store(history, project, create=False)
        if store is not None and not explicit:
            try:  # the project's own store, found by default: one that cannot be read is a note, not a failure
                with store.reading():
                    return load_memory(store, state, name)
            except HeadwaterError as err:
                return replace(load_memory(None, state, name), note=f"history not used: {err}")
    if store is None:
        return load_memory(None, state, name)
    with store.reading():
        return load_memory(store, state, name)


def path_timeline(
    memory: Memory | None, artifacts: Artifacts, node: str, path: list[PathStep], column: str, causes: list[RootCause]
) -> tuple[TimelineEvent, ...]:
    from headwater.history.model import Snapshot, SnapshotMeta
    from headwater.history.snapshot import catalog_schemas, node_states
    from headwater.trace.memory import timeline_of

    if memory is None or not memory.snapshots:
        return ()
    nodes = list(dict.fromkeys([node, *(s.node for s in path), *(c.node for c in causes)]))
    keep = set(nodes)

    def on_path(snapshot: Snapshot) -> Snapshot:
        # The timeline keeps the schema changes of these nodes only: reading every relation's columns from
        # the catalog and comparing them with every snapshot cost most of a trace's timeline on a 1,000-model
        # project. Code and profiles stay whole (the snapshot lines count them).
        return replace(snapshot, schemas=tuple(s for s in snapshot.schemas if s.unique_id in keep))

    manifest = artifacts.manifest
    relations = [n for n in (*manifest.sources.values(), *manifest.nodes.values()) if n.unique_id in keep]
    meta = SnapshotMeta("now", "9999", str(artifacts.project_dir or ""), project_name=manifest.metadata.project_name)
    # today's code and the path's schemas: `headwater.trace.memory.today` restricted to the path
    now = Snapshot(meta, node_states(manifest), tuple(catalog_schemas(artifacts, relations).values()))
    recent = replace(memory, snapshots=tuple(on_path(s) for s in memory.snapshots))
    return timeline_of(recent, now, nodes, column, causes[0].node if causes else node)
