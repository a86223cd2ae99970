"""GX numbers for docs/benchmarks.md: import cost, the marts checkpoint, and headwater's expectations
(pushed down to DuckDB) on the example warehouse.

    .venv/bin/python bench/gx/measure.py --rows 100000 [--project-dir /tmp/hw-gx/project]

Builds the example at `--rows` in a temporary folder unless `--project-dir` already holds a build.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def timed(label: str, rows: list[tuple[str, str]], fn: Any) -> Any:
    started = time.perf_counter()
    value = fn()
    rows.append((label, f"{time.perf_counter() - started:.2f} s"))
    return value


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--project-dir", type=Path, default=None)
    args = parser.parse_args()

    from headwater.example.build import build_example, copy_project, database_path

    rows: list[tuple[str, str]] = []
    project = args.project_dir or Path(tempfile.mkdtemp(prefix="hw-gx-")) / "project"
    if not database_path(project).exists():
        copy_project(REPO / "dbt_project_example", project)
        timed(f"build example ({args.rows:,} rows)", rows, lambda: build_example(project, args.rows))
    database = database_path(project)

    rows.append(
        ("import great_expectations (fresh process)", f"{import_seconds('great_expectations'):.2f} s")
    )
    rows.append(
        ("import headwater.gx (fresh process, includes GX)", f"{import_seconds('headwater.gx'):.2f} s")
    )

    import great_expectations as gx

    import headwater.gx as hg
    from headwater.gx.baseline import baseline_document, profile_batch
    from headwater.gx.checkpoint import run_marts_checkpoint

    root = Path(tempfile.mkdtemp(prefix="hw-gx-ctx-")) / "expectations"
    shutil.copytree(REPO / "expectations" / "gx" / "expectations", root / "gx" / "expectations")
    first = timed(
        "marts checkpoint, first run (creates the context)",
        rows,
        lambda: run_marts_checkpoint(root, database),
    )
    timed("marts checkpoint, second run", rows, lambda: run_marts_checkpoint(root, database))
    rows.append(("  expectations evaluated / failed", f"{first.evaluated} / {len(first.failures)}"))

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_duckdb("w", connection_string=hg.duckdb_url(database))

    def batch(table: str) -> Any:
        asset = source.add_table_asset(table, table_name=table, schema_name="marts")
        return asset.add_batch_definition_whole_table("all").get_batch()

    fraud, events, orders, customers = (
        batch(t) for t in ("mart_fraud_features", "fct_events_daily", "fct_orders", "dim_customers")
    )
    row_count = gx.expectations.ExpectTableRowCountToBeBetween(min_value=0)
    marts = (("mart_fraud_features", fraud), ("fct_events_daily", events), ("fct_orders", orders))
    counts = {t: b.validate(row_count).result["observed_value"] for t, b in marts}
    rows.append(
        (
            "  rows: mart_fraud_features / fct_events_daily / fct_orders",
            " / ".join(f"{n:,}" for n in counts.values()),
        )
    )
    profile = timed("baseline: amount + payment_method (quantiles, bins, group-by)", rows,
                    lambda: profile_batch(fraud, ["amount", "payment_method"]))  # fmt: skip
    device = timed("baseline: fct_events_daily.device", rows, lambda: profile_batch(events, ["device"]))
    document = baseline_document("marts", {**profile, **device})
    cases = [
        ("ExpectColumnDistributionToMatchBaseline amount (numeric)", fraud,
         hg.ExpectColumnDistributionToMatchBaseline(column="amount", baseline=document["columns"]["amount"])),
        ("ExpectColumnDistributionToMatchBaseline device (categorical)", events,
         hg.ExpectColumnDistributionToMatchBaseline(column="device", baseline=document["columns"]["device"])),
        ("ExpectColumnValuesToExistInTable fct_orders.customer_id", orders,
         hg.ExpectColumnValuesToExistInTable(column="customer_id", to_table="marts.dim_customers")),
        ("ExpectColumnMostCommonValueShareToBeBelow fraud_score", fraud,
         hg.ExpectColumnMostCommonValueShareToBeBelow(column="fraud_score", max_share=0.6)),
        ("ExpectTableToBeFresh fct_orders.ordered_at", orders,
         hg.ExpectTableToBeFresh(column="ordered_at", max_lag="1d", reference_time="2026-01-31T00:00:00")),
        ("ExpectTableSchemaToMatchContract dim_customers (information_schema)", customers,
         hg.ExpectTableSchemaToMatchContract(dbt_manifest=str(project / "target" / "manifest.json"),
                                             dbt_model="dim_customers")),
    ]  # fmt: skip
    for label, target, expectation in cases:
        result = timed(label, rows, lambda t=target, e=expectation: t.validate(e))
        rows[-1] = (rows[-1][0] + (" ✓" if result.success else " ✗"), rows[-1][1])
    source.close()
    shutil.rmtree(root.parent, ignore_errors=True)
    rows += drift_sensitivity(project, document["columns"]["amount"])
    print("| what | result |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


def drift_sensitivity(project: Path, amount_baseline: dict[str, Any]) -> list[tuple[str, str]]:
    """Does numeric drift catch `payment_amount_x100` (2% of amounts x100) against the clean baseline?"""
    import great_expectations as gx

    import headwater.gx as hg
    from headwater.example.build import copy_project, database_path, rebuild_models
    from headwater.example.faults import FAULTS

    with tempfile.TemporaryDirectory(prefix="hw-gx-x100-") as workdir:  # a copy of the build: 0.6 GB at 10M
        faulted = copy_project(project, Path(workdir) / "project", with_build=True)
        FAULTS["payment_amount_x100"].apply(faulted)
        rebuild_models(faulted)
        source = gx.get_context(mode="ephemeral").data_sources.add_duckdb(
            "x100", connection_string=hg.duckdb_url(database_path(faulted))
        )
        try:
            asset = source.add_table_asset("fraud", table_name="mart_fraud_features", schema_name="marts")
            batch = asset.add_batch_definition_whole_table("all").get_batch()
            result = batch.validate(
                hg.ExpectColumnDistributionToMatchBaseline(column="amount", baseline=amount_baseline)
            )
        finally:
            source.close()
    details = result.result["details"]
    verdict = "fails ✓" if not result.success else "passes (not detected)"
    return [(
        "drift: payment_amount_x100 vs clean baseline (amount, default thresholds)",
        f"{verdict}: PSI {details['psi']:.3f}, KS D {details['ks_statistic']:.3f} p {details['ks_pvalue']:.2g}",
    )]  # fmt: skip


if __name__ == "__main__":
    main()
