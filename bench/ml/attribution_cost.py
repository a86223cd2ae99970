"""Cost of feature attribution through the fraud model: queries and seconds of the trace, at a size.

Builds the example at `--rows`, injects `ml_country_join_miss` (a join miss that gives ~40% default
predictions), re-scores, runs the prediction suite, and traces the failure through the dbt Python model.
Reports: build and rebuild seconds, mart rows, the attribution query (count, seconds), and the whole trace
(probes, seconds). `--write-docs` writes the "ML feature attribution" section of docs/benchmarks.md.

    python bench/ml/attribution_cost.py --rows 1000000
    python bench/ml/attribution_cost.py --write-docs
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import duckdb
import orjson

from headwater.example.build import build_example, copy_project, database_path, rebuild_models
from headwater.example.ml_faults import ML_FAULTS
from headwater.gx.checkpoint import run_marts_checkpoint
from headwater.trace import trace

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out"
SUITES = REPO / "expectations" / "ml" / "gx" / "expectations"
SECTION = "## ML feature attribution"


def run(rows: int, workdir: Path, reuse: bool = False) -> dict[str, object]:
    """`reuse`: trace again in a workdir a previous run at the same size left (build and rebuild figures are
    taken from its JSON), e.g. after a change to the tracer; the expensive build is not repeated."""
    previous = OUT / f"ml_attribution_{rows}.json"
    project = workdir / "project"
    if reuse and previous.exists() and (project / "warehouse.duckdb").exists():
        before = orjson.loads(previous.read_bytes())
        build_seconds, rebuild_seconds = float(before["build_seconds"]), float(before["rebuild_seconds"])
        build_peak = int(before.get("peak_rss_mb") or 0)  # the build's processes ran in that run
    else:
        build_peak = 0
        shutil.rmtree(workdir, ignore_errors=True)
        project = copy_project(REPO / "dbt_project_example", project)
        started = time.perf_counter()
        build_example(project, rows)
        build_seconds = time.perf_counter() - started
        fault = next(f for f in ML_FAULTS if f.id == "ml_country_join_miss")
        fault.apply(project)
        started = time.perf_counter()
        rebuild_models(project)
        rebuild_seconds = time.perf_counter() - started
    root = workdir / "expectations"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(SUITES, root / "gx" / "expectations")
    checked = run_marts_checkpoint(root, database_path(project))
    started = time.perf_counter()
    result = trace(checked.result_path, project_dir=project, use_history=False)
    trace_seconds = time.perf_counter() - started
    probes = [p for f in result.failures for p in f.probes]
    attribution = [p for p in probes if p.purpose == "feature attribution"]
    with duckdb.connect(str(database_path(project)), read_only=True) as con:
        scored = con.execute("select count(*) from ml.fraud_predictions").fetchone()
    top = next((f.top for f in result.failures if f.top is not None), None)
    return {
        "rows": rows,
        "predictions": scored[0] if scored else 0,
        "build_seconds": round(build_seconds, 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "attribution_queries": len(attribution),
        "attribution_seconds": round(sum(p.seconds for p in attribution), 3),
        "trace_probes": len(probes),
        "trace_seconds": round(trace_seconds, 2),
        "top_cause": f"{top.node} {top.column} {top.mechanism.value}" if top else "",
        "traced": f"{sum(f.verdict.value == 'traced' for f in result.failures)} of {len(result.failures)}",
        "peak_rss_mb": max(
            build_peak,
            round(max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) >> 10),
        ),
    }


def write_docs() -> None:
    lines = [
        SECTION, "",
        "`python bench/ml/attribution_cost.py --rows N` (fault `ml_country_join_miss`, prediction suite "
        "`expectations/ml`, trace without history): both prediction checks fail (default-prediction share and "
        "score distribution) and both are traced. The attribution is one read-only query per failing check "
        "joining the predictions to the feature table on the model's key (NULL share, share outside the "
        "training range, and the counts in the training bins for PSI, for every feature at once); the rest of "
        "the trace is the existing walk, plus one small query for the model versions served. Peak RSS is the "
        "largest process of the run (the build's training and scoring, in the dbt subprocess).", "",
        "| raw rows | predictions | build s | rebuild s | attribution queries | attribution s | trace probes "
        "| trace s | traced | top cause | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]  # fmt: skip
    for path in sorted(OUT.glob("ml_attribution_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1])):
        d = orjson.loads(path.read_bytes())
        lines.append(
            f"| {d['rows']:,} | {d['predictions']:,} | {d['build_seconds']} | {d['rebuild_seconds']} | "
            f"{d['attribution_queries']} | {d['attribution_seconds']} | {d['trace_probes']} | {d['trace_seconds']} "
            f"| {d.get('traced', '')} | {d['top_cause']} | {d.get('peak_rss_mb', '')} |"
        )
    lines += [
        "",
        "On this 2-core machine shared with other engineers' runs (load average 6 to 10 during the runs), so the "
        "seconds are upper bounds. 10M raw rows fit: about 4 GB peak RSS of 23 GB; the time goes to the "
        "example build and the rebuild (dbt, training and scoring), not to the attribution. Trace seconds include "
        "reading the registry through MLflow (import and store: seconds, once per process; a local SQLite store "
        "is since read straight from its tables, 0.04 s). The trace figures "
        "of the table are a `--reuse` run over the same build (this tracer, before that direct read); the build took "
        "515 s in an earlier run at a lower load. The previous commit "
        "measured 1M and 3M (one attribution query each, 0.08 s at 269k predictions, 0.25 s at 807k) with only "
        "the share check traced.",
    ]
    docs = REPO / "docs" / "benchmarks.md"
    text = docs.read_text()
    block = "\n".join(lines) + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        rest = text[start + len(SECTION) :]
        end = rest.find("\n## ")
        text = text[:start] + block + (rest[end:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + block
    docs.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/headwater-bench-ml"))
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="trace again in the workdir of a previous run")
    args = parser.parse_args()
    if args.write_docs:
        write_docs()
        return
    result = run(args.rows, args.workdir, args.reuse)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"ml_attribution_{args.rows}.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
