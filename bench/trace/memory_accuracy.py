"""Trace accuracy with and without the memory, side by side in one run, on the example's fault list.

A snapshot of the clean build is recorded in a history store; then every fault is traced twice: on today's
data alone (`use_history=False`) and against that snapshot. The untyped variants of the schema faults
(`UNTYPED`: no `data_type` declared for the column) are made from their base fault's rebuilt copy. Each
answer is *right* (the ground truth's node, column and mechanism), *unknown* (the honest answer where only
history can tell), or *wrong*.

    python bench/trace/memory_accuracy.py --rows 40000 --write-docs   # about 4 min
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench" / "trace"))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from accuracy import prepare  # noqa: E402
from tests.trace.faultcases import drop_declared_types, validation_result  # noqa: E402

from headwater.example.build import copy_project  # noqa: E402
from headwater.example.fault_list import get_fault  # noqa: E402
from headwater.example.faults import FAULTS, UNTYPED  # noqa: E402
from headwater.history.snapshot import SnapshotOptions, record_snapshot  # noqa: E402
from headwater.trace import Failure, Verdict, trace  # noqa: E402

SECTION = "## Trace accuracy with and without history"


def judge(fault_id: str, failure: Failure) -> str:
    truth, top = get_fault(fault_id).truth, failure.top
    if failure.verdict == Verdict.UNKNOWN:
        return "unknown"
    if top is not None and top.node == truth.node and top.column in truth.columns and top.mechanism == truth.mechanism:
        return "right"
    return "wrong"


def run(rows: int, workdir: Path) -> list[dict[str, Any]]:
    clean, projects = prepare(rows, workdir, list(FAULTS))
    for fault_id, fault in UNTYPED.items():
        variant = workdir / f"{fault_id}-{rows}"
        if not variant.exists():
            copy_project(projects[fault.base], variant, with_build=True)
            drop_declared_types(variant, fault)
        projects[fault_id] = variant
    url = f"duckdb:///{(workdir / f'history-{rows}.duckdb').resolve()}"
    Path(url.removeprefix("duckdb:///")).unlink(missing_ok=True)
    record_snapshot(SnapshotOptions(project_dir=clean, history=url))
    out = []
    for fault_id, project in projects.items():
        row: dict[str, Any] = {"fault": fault_id, "needs_history": get_fault(fault_id).truth.needs_history}
        for name, kwargs in (("alone", {"use_history": False}), ("history", {"history": url})):
            started = time.perf_counter()
            (failure,) = trace(validation_result(get_fault(fault_id)), project_dir=project, **kwargs).failures
            top = failure.top
            row[name] = judge(fault_id, failure)
            row[f"{name}_got"] = f"{top.node.split('.')[-1]}.{top.column} {top.mechanism.value}" if top else "-"
            row[f"{name}_seconds"] = round(time.perf_counter() - started, 3)
        print(row, flush=True)
        out.append(row)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| fault | needs history | today's data alone | against the snapshot | s alone | s with history |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['fault']} | {'yes' if r['needs_history'] else ''} | {r['alone']}: {r['alone_got']} "
                     f"| {r['history']}: {r['history_got']} | {r['alone_seconds']:.2f} | {r['history_seconds']:.2f} |")
    for name, label in (("alone", "today's data alone"), ("history", "against the snapshot")):
        counts = {k: sum(1 for r in rows if r[name] == k) for k in ("right", "unknown", "wrong")}
        lines.append(f"\n{label}: **{counts['right']}/{len(rows)} right**, {counts['unknown']} unknown, "
                     f"{counts['wrong']} wrong.")
    return "\n".join(lines)


def write_docs(rows: int, data: list[dict[str, Any]]) -> None:
    docs = REPO / "docs" / "benchmarks.md"
    text = docs.read_text()
    body = (f"{SECTION}\n\n`python bench/trace/memory_accuracy.py --rows {rows} --write-docs`: one snapshot of the "
            f"clean build ({rows:,} rows in the largest table), then every fault traced twice in the same run. "
            "*unknown* is the honest answer where only the last good state can tell. The `_untyped` faults are "
            "the schema faults in a project that declares no `data_type` for the column (`faults.UNTYPED`).\n\n"
            + table(data) + "\n")
    if SECTION in text:
        start = text.index(SECTION)
        rest = text[start + len(SECTION):]
        end = rest.find("\n## ")
        text = text[:start] + body + (rest[end:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + body
    docs.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/headwater-bench-trace"))
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    data = run(args.rows, args.workdir)
    if args.write_docs:
        write_docs(args.rows, data)


if __name__ == "__main__":
    main()
