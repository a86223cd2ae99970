"""`headwater example ...`: build the example warehouse and inject or revert faults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

example_app = typer.Typer(help="The example e-commerce warehouse: build it, break it on purpose.", no_args_is_help=True)

ProjectDir = Annotated[Path, typer.Option("--project-dir", help="The example dbt project folder.")]


@example_app.command("build")
def build(
    project_dir: ProjectDir = Path("dbt_project_example"),
    rows: Annotated[int, typer.Option("--rows", help="Rows in the largest table (raw.events).")] = 100_000,
) -> None:
    """Generate the source data and run dbt build + dbt docs generate."""
    from headwater.example.build import build_example

    result = build_example(project_dir, rows)
    counts = result.counts
    typer.echo(
        f"built {result.database} (events {counts.events:,}, orders {counts.orders:,}, "
        f"customers {counts.customers:,}, products {counts.products:,}); artifacts in {project_dir / 'target'}"
    )


@example_app.command("faults")
def list_faults() -> None:
    """List the faults that can be injected, with their ground truth."""
    from headwater.example.faults import FAULTS
    from headwater.example.ml_faults import ML_FAULTS

    for fault in (*FAULTS.values(), *ML_FAULTS):
        truth = fault.truth
        typer.echo(
            f"{fault.id:28} {fault.kind:7} {fault.description}\n{'':37}root cause: {truth.node} "
            f"{'/'.join(truth.columns)} ({truth.mechanism}); fails: {fault.expectation}"
        )


FaultId = Annotated[str, typer.Argument(help="A fault id from `headwater example faults`.")]
Rebuild = Annotated[bool, typer.Option(help="Rebuild models and artifacts afterwards (dbt run + docs generate).")]


def _change(fault_id: str, project_dir: Path, rebuild: bool, revert: bool) -> None:
    from headwater.example.build import rebuild_models
    from headwater.example.fault_list import get_fault

    fault = get_fault(fault_id)
    if revert:
        fault.revert(project_dir)
        typer.echo(f"reverted {fault.id}")
    else:
        fault.apply(project_dir)
        typer.echo(f"injected {fault.id}: {fault.description}")
    if rebuild:
        rebuild_models(project_dir)
        typer.echo("rebuilt models and artifacts")


@example_app.command("inject")
def inject(fault_id: FaultId, project_dir: ProjectDir = Path("dbt_project_example"), rebuild: Rebuild = True) -> None:
    """Inject one fault into the built example (reversible with `revert`)."""
    _change(fault_id, project_dir, rebuild, revert=False)


@example_app.command("revert")
def revert(fault_id: FaultId, project_dir: ProjectDir = Path("dbt_project_example"), rebuild: Rebuild = True) -> None:
    """Undo a fault injected with `inject`."""
    _change(fault_id, project_dir, rebuild, revert=True)


def register(app: typer.Typer) -> None:
    app.add_typer(example_app, name="example")
