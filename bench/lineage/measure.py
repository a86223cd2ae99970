"""One measurement in a fresh process: prints {"seconds": wall, "cpu": CPU seconds, "peak_mb": max RSS}.

Seconds exclude interpreter start-up and imports (sqlglot, headwater), in every mode alike.

Modes (all read MANIFEST_DIR/manifest.json and catalog.json):
  json      orjson.loads of manifest.json + catalog.json: the JSON load alone
  floor     json + sqlglot.parse_one of every model's compiled_code (the adapter's dialect)
  json_nogc, floor_nogc: the same with the cyclic garbage collector paused (headwater pauses it)
  headwater load_artifacts + build_lineage + stats, with the cache in CACHE_DIR (cold if it is empty);
            optional WORKERS (default: one process per CPU)
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import orjson


def main() -> None:
    mode, folder = sys.argv[1], Path(sys.argv[2])
    # Imports happen before the clock starts in every mode (the "process" columns of run.py include them).
    import sqlglot

    from headwater.dbt import load_artifacts
    from headwater.lineage import build_lineage
    from headwater.lineage.analyze import analyze_model  # noqa: F401 - imports what a cold run needs

    if mode.endswith("_nogc"):  # the same work with the cyclic GC paused
        import gc

        gc.disable()
        mode = mode.removesuffix("_nogc")
    started, cpu_started = time.perf_counter(), time.process_time()
    result: dict[str, object] = {}
    if mode in ("json", "floor"):
        manifest = orjson.loads((folder / "manifest.json").read_bytes())
        orjson.loads((folder / "catalog.json").read_bytes())
        if mode == "floor":
            dialect = manifest["metadata"].get("adapter_type")
            for node in manifest["nodes"].values():
                if node["resource_type"] in ("model", "snapshot") and node.get("compiled_code"):
                    sqlglot.parse_one(node["compiled_code"], dialect=dialect)
    elif mode == "headwater":
        artifacts = load_artifacts(target_path=folder, include_run_results=False, include_tests=False)
        workers = int(sys.argv[4]) if len(sys.argv) > 4 else None
        stats = build_lineage(artifacts, cache_dir=Path(sys.argv[3]), workers=workers).stats()
        result = {"coverage": round(stats.coverage, 4), "columns": stats.columns, "cache_misses": stats.cache_misses}
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(orjson.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, **result}).decode())


if __name__ == "__main__":
    main()
