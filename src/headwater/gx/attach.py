"""`headwater gx attach`: add headwater's actions (and suites) to an existing file-context checkpoint.

The checkpoint JSON is edited in place, not rebuilt: its actions, validation definitions, result format
and id stay as they are. Re-running with the same options changes nothing (no write, no backup); any
change is preceded by a backup under `gx/uncommitted/headwater/backups/`. The trace action is kept
before the gate, since GX runs actions in list order and a gate that raises stops the ones after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from great_expectations.checkpoint.actions import ValidationAction

from headwater.errors import ConfigError, suggest
from headwater.gx.actions import GATE_ACTION_TYPE, TRACE_ACTION_TYPE, ContractGateAction, TraceRootCauseAction


@dataclass(frozen=True)
class AttachResult:
    checkpoint: Path
    changed: bool
    backup: Path | None
    added: tuple[str, ...]  # action types and suite names added
    updated: tuple[str, ...]  # action types whose options changed


def gx_dir(context_root: str | Path) -> Path:
    """The folder holding great_expectations.yml: `<root>/gx` (a project root) or `<root>` itself."""
    root = Path(context_root)
    for candidate in (root / "gx", root):
        if (candidate / "great_expectations.yml").is_file():
            return candidate
    raise ConfigError(
        f"no GX file context at {root} (expected {root}/gx/great_expectations.yml);"
        " pass the folder given to gx.get_context(project_root_dir=...)."
    )


def attach(
    context_root: str | Path,
    checkpoint: str,
    *,
    trace: Mapping[str, Any] | None = None,
    gate: Mapping[str, Any] | None = None,
    suites: Sequence[str] = (),
) -> AttachResult:
    """Add/update the trace action (options `trace`), the gate (options `gate`) and suites' validations."""
    folder = gx_dir(context_root)
    path = folder / "checkpoints" / f"{checkpoint}.json"
    if not path.is_file():
        names = sorted(p.stem for p in (folder / "checkpoints").glob("*.json"))
        raise ConfigError(
            f"no checkpoint {checkpoint!r} in {folder}/checkpoints.{suggest(checkpoint, names)}"
            f" It has: {', '.join(names) or 'none'}."
        )
    original = path.read_bytes()
    config = orjson.loads(original)
    actions: list[dict[str, Any]] = list(config.get("actions") or [])
    added: list[str] = []
    updated: list[str] = []
    if trace is not None:
        _upsert(actions, TraceRootCauseAction(**trace), added, updated)
    if gate is not None:
        _upsert(actions, ContractGateAction(**gate), added, updated)
    config["actions"] = _trace_before_gate(actions)
    definitions = list(config.get("validation_definitions") or [])
    for suite in suites:
        if _add_validation(folder, definitions, suite):
            added.append(f"suite:{suite}")
    config["validation_definitions"] = definitions
    text = orjson.dumps(config, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    if orjson.loads(text) == orjson.loads(original):
        return AttachResult(path, False, None, (), ())
    backup = folder / "uncommitted" / "headwater" / "backups" / "checkpoints"
    backup.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup_path = backup / f"{checkpoint}-{stamp}.json"
    backup_path.write_bytes(original)
    path.write_bytes(text)
    return AttachResult(path, True, backup_path, tuple(added), tuple(updated))


def _upsert(
    actions: list[dict[str, Any]], wanted: ValidationAction, added: list[str], updated: list[str]
) -> None:
    # An action already there keeps the options it has; only those given now change (re-running
    # `attach --trace` must not reset, say, `formats` that someone set by hand).
    kind = str(wanted.type)
    for index, action in enumerate(actions):
        if action.get("type") == kind:
            merged = {**action, **wanted.dict(exclude_unset=True)}
            if merged != action:
                actions[index] = merged
                updated.append(kind)
            return
    actions.append(wanted.dict())
    added.append(kind)


def _trace_before_gate(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    types = [a.get("type") for a in actions]
    if TRACE_ACTION_TYPE in types and GATE_ACTION_TYPE in types:
        trace_at, gate_at = types.index(TRACE_ACTION_TYPE), types.index(GATE_ACTION_TYPE)
        if trace_at > gate_at:
            trace = actions.pop(trace_at)
            actions.insert(gate_at, trace)
    return actions


def _add_validation(folder: Path, definitions: list[dict[str, Any]], suite: str) -> bool:
    """Add the validation definition that validates `suite` (it must exist); False if already there."""
    found = []
    for file in sorted((folder / "validation_definitions").glob("*.json")):
        data = orjson.loads(file.read_bytes())
        if (data.get("suite") or {}).get("name") == suite:
            found.append({"id": data.get("id"), "name": data["name"]})
    if not found:
        suites = sorted(p.stem for p in (folder / "expectations").glob("*.json"))
        raise ConfigError(
            f"no validation definition validates suite {suite!r} in {folder}.{suggest(suite, suites)}"
            " Create one (gx.ValidationDefinition) before attaching the suite."
        )
    have = {d.get("name") for d in definitions}
    new = [d for d in found if d["name"] not in have]
    definitions.extend(new)
    return bool(new)
