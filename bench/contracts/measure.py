"""Contracts benchmarks; prints a Markdown table for docs/benchmarks.md (section "Contracts and gate").

    .venv/bin/python bench/contracts/measure.py [--rows 100000] [--work /tmp/hw-bench-contracts]

1. Type normalisation over every catalog column of the shared corpora (per dialect): columns/s and the
   share left UNKNOWN (types sqlglot cannot parse).
2. `headwater gate` on the example (clean): warehouse (schema + data rules) and --from-catalog, lineage
   cache cold and warm; on the rename_product_name fault (with upstream cause + blast radius); and on
   fraud_join_key_fanout (data rules whose cause `headwater.trace` finds: a fan-out join).
3. `headwater diff` clean → items_join_inner_to_left.
Each gate/diff is one in-process call after a warm-up import; wall time by time.perf_counter.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import orjson

from headwater.contracts.gate import GateOptions, exit_code, run_gate
from headwater.contracts.state_diff import diff_states
from headwater.contracts.types import TypeFamily, normalize_type
from headwater.example.build import build_example, copy_project, rebuild_models
from headwater.example.faults import FAULTS

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery", "snowflake": "snowflake"}


def types_over_corpora() -> list[str]:
    rows = []
    for folder in sorted(CORPORA.iterdir()):
        catalog, manifest = folder / "catalog.json", folder / "manifest.json"
        if not catalog.exists() or not manifest.exists():
            continue
        adapter = orjson.loads(manifest.read_bytes())["metadata"].get("adapter_type", "")
        data = orjson.loads(catalog.read_bytes())
        types = [c.get("type") or "" for s in ("nodes", "sources") for t in data.get(s, {}).values()
                 for c in t["columns"].values()]  # fmt: skip
        started = time.perf_counter()
        normalized = [normalize_type(t, DIALECTS.get(adapter)) for t in types]
        seconds = time.perf_counter() - started
        unknown = sorted(
            {t for t, n in zip(types, normalized, strict=True) if n.family is TypeFamily.UNKNOWN}
        )
        rows.append(
            f"| normalize_type, {folder.name} ({adapter}) | {len(types):,} columns | "
            f"{len(types) / seconds:,.0f} columns/s | unknown: {len(unknown)} distinct {unknown[:3]} |"
        )
    return rows


def timed(label: str, fn: object) -> tuple[str, object]:
    started = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return f"{time.perf_counter() - started:.2f} s", result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/hw-bench-contracts"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    source = Path(__file__).resolve().parents[2] / "dbt_project_example"
    clean = copy_project(source, args.work / "clean")
    build_example(clean, rows=args.rows)
    rename = copy_project(clean, args.work / "rename", with_build=True)
    FAULTS["rename_product_name"].apply(rename)
    rebuild_models(rename)
    fanout = copy_project(clean, args.work / "fanout", with_build=True)
    FAULTS["fraud_join_key_fanout"].apply(fanout)
    rebuild_models(fanout)
    join = copy_project(clean, args.work / "join", with_build=True)
    FAULTS["items_join_inner_to_left"].apply(join)
    rebuild_models(join)

    lines = ["| what | size | wall time / rate | notes |", "|---|---|---|---|", *types_over_corpora()]
    size = f"{args.rows:,} rows in raw.events"
    for label, project, catalog in (
        ("gate, clean, warehouse (schema + data rules; no break, so no lineage)", clean, False),
        ("gate, clean, --from-catalog (schema only)", clean, True),
        ("gate, rename_product_name, lineage cache cold (cause + blast radius)", rename, False),
        ("gate, rename_product_name, lineage cache warm", rename, False),
        ("gate, fraud_join_key_fanout, lineage cache warm (2 data rules traced)", fanout, False),
    ):
        if "fanout" in label:
            run_gate(GateOptions(project_dir=project))  # warms the lineage cache
        if "cold" in label:
            shutil.rmtree(project / "target" / "headwater", ignore_errors=True)
        took, report = timed(
            label, lambda p=project, c=catalog: run_gate(GateOptions(project_dir=p, from_catalog=c))
        )
        lines.append(f"| {label} | {size} | {took} | exit {exit_code(report)} |")  # type: ignore[arg-type]
    took, diff = timed("diff", lambda: diff_states(clean / "target", join / "target"))
    lines.append(
        f"| diff clean → items_join_inner_to_left | {size} | {took} | {len(diff.models)} model(s) changed |"
    )  # type: ignore[attr-defined]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
