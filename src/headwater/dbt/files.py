"""Where dbt's files are, and the bytes headwater reads from them: no JSON parsing, nothing heavy to import.

A warm `headwater lineage --stats` needs only this much of the dbt stage (`headwater.lineage.memo`): which
manifest.json and catalog.json a run reads, a digest of their bytes, and a seed's CSV header.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


def resolve_target_path(project_dir: str | Path | None = None, target_path: str | Path | None = None) -> Path:
    """Like dbt: --target-path, else $DBT_TARGET_PATH, else <project-dir>/target (project-dir default: cwd)."""
    project = Path(project_dir) if project_dir is not None else Path.cwd()
    if target_path is None:
        target_path = os.environ.get("DBT_TARGET_PATH") or "target"
    target = Path(target_path)
    return target if target.is_absolute() else project / target


def project_root(project_dir: str | Path | None, target: Path | None) -> Path | None:
    """Where the project's own files (seed CSVs, the model store) are: --project-dir, else the target's parent."""
    if project_dir is not None:
        return Path(project_dir)
    return target.parent if target is not None else None


@dataclass(frozen=True)
class ArtifactPaths:
    """The files one invocation reads: explicit paths win, else `<target>/manifest.json` and catalog.json."""

    target: Path
    manifest: Path
    catalog: Path
    catalog_explicit: bool  # an explicit --catalog must exist; the default one is optional

    @classmethod
    def of(
        cls,
        project_dir: str | Path | None = None,
        target_path: str | Path | None = None,
        manifest_path: str | Path | None = None,
        catalog_path: str | Path | None = None,
    ) -> ArtifactPaths:
        if manifest_path is not None:
            manifest = Path(manifest_path)
            target = Path(target_path) if target_path is not None else manifest.parent
        else:
            target = resolve_target_path(project_dir, target_path)
            manifest = target / "manifest.json"
        catalog = Path(catalog_path) if catalog_path is not None else target / "catalog.json"
        return cls(target, manifest, catalog, catalog_path is not None)


@dataclass(frozen=True)
class InputFiles:
    """The bytes of the artifacts one invocation reads, and one digest over their paths and these very bytes:
    what is parsed (`load_artifacts(..., inputs=...)`) is what the digest keys (`lineage/memo.py`)."""

    paths: ArtifactPaths
    manifest: bytes
    catalog: bytes | None  # None: no catalog.json (the default one is optional)
    digest: str


def read_inputs(paths: ArtifactPaths) -> InputFiles | None:
    """Both artifacts' bytes, read once; None when a file that is required cannot be read (the loader, reading
    it itself, then says what is wrong)."""
    try:
        manifest = paths.manifest.read_bytes()
        catalog = paths.catalog.read_bytes() if paths.catalog_explicit or paths.catalog.exists() else None
    except OSError:
        return None
    digest = hashlib.blake2b(digest_size=20)
    for path, data in ((paths.manifest, manifest), (paths.catalog, catalog)):
        name = str(path.resolve()).encode()
        digest.update(b"%d:%s" % (len(name), name))
        digest.update(b"-" if data is None else b"%d:" % len(data))
        digest.update(data or b"")
    return InputFiles(paths, manifest, catalog, digest.hexdigest())


def csv_header(path: Path) -> tuple[str, ...] | None:
    """The column names on a CSV file's first line; None when it cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return tuple(name.strip() for name in header if name.strip()) if header else None
