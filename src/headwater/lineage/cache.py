"""On-disk cache of per-model lineage, keyed by the model's SQL and its parents' schemas.

One JSON file (`<cache_dir>/lineage.json`). A file that is unreadable, of another format or written by
another sqlglot version is ignored (and rewritten), never trusted; so is any entry that does not decode.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from headwater.lineage.compact import RawLineage

# Bump FORMAT whenever the analysis would give different edges for the same SQL: the cache key holds it,
# so results of an older analysis are never served. The file also records headwater's and sqlglot's versions.
FORMAT = "headwater-lineage/4"
FILE_NAME = "lineage.json"


def engine_version() -> str:
    from headwater import __version__

    try:
        return f"headwater {__version__}, sqlglot {metadata.version('sqlglot')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - sqlglot is a dependency
        return f"headwater {__version__}"


def node_key(parts: Iterable[str]) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


class LineageCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / FILE_NAME if directory is not None else None
        self._entries: dict[str, list[Any]] = {}
        self.loaded = False
        self.dirty = False
        self.hits = 0
        self.misses = 0
        if self.path is not None:
            self._entries = _read(self.path)
            self.loaded = bool(self._entries)

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
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(orjson.dumps(payload))
            tmp.replace(self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
        self.dirty = False
        return True


def _read(path: Path) -> dict[str, list[Any]]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or data.get("engine") != engine_version()
        or not isinstance(data.get("entries"), dict)
    ):
        return {}
    return data["entries"]
