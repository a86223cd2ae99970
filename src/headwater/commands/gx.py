"""`headwater gx ...` (attach, suites-from-dbt, run) and `headwater baseline`.

great_expectations (~7 s to import) is imported inside each command, never when the CLI starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headwater.errors import EXIT_FAILED

gx_app = typer.Typer(
    help="Great Expectations: attach headwater to checkpoints, generate suites, run.", no_args_is_help=True
)

ContextRoot = Annotated[
    Path, typer.Option("--context-root", help="GX project root (holds gx/great_expectations.yml).")
]


@gx_app.command(
    "attach",
    epilog="Example: headwater gx attach --context-root expectations --checkpoint marts --trace --gate",
)
def attach_command(
    context_root: ContextRoot,
    checkpoint: Annotated[str, typer.Option("--checkpoint", help="Name of the existing checkpoint.")],
    trace: Annotated[bool, typer.Option("--trace", help="Add TraceRootCauseAction.")] = False,
    gate: Annotated[
        bool, typer.Option("--gate", help="Add ContractGateAction (raises on critical/contract failures).")
    ] = False,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", help="Also validate this suite (repeatable).")
    ] = None,
    project_dir: Annotated[
        Path, typer.Option("--project-dir", help="dbt project the tracer reads.")
    ] = Path(),
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="Warehouse URL for the tracer (default: dbt profile).")
    ] = None,
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="Where the trace action writes reports.")
    ] = Path("headwater_reports"),
) -> None:
    """Add headwater's actions to an existing file-context checkpoint (idempotent; backs up what it changes)."""
    from headwater.gx.attach import attach

    trace_options = (
        {
            "project_dir": str(project_dir.resolve()),
            "report_dir": str(report_dir.resolve()),
            **({"warehouse": warehouse} if warehouse else {}),  # unset: keep what the action has
        }
        if trace
        else None
    )
    result = attach(
        context_root, checkpoint, trace=trace_options, gate={} if gate else None, suites=suite or ()
    )
    if not result.changed:
        typer.echo(f"{result.checkpoint}: already up to date")
        return
    changes = [*(f"added {a}" for a in result.added), *(f"updated {u}" for u in result.updated)]
    typer.echo(f"{result.checkpoint}: {', '.join(changes)} (backup: {result.backup})")


@gx_app.command(
    "suites-from-dbt",
    epilog="Example: headwater gx suites-from-dbt --project-dir dbt_project_example --select tag:marts"
    " --context-root expectations",
)
def suites_command(
    context_root: ContextRoot,
    project_dir: Annotated[
        Path, typer.Option("--project-dir", help="dbt project (reads target/manifest.json).")
    ] = Path(),
    select: Annotated[
        str | None, typer.Option("--select", help="dbt-style selector (default: every model).")
    ] = None,
) -> None:
    """Write one GX suite per dbt model from its tests and contract (re-running updates them)."""
    from headwater.gx.suites_from_dbt import suites_from_dbt

    result = suites_from_dbt(context_root, project_dir, select)
    for path in result.written:
        typer.echo(f"wrote {path}")
    for skipped in result.skipped_tests:
        typer.echo(f"skipped {skipped}")


@gx_app.command(
    "run",
    epilog="Example: headwater gx run --context-root expectations --duckdb dbt_project_example/warehouse.duckdb",
)
def run_command(
    context_root: ContextRoot,
    duckdb: Annotated[Path, typer.Option("--duckdb", help="The DuckDB warehouse file (opened read-only).")],
    checkpoint: Annotated[
        str, typer.Option("--checkpoint", help="Checkpoint to run (created over all suites if absent).")
    ] = "marts",
) -> None:
    """Run a checkpoint over every suite of the context; exit 1 when an expectation fails."""
    from headwater.gx.actions import ContractGateError
    from headwater.gx.checkpoint import run_marts_checkpoint

    try:
        outcome = run_marts_checkpoint(context_root, duckdb, checkpoint)
    except ContractGateError as gated:  # the checkpoint's gate action stopped the run: show why, then fail
        for failure in gated.failures:
            typer.echo(
                f"  GATED {failure.suite}: {failure.expectation_type} {failure.column or ''}: {failure.observed}"
            )
        for verdict in gated.verdicts:
            typer.echo(f"  TRACED {verdict}")
        for report in gated.reports:
            typer.echo(f"report: {report}")
        raise
    typer.echo(
        f"{outcome.checkpoint}: {outcome.evaluated - len(outcome.failures)}/{outcome.evaluated} expectations passed"
    )
    for failure in outcome.failures:
        column = f" {failure.column}" if failure.column else ""
        typer.echo(f"  FAILED {failure.suite}: {failure.expectation_type}{column}: {failure.observed}")
    typer.echo(f"result: {outcome.result_path}")
    if not outcome.success:
        raise typer.Exit(EXIT_FAILED)


def baseline_command(
    warehouse: Annotated[
        str, typer.Option("--warehouse", help="DuckDB file path or URL (duckdb:///…, postgresql://…).")
    ],
    table: Annotated[str, typer.Option("--table", help="schema.table to profile.")],
    out: Annotated[Path, typer.Option("--out", help="Baseline JSON to write.")],
    column: Annotated[
        list[str] | None, typer.Option("--column", help="Column to profile (repeatable; default all).")
    ] = None,
    bins: Annotated[int, typer.Option("--bins", help="Quantile bins for numeric columns.")] = 10,
) -> None:
    """Profile columns into a baseline for ExpectColumnDistributionToMatchBaseline(baseline_path=...)."""
    from headwater.gx.baseline import baseline_from_warehouse

    path = baseline_from_warehouse(warehouse, table, out, column or None, bins)
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(gx_app, name="gx")
    app.command(
        "baseline",
        epilog="Example: headwater baseline --warehouse dbt_project_example/warehouse.duckdb"
        " --table marts.mart_fraud_features --column amount --column payment_method --out baselines/fraud.json",
    )(baseline_command)
