"""`headwater snapshot`: record one run of the project (code, schemas, run results, column profiles) in the
history store. Parses, calls `headwater.history.snapshot.record_snapshot`, prints one line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EPILOG = (
    "Examples: `headwater snapshot --project-dir dbt_project_example` (after `dbt build`); "
    "`headwater snapshot --select marts --budget-seconds 20`; "
    "`headwater snapshot --history postgresql://ci@db.internal/headwater` (a store the team shares; "
    "or set HEADWATER_HISTORY). Default store: <project-dir>/.headwater/history.duckdb. "
    "Exit codes: 0 recorded, 2 usage/config error, 3 warehouse or history store unreachable."
)


def register(app: typer.Typer) -> None:
    app.command("snapshot", epilog=EPILOG)(snapshot_command)


def snapshot_command(
    project_dir: Annotated[Path, typer.Option("--project-dir", help="dbt project directory.")] = Path(),
    profiles_dir: Annotated[Path | None, typer.Option("--profiles-dir", help="Directory of profiles.yml.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="dbt profile target.")] = None,
    target_path: Annotated[
        Path | None, typer.Option("--target-path", help="dbt artifacts folder (default <project-dir>/target).")
    ] = None,
    select: Annotated[
        str | None,
        typer.Option("--select", "-s", help="dbt selector of the relations to profile (default: every one)."),
    ] = None,
    history: Annotated[
        str | None,
        typer.Option("--history", help="History store: a DuckDB path, duckdb:///file or postgresql://…"),
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="duckdb:///path or postgresql://… instead of the profile.")
    ] = None,
    budget_seconds: Annotated[
        float, typer.Option("--budget-seconds", min=0.0, help="Stop profiling after this long (skipped listed).")
    ] = 60.0,
    no_profile: Annotated[
        bool, typer.Option("--no-profile", help="Record artifacts only; send no query to the warehouse.")
    ] = False,
) -> None:
    """Record the project's state now: manifest, code, schemas, run results, freshness and column profiles."""
    from headwater.history.snapshot import SnapshotOptions, record_snapshot

    report = record_snapshot(
        SnapshotOptions(
            project_dir=project_dir,
            profiles_dir=profiles_dir,
            target=target,
            target_path=target_path,
            selector=select,
            warehouse_url=warehouse,
            history=history,
            budget_seconds=budget_seconds,
            profile=not no_profile,
        )
    )
    typer.echo(report.line())
    for skipped in report.snapshot.skipped:
        typer.echo(f"  skipped {skipped.unique_id}: {skipped.reason}", err=True)
