"""A warm `headwater lineage --stats` that parses no JSON: the last run's statistics, keyed by its inputs.

`summary.json` (cache.py) is keyed by what the lineage depends on, read off the parsed artifacts, so it
still holds after dbt rewrites the manifest with a new `generated_at`; reaching it costs parsing manifest.json
and catalog.json (two thirds of such a run). `inputs.json`, beside it, is looked at first. It keys the
statistics by a digest of both files' paths and bytes (`dbt.files.InputFiles`: the very bytes the run
parses), the project directory, the MLflow tracking URI of the environment, the cache format and engine;
and it lists every other input the run read with what it found: each seed's CSV header, each python model's
model store stamp. Any difference is a miss: the run takes the usual way, and writes the memo again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from headwater.dbt.files import InputFiles, csv_header, project_root
from headwater.lineage.cache import (
    FORMAT,
    default_cache_dir,
    engine_version,
    node_key,
    read_cache_file,
    write_cache_file,
)
from headwater.lineage.stats import LineageStats, stats_from_json, stats_to_json
from headwater.ml.registry import TRACKING_URI_ENV

MEMO_NAME = "inputs.json"


def memo_key(input_digest: str, project_root: Path | None) -> str:
    root = str(project_root.resolve()) if project_root is not None else ""
    return node_key([FORMAT, engine_version(), input_digest, root, os.environ.get(TRACKING_URI_ENV) or ""])


def recall(inputs: InputFiles, project_dir: Path | None, cache_dir: Path | None) -> LineageStats | None:
    """The statistics of the run that read exactly these inputs, else None (run the lineage on them)."""
    directory = cache_dir if cache_dir is not None else default_cache_dir(inputs.paths.target)
    root = project_root(project_dir, inputs.paths.target)
    data = read_cache_file(directory / MEMO_NAME)
    if data.get("key") != memo_key(inputs.digest, root) or not _same_reads(data.get("reads")):
        return None
    stats, models = data.get("stats"), data.get("models")
    if not isinstance(stats, dict) or not isinstance(models, int):
        return None
    return stats_from_json(stats, cache_hits=models, cache_misses=0)


def remember(
    directory: Path,
    input_digest: str,
    project_root: Path | None,
    stats: LineageStats,
    csv_headers: Mapping[str, tuple[str, ...] | None],
    stores: Mapping[str, str],
) -> None:
    """Store the statistics of a whole run, with what it read outside the artifacts (see the module doc)."""
    reads = {"csv": {path: list(h) if h is not None else None for path, h in csv_headers.items()}, "stores": stores}
    payload = {
        "format": FORMAT,
        "engine": engine_version(),
        "key": memo_key(input_digest, project_root),
        "reads": reads,
        "models": stats.cache_hits + stats.cache_misses,
        "stats": stats_to_json(stats),
    }
    write_cache_file(directory / MEMO_NAME, payload)


def _same_reads(reads: Any) -> bool:
    """Every file outside the artifacts reads as it did when the memo was written."""
    if not isinstance(reads, dict):
        return False
    headers, stores = reads.get("csv"), reads.get("stores")
    if not isinstance(headers, dict) or not isinstance(stores, dict):
        return False
    for path, header in headers.items():
        now = csv_header(Path(path))
        if (list(now) if now is not None else None) != header:
            return False
    if stores:
        from headwater.ml.registered import store_stamp  # only a project with python models pays for it

        return all(store_stamp(uri) == stamp for uri, stamp in stores.items())
    return True
