"""`headwater openlineage`: OpenLineage run events (JSON lines) for the project's models, with column
lineage, and for a GX result, with data quality assertions. Parses, calls `headwater.feeds.openlineage`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EPILOG = (
    "Examples: `headwater openlineage --project-dir dbt_project_example --out lineage.jsonl`; "
    "`headwater openlineage --result expectations/gx/uncommitted/headwater/marts-*.json --out ol.jsonl` "
    "(then e.g. `curl -X POST $MARQUEZ/api/v1/lineage -H 'Content-Type: application/json' -d @line`; "
    "see docs/feeds.md). Exit codes: 0 written, 2 usage/config error."
)


def register(app: typer.Typer) -> None:
    app.command("openlineage", epilog=EPILOG)(openlineage_command)


def openlineage_command(
    out: Annotated[Path, typer.Option("--out", help="Write the events to FILE, one JSON object a line.")],
    project_dir: Annotated[Path, typer.Option("--project-dir", help="dbt project directory.")] = Path(),
    target_path: Annotated[Path | None, typer.Option("--target-path", help="dbt target directory (artifacts).")] = None,
    result: Annotated[
        Path | None, typer.Option("--result", help="A GX result JSON: adds dataQualityAssertions events.")
    ] = None,
    context_root: Annotated[
        Path | None, typer.Option("--context-root", help="GX project root, for describe_dict() results.")
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="ASSET=NODE for a GX asset named unlike its table.")
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--dataset-namespace", help="Dataset namespace (default <adapter>://<database>)."),
    ] = None,
) -> None:
    """Write OpenLineage run events: columnLineage for every model, dataQualityAssertions from a GX result."""
    import itertools

    from headwater.commands.trace import _pairs
    from headwater.dbt import load_artifacts
    from headwater.errors import ConfigError
    from headwater.feeds.openlineage import Namer, assertion_events, lineage_events, write_events
    from headwater.lineage import build_lineage
    from headwater.trace.gx_results import expectation_results

    artifacts = load_artifacts(project_dir=project_dir, target_path=target_path, include_run_results=False)
    namer = Namer(artifacts.manifest.adapter_type or "dbt", namespace)
    events = lineage_events(artifacts, build_lineage(artifacts), namer)
    if result is not None:
        import orjson

        try:
            found = expectation_results(orjson.loads(result.read_bytes()), context_root)
        except (OSError, orjson.JSONDecodeError) as err:
            raise ConfigError(f"--result {result} could not be read ({err}); pass the JSON GX wrote") from None
        if found is None:
            raise ConfigError(f"--result {result} holds no GX validation result; pass a checkpoint or suite result")
        events = itertools.chain(events, assertion_events(artifacts, found, namer, _pairs(map_ or [], "--map")))
    count = write_events(out, events)
    typer.echo(f"wrote {count} OpenLineage events to {out}", err=True)
