"""On-disk cache of per-model lineage, keyed by the model's SQL and its parents' schemas.

One JSON file (`<cache_dir>/lineage.json`). A file that is unreadable, of another format or written by
another sqlglot version is ignored (and rewritten), never trusted; so is any entry that does not decode.

Next to it, `summary.json` holds the key of the whole run (every node's inputs, see
`SchemaBook.run_key`) and the statistics of that run: when nothing changed, `--stats` is answered from
it without reading lineage.json at all (the per-model entries are then read only if edges are asked for).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from headwater.lineage.compact import RawLineage

# Bump FORMAT whenever the analysis would give different edges for the same SQL: the cache key holds it,
# so results of an older analysis are never served. The file also records headwater's and sqlglot's versions.
# 8: case folding per dialect (ASCII-only where the engine folds so), quoted YAML names, PIVOT edges.
FORMAT = "headwater-lineage/8"
FILE_NAME = "lineage.json"
SUMMARY_NAME = "summary.json"


def default_cache_dir(target: Path) -> Path:
    """The cache of a dbt target directory, unless --cache-dir says otherwise."""
    return target / "headwater"


@functools.cache
def engine_version() -> str:
    from headwater import __version__

    return f"headwater {__version__}, sqlglot {installed_version('sqlglot')}"


def installed_version(package: str) -> str:
    """The installed version of `package`, from the name of its `<name>-<version>.dist-info` directory beside
    it: without importing the package (a warm run never imports sqlglot) or `importlib.metadata` (~20 ms of a
    0.15 s warm run). Anything else (an egg, an editable install) asks `importlib.metadata`."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        site = Path(next(iter(spec.submodule_search_locations))).parent
        prefix = f"{package}-"
        with contextlib.suppress(OSError):
            found = [n.name for n in site.iterdir() if n.name.startswith(prefix) and n.name.endswith(".dist-info")]
            if len(found) == 1 and "-" not in (version := found[0][len(prefix) : -len(".dist-info")]):
                return version
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover - sqlglot is a dependency
        return "unknown"


def node_key(parts: Iterable[str]) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


class LineageCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / FILE_NAME if directory is not None else None
        self._loaded: dict[str, list[Any]] | None = None  # read on first use: a summary hit never needs it
        self.dirty = False
        self.hits = 0
        self.misses = 0

    @property
    def _entries(self) -> dict[str, list[Any]]:
        if self._loaded is None:
            self._loaded = _read(self.path) if self.path is not None else {}
        return self._loaded

    def summary(self, run_key: str) -> dict[str, Any] | None:
        """The statistics stored for exactly this run key, else None (missing, foreign or stale)."""
        if self.path is None:
            return None
        data = read_cache_file(self.path.with_name(SUMMARY_NAME))
        stats = data.get("stats")
        if data.get("run_key") != run_key or not isinstance(stats, dict):
            return None
        return stats

    def save_summary(self, run_key: str, stats: Mapping[str, Any]) -> None:
        if self.path is not None:
            payload = {"format": FORMAT, "engine": engine_version(), "run_key": run_key, "stats": dict(stats)}
            write_cache_file(self.path.with_name(SUMMARY_NAME), payload)

    def get(self, node_id: str, key: str) -> RawLineage | None:
        entry = self._entries.get(node_id)
        if entry is not None and len(entry) == 2 and entry[0] == key:
            try:
                result = RawLineage.from_json(entry[1])
            except (TypeError, ValueError):
                result = None
            if result is not None and result.node == node_id:
                self.hits += 1
                return result
        self.misses += 1
        return None

    def put(self, node_id: str, key: str, result: RawLineage) -> None:
        if self.path is None:  # --no-cache: nothing will be written, so nothing is encoded
            return
        self._entries[node_id] = [key, result.to_json()]
        self.dirty = True

    def prune(self, keep: Mapping[str, object]) -> None:
        stale = [k for k in self._entries if k not in keep]
        for k in stale:
            del self._entries[k]
        self.dirty = self.dirty or bool(stale)

    def save(self) -> bool:
        """Write the cache if it changed. A read-only target is not an error: the cache is an optimisation."""
        if self.path is None or not self.dirty:
            return False
        payload = {"format": FORMAT, "engine": engine_version(), "entries": self._entries}
        if not write_cache_file(self.path, payload):
            return False
        self.dirty = False
        return True


def write_cache_file(path: Path, payload: dict[str, Any]) -> bool:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(orjson.dumps(payload))
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def read_cache_file(path: Path) -> dict[str, Any]:
    """A cache file of this format and engine, else {} (unreadable, foreign or older files are ignored)."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("engine") != engine_version():
        return {}
    return data


def _read(path: Path) -> dict[str, list[Any]]:
    entries = read_cache_file(path).get("entries")
    return entries if isinstance(entries, dict) else {}
