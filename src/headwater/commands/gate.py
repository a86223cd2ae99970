"""`headwater gate`: check schema contracts in CI and stop the pipeline before a breaking change spreads."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

EPILOG = """Examples:

  headwater gate --project-dir dbt_project_example

  headwater gate --contract contracts/ --dbt-contracts --project-dir . --format github

  headwater gate --dbt-contracts --project-dir . --from-catalog --state prod-target/ --format junit --output gate.xml

Exit codes: 0 pass, 1 a contract is violated, 2 usage or config error (a bad YAML names file and line),
3 could not evaluate (warehouse unreachable, ...): a failure unless --allow-unknown.
"""


class FailOn(StrEnum):
    breaking = "breaking"
    any = "any"
    none = "none"


class Format(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


def gate(
    contract: Annotated[
        list[Path] | None,
        typer.Option(
            "--contract", help="An ODCS v3 YAML file, a GX suite JSON or a folder of them (repeatable)."
        ),
    ] = None,
    dbt_contracts: Annotated[
        bool, typer.Option("--dbt-contracts", help="Check every dbt model whose contract is enforced.")
    ] = False,
    project_dir: Annotated[
        Path | None, typer.Option("--project-dir", help="The dbt project (manifest, profile, lineage).")
    ] = None,
    target_path: Annotated[
        Path | None,
        typer.Option("--target-path", help="dbt artifacts folder (default <project-dir>/target)."),
    ] = None,
    profiles_dir: Annotated[
        Path | None, typer.Option("--profiles-dir", help="Folder holding profiles.yml.")
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", help="duckdb:///file.duckdb or postgresql://user@host/db.")
    ] = None,
    from_catalog: Annotated[
        bool,
        typer.Option(
            "--from-catalog", help="Read the actual schema from catalog.json (no warehouse, no data rules)."
        ),
    ] = False,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state", help="Target dir of the deployed state: also flag contract changes since it."
        ),
    ] = None,
    gx_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--gx-dir",
            help="GX suites (JSON) to include in blast radius (repeatable; default: the gx/expectations "
            "folder of the project, of ./expectations or of the working directory).",
        ),
    ] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="What makes the gate fail.")] = FailOn.breaking,
    output_format: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to a file.")] = None,
    allow_unknown: Annotated[
        bool,
        typer.Option("--allow-unknown", help="Pass (exit 0) when some contracts could not be evaluated."),
    ] = False,
) -> None:
    """Check schema contracts in CI: upstream cause and blast radius of each break.

    Contracts: dbt model contracts, ODCS v3 files, GX suites with expect_table_schema_to_match_contract.
    """
    from headwater.contracts.gate import GateOptions, default_gx_dirs, exit_code, run_gate
    from headwater.contracts.render import render

    contracts = tuple(contract or ())
    gx_dirs = tuple(gx_dir or ()) or default_gx_dirs(project_dir)
    options = GateOptions(
        contracts=contracts,
        dbt_contracts=dbt_contracts,
        project_dir=project_dir,
        target_path=target_path,
        warehouse_url=warehouse,
        profiles_dir=profiles_dir,
        from_catalog=from_catalog,
        state=state,
        gx_dirs=gx_dirs,
    )
    report = run_gate(options)
    code = exit_code(report, fail_on.value, allow_unknown)
    text = render(report, output_format.value, code, project_dir)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output_format.value} report to {output}", err=True)
    else:
        typer.echo(text, nl=False)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("gate", epilog=EPILOG)(gate)
