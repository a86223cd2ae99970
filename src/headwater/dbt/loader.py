"""Reading dbt artifacts from disk (the only I/O of `headwater.dbt`): orjson, version gate, clear errors."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from headwater.dbt.artifacts import Manifest, raw_nodes
from headwater.dbt.catalog import Catalog
from headwater.dbt.files import ArtifactPaths, InputFiles, resolve_target_path
from headwater.dbt.results import RunResults, Sources
from headwater.errors import ArtifactError, ConfigError


@dataclass(frozen=True)
class Artifacts:
    """Everything dbt wrote to `target/` that headwater reads. Only the manifest is required."""

    manifest: Manifest
    catalog: Catalog | None = None
    run_results: RunResults | None = None
    sources: Sources | None = None
    target_path: Path | None = None
    project_dir: Path | None = None
    manifest_path: Path | None = None
    # Loaded from `InputFiles`: the digest of the manifest's and catalog's paths and bytes, which keys a warm
    # `lineage --stats` (`lineage/memo.py`).
    input_digest: str | None = None


__all__ = ["Artifacts", "load_artifacts", "read_json", "resolve_target_path"]


def read_json(path: Path, what: str, raw: bytes | None = None) -> dict[str, Any]:
    """A JSON object from `path` (`raw`: its bytes, read already)."""
    try:
        if raw is None:
            raw = path.read_bytes()
        with _gc_paused():  # a manifest is millions of acyclic objects: nothing for the collector to do
            data = orjson.loads(raw)
    except FileNotFoundError:
        raise ArtifactError(f"{what} not found at {path}; run `dbt compile` or `dbt docs generate`.") from None
    except orjson.JSONDecodeError as err:
        raise ArtifactError(f"{what} at {path} is not valid JSON ({err}); regenerate it with dbt.") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{what} at {path} is not a JSON object; regenerate it with dbt.")
    return data


def load_artifacts(
    project_dir: str | Path | None = None,
    target_path: str | Path | None = None,
    manifest_path: str | Path | None = None,
    catalog_path: str | Path | None = None,
    run_results_path: str | Path | None = None,
    sources_path: str | Path | None = None,
    require_compiled: bool = True,
    include_run_results: bool = True,
    include_tests: bool = True,
    inputs: InputFiles | None = None,
) -> Artifacts:
    """Load manifest.json (required) plus catalog.json, run_results.json and sources.json when present.

    Explicit file paths win; otherwise files are read from the target path (see `resolve_target_path`).
    With `require_compiled`, a manifest none of whose SQL models has `compiled_code` is refused.
    `include_run_results=False` skips run_results.json (it can be larger than the catalog);
    `include_tests=False` leaves `manifest.tests` empty (column lineage does not need them).
    `inputs`: the manifest's and catalog's bytes, read already (`files.read_inputs` of the same paths); their
    digest becomes `Artifacts.input_digest`.
    """
    paths = inputs.paths if inputs is not None else ArtifactPaths.of(project_dir, target_path, manifest_path,
                                                                     catalog_path)
    target, mpath = paths.target, paths.manifest
    if manifest_path is None and not mpath.exists():
        raise ConfigError(
            f"no manifest.json in {target}; pass --project-dir/--target-path, or run `dbt compile` there."
        )
    raw_manifest = read_json(mpath, "manifest.json", inputs.manifest if inputs is not None else None)
    with _gc_paused():
        manifest = Manifest.from_dict(raw_manifest, include_tests=include_tests)
    if require_compiled:
        _check_compiled(manifest, mpath)

    def optional(explicit: str | Path | None, name: str) -> dict[str, Any] | None:
        path = Path(explicit) if explicit is not None else target / name
        if explicit is None and not path.exists():
            return None
        return read_json(path, name)

    if inputs is not None:
        catalog_raw = read_json(paths.catalog, "catalog.json", inputs.catalog) if inputs.catalog is not None else None
    elif paths.catalog_explicit or paths.catalog.exists():
        catalog_raw = read_json(paths.catalog, "catalog.json")
    else:
        catalog_raw = None
    run_raw = optional(run_results_path, "run_results.json") if include_run_results else None
    sources_raw = optional(sources_path, "sources.json")
    return Artifacts(
        manifest=manifest,
        catalog=Catalog.from_dict(catalog_raw) if catalog_raw is not None else None,
        run_results=RunResults.from_dict(run_raw) if run_raw is not None else None,
        sources=Sources.from_dict(sources_raw) if sources_raw is not None else None,
        target_path=target,
        project_dir=Path(project_dir) if project_dir is not None else None,
        manifest_path=mpath,
        input_digest=inputs.digest if inputs is not None else None,
    )


def _check_compiled(manifest: Manifest, path: Path) -> None:
    """Refuse a manifest whose SQL models hold no compiled SQL at all (never compiled: nothing to analyse).

    A manifest where only some lack it (disabled, failed to compile, not selected) is analysed: those
    models' columns get UNKNOWN edges saying so (`headwater.lineage`)."""
    raw = raw_nodes(manifest.nodes)
    if raw is not None:  # read the raw dicts: building every node just to check this would cost more
        codes = [
            (d.get("name") or "", d.get("compiled_code", d.get("compiled_sql")))
            for d in raw.values()
            if d.get("resource_type") == "model" and (d.get("language") or "sql") == "sql"
        ]
    else:
        codes = [(n.name, n.compiled_code) for n in manifest.models() if n.language == "sql"]
    if codes and all(code is None for _, code in codes):
        raise ArtifactError(
            f"{path} has no compiled SQL for any of its {len(codes)} SQL model(s) (e.g. {codes[0][0]!r});"
            " run `dbt compile` or `dbt docs generate` to write compiled_code."
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was just loaded is long-lived and acyclic. Left in the youngest generation, it would be
        # scanned by the first collection after `enable()` (~20% of a warm `lineage --stats`), then again
        # in the middle one. freeze + unfreeze moves it straight to the oldest generation, unscanned.
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()
