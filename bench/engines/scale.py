"""Trace wall time on DuckDB, PostgreSQL and Spark side by side, against the minimal scans it needs.

The example is built at each `--rows` on DuckDB and on PostgreSQL (a database created and dropped on the
server of `HEADWATER_PG_URL`, else the local one), and at the sizes of `--spark-at` also loaded into a local
Spark session (local[2]); each fault applied to every engine (`builds.py`: raw data generated once, only the
fault's downstream models rebuilt). Per fault, alternating engines, `--repeats` times: the wall time of
`headwater.trace` (artifacts, lineage, every probe), the queries it sent, and the floor: one scan per
relation on the failure's path reading the checked columns (`count(*)`, `count(column)`), the least any
tracer must read to re-check each step once. Medians. `--write-docs` rewrites the section "Engines: trace at
scale" of docs/benchmarks.md, keeping the rows of sizes, faults and engines this run did not measure.

    python bench/engines/scale.py --rows 10000000 --rows 1000000 --spark-at 1000000 --repeats 3 --write-docs
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from builds import (
    REPO,
    Stopwatch,
    build_duckdb,
    build_postgres,
    fault_duckdb,
    fault_postgres,
    generate_raw,
    load_spark,
)
from tests.trace.faultcases import validation_result

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.example.postgres import PgServer, create_database, drop_database
from headwater.trace import trace
from headwater.warehouse import connect, from_url

DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Engines: trace at scale"
DEFAULT_FAULTS = ("null_customer_email", "items_join_inner_to_left", "events_filter_added")
SPARK = "spark://local[2]"
ENGINES = ("DuckDB", "PostgreSQL", "Spark")


@dataclass
class Run:
    results: list[str] = field(default_factory=list)  # table rows: rows, fault, engine, ...
    builds: list[str] = field(default_factory=list)  # table rows: rows, stage seconds
    loads: list[float] = field(default_factory=list)  # 1-minute load average, sampled per fault


def floor_seconds(url: str, steps: list[tuple[str, str]]) -> float:
    """One scan per (relation, columns) of the path: the least a re-check of each step reads."""
    with connect(from_url(url)) as warehouse:
        started = time.perf_counter()
        for relation, columns in dict.fromkeys(steps):
            schema, _, name = relation.rpartition(".")
            counts = [exp.func("count", exp.column(c, quoted=True)) for c in columns.split(",") if c]
            query = exp.select(exp.func("count", exp.Star()), *counts).from_(warehouse.table(None, schema, name))
            warehouse.query(query, purpose="floor", relation=relation)
        return time.perf_counter() - started


def measure(project: Path, url: str, fault_id: str) -> tuple[float, int, float, str]:
    started = time.perf_counter()
    result = trace(validation_result(FAULTS[fault_id]), project_dir=project, warehouse=url, use_history=False)
    seconds = time.perf_counter() - started
    (failure,) = result.failures
    top = failure.top
    verdict = f"{failure.verdict.value} {top.mechanism.value}" if top is not None else failure.verdict.value
    steps = [(s.relation, s.column) for s in failure.path if s.relation and "." in s.relation]
    return seconds, len(failure.probes), floor_seconds(url, steps), verdict


def measure_size(rows: int, faults: tuple[str, ...], repeats: int, spark: Any, run: Run) -> None:
    """Build `rows` on every engine, then per fault: fork, fault, alternate the engines; drop the copies."""
    server = PgServer.from_env()
    prefix = f"headwater_bench_{uuid.uuid4().hex[:8]}"
    created: list[str] = []
    clock = Stopwatch()
    loads: list[float] = []  # the 1-minute load average when each fault's runs start
    with tempfile.TemporaryDirectory(prefix="hw-scale-", dir=os.environ.get("HW_SCALE_TMP")) as tmp:
        root = Path(tmp)
        try:
            raw = generate_raw(root, rows, clock)
            clean = build_duckdb(raw, root / "clean", rows, clock)
            created.append(f"{prefix}_clean")
            template = create_database(server, created[-1])
            pg_clean = build_postgres(raw, root / "pg-clean", rows, server.database(created[-1]), clock)
            raw.unlink()
            print(f"built {rows:,} rows: {clock.report()}", flush=True)
            for fault_id in faults:
                duck = fault_duckdb(clean, root / f"duck-{fault_id}", fault_id)
                created.append(f"{prefix}_{len(created)}")
                forked = create_database(server, created[-1], template=template.dbname)
                pg = fault_postgres(pg_clean, root / f"pg-{fault_id}", fault_id, forked)
                targets = {"DuckDB": (duck, f"duckdb:///{database_path(duck)}"), "PostgreSQL": (pg, forked.url())}
                if spark is not None:
                    load_spark(spark, duck, root / "parquet")
                    targets["Spark"] = (duck, SPARK)
                loads.append(os.getloadavg()[0])
                for project, url in targets.values():  # untimed: the first trace pays imports, JIT, cold pages
                    measure(project, url, fault_id)
                found: dict[str, list[tuple[float, int, float, str]]] = {name: [] for name in targets}
                for _ in range(repeats):  # alternating, so that load on the machine hits every engine alike
                    for name, (project, url) in targets.items():
                        found[name].append(measure(project, url, fault_id))
                for name, runs in found.items():
                    wall = statistics.median(r[0] for r in runs)
                    floor = statistics.median(r[2] for r in runs)
                    row = (
                        f"| {rows:,} | {fault_id} | {name} | {runs[0][3]} | {wall:.2f} | {runs[0][1]} | "
                        f"{floor:.3f} | {wall / floor:.1f}x |"
                    )
                    print(row, flush=True)
                    run.results.append(row)
                drop_database(server, created.pop())  # a 10M-row fork is gigabytes: free it before the next
                shutil.rmtree(root / f"duck-{fault_id}")
                shutil.rmtree(root / f"pg-{fault_id}")
            run.builds.append(f"| {rows:,} | {clock.report()} | {min(loads):.1f} to {max(loads):.1f} |")
            run.loads += loads
        finally:
            for name in reversed(created):
                drop_database(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="a size (raw.events rows); repeatable")
    parser.add_argument("--spark-at", type=int, action="append", default=[], help="sizes also run on Spark")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fault", action="append", dest="faults")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    faults = tuple(args.faults or DEFAULT_FAULTS)
    sizes = sorted(set(args.rows or [200_000]) | set(args.spark_at), reverse=True)
    spark = None
    if args.spark_at:
        from tests.engines.spark_example import new_session

        spark = new_session()
    run = Run()
    started = time.perf_counter()
    for rows in sizes:
        measure_size(rows, faults, args.repeats, spark if rows in args.spark_at else None, run)
    minutes = (time.perf_counter() - started) / 60
    print(f"run took {minutes:.0f} min; 1-min load average per fault {run.loads}", flush=True)
    if args.write_docs:
        write_docs(run, args.repeats)


def _merge(kept: list[str], new: list[str], width: int) -> list[str]:
    """The section's old table rows of `width` cells that this run did not replace (same leading cells), then
    this run's, ordered by size and then engine."""

    def key(line: str) -> tuple[str, ...]:
        return tuple(c.strip() for c in line.split("|")[1 : (4 if width == 8 else 2)])

    def order(line: str) -> tuple[int, str, int]:
        cells = [c.strip() for c in line.split("|")[1:-1]]
        engine = ENGINES.index(cells[2]) if width == 8 and cells[2] in ENGINES else 0
        return (int(cells[0].replace(",", "")), cells[1] if width == 8 else "", engine)

    fresh = {key(line) for line in new}
    old = [ln for ln in kept if ln.count("|") == width + 1 and key(ln) not in fresh]
    return sorted([*old, *new], key=order)


def write_docs(run: Run, repeats: int) -> None:
    text = DOCS.read_text(encoding="utf-8")
    head, found, rest = text.partition(SECTION)
    section, nl_hash, tail = rest.partition("\n## ")
    kept = [ln for ln in section.splitlines() if ln.startswith("| ") and ln[2].isdigit()]
    results, builds = _merge(kept, run.results, 8), _merge(kept, run.builds, 3)
    body = (
        f"{SECTION}\n\n"
        "`python bench/engines/scale.py --rows 10000000 --rows 1000000 --spark-at 1000000 --write-docs`, then\n"
        "`--rows 100000 --spark-at 100000` (`bench/engines/scale.py`, builds in `bench/engines/builds.py`;\n"
        "each run replaces the rows it measures and keeps the others): the example built at each size on\n"
        "DuckDB and PostgreSQL (local server) and, at the `--spark-at` sizes, loaded into local Spark\n"
        "(local[2], one parquet table per relation); each fault applied to every engine. Per fault, one untimed\n"
        f"warm-up trace per engine, then the engines alternate, {repeats} runs, medians. *trace* is the wall time\n"
        "of `headwater.trace` (artifacts, lineage and every probe); *queries* the probes it sent; *floor* one\n"
        "scan per relation of the failure's path reading the checked columns, on the same engine: the least a\n"
        "re-check of each step needs. Measured on the shared 2-core machine of the other figures here, with\n"
        "other work on it (the load average of each size is in the build table below): read the ratios more\n"
        "than the seconds.\n\n"
        "Up to 10M rows a trace stays a small multiple of its floor on DuckDB and PostgreSQL (1x to 10x in\n"
        "the run recorded here, the most on DuckDB's filter fault): the fixed part (artifacts and lineage,\n"
        "about 0.1 s) fades as the data grows, and what remains are the probes a bare re-check would not send\n"
        "(the instrumented model SQL of the join and the filter, the join-miss keys), each scanning the same\n"
        "tables again. The queries per fault do not grow with the data. On Spark every query is a job (a few\n"
        "tenths of a second even on small tables), so the floor is already seconds at 1M and the trace 2x to\n"
        "4x it.\n\n"
        "| rows | fault | engine | verdict | trace (s) | queries | floor (s) | trace / floor |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(results) + "\n\n"
        "What a size costs to build, in seconds per stage: the raw tables generated once (DuckDB SQL) and the\n"
        "file copied into both projects, PostgreSQL loaded by COPY, the ML stage left out (no fault here\n"
        "crosses it); then per fault a copy with only the models downstream of it rebuilt. *load* is the\n"
        "1-minute load average when each fault's runs started.\n\n"
        "| rows | build stages | load |\n|---|---|---|\n" + "\n".join(builds) + "\n"
    )
    if found:
        DOCS.write_text(head + body + ("\n## " + tail if nl_hash else ""), encoding="utf-8")
    else:
        DOCS.write_text(text.rstrip("\n") + "\n\n" + body, encoding="utf-8")
    print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
