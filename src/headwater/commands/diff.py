"""`headwater diff`: compare two dbt states; classify each model and column change; show its blast radius."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

EPILOG = """Examples:

  headwater diff --state prod-target/ --project-dir .

  headwater diff --state prod-target/ --target-path target/ --format json --fail-on breaking

Categories (as Recce / SQLMesh): breaking (rows change: JOIN/WHERE/GROUP BY; column removed; type
narrowed), partial_breaking (one column's expression changed), non_breaking (column added, type widened,
formatting), unknown (lineage could not tell).
"""


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


class DiffFailOn(StrEnum):
    breaking = "breaking"
    any = "any"
    none = "none"


def diff(
    state: Annotated[Path, typer.Option("--state", help="Target dir of the old (deployed) state.")],
    target_path: Annotated[
        Path | None,
        typer.Option("--target-path", help="Target dir of the new state (default <project-dir>/target)."),
    ] = None,
    project_dir: Annotated[Path | None, typer.Option("--project-dir", help="The dbt project folder.")] = None,
    output_format: Annotated[DiffFormat, typer.Option("--format", help="Report format.")] = DiffFormat.text,
    fail_on: Annotated[
        DiffFailOn, typer.Option("--fail-on", help="Exit 1 on breaking changes, on any change, or never.")
    ] = DiffFailOn.none,
    gx_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--gx-dir",
            help="GX suites (JSON) to include in blast radius (repeatable; default as `headwater gate`).",
        ),
    ] = None,
) -> None:
    """Compare two dbt states: changed models, column changes classified, blast radius.

    Models added, removed, modified (checksum) or schema-changed (catalog.json); each column change is
    breaking, partial_breaking, non_breaking or unknown.
    """
    from headwater.contracts.gate import default_gx_dirs
    from headwater.contracts.render_diff import diff_to_json, diff_to_text
    from headwater.contracts.state_diff import Category, diff_states
    from headwater.errors import ConfigError

    if not (state / "manifest.json").is_file():
        raise ConfigError(f"--state {state} has no manifest.json; pass the target/ folder of the old build")
    gx_dirs = tuple(gx_dir or ()) or default_gx_dirs(project_dir)
    result = diff_states(state, target_path, project_dir, gx_dirs)
    typer.echo(diff_to_json(result) if output_format is DiffFormat.json else diff_to_text(result), nl=False)
    failed = (
        fail_on is DiffFailOn.breaking and any(m.category is Category.BREAKING for m in result.models)
    ) or (fail_on is DiffFailOn.any and bool(result.models))
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    app.command("diff", epilog=EPILOG)(diff)
