"""`headwater lineage`: column lineage of one node/column, or coverage of the whole project (--stats)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from headwater.lineage.graph import LineageGraph
    from headwater.lineage.model import ColumnRef
    from headwater.lineage.stats import LineageStats

FORMATS = ("text", "json", "mermaid", "dot")  # what `headwater.lineage.render` renders
EPILOG = (
    "Examples: `headwater lineage dim_customers.email`, `headwater lineage shop.orders --downstream --depth 2`, "
    "`headwater lineage --stats --format json --project-dir dbt_project_example`."
)


def register(app: typer.Typer) -> None:
    app.command("lineage", epilog=EPILOG)(lineage)


def lineage(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="NODE[.COLUMN]", help="A unique_id, model name or source_name.table_name, with a column or not."
        ),
    ] = None,
    upstream: Annotated[bool, typer.Option("--upstream", help="Walk towards the sources (default).")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Walk towards the consumers.")] = False,
    depth: Annotated[int | None, typer.Option("--depth", min=1, help="Hops between nodes to follow.")] = None,
    project_dir: Annotated[Path | None, typer.Option("--project-dir", help="dbt project (reads its target/).")] = None,
    target_path: Annotated[Path | None, typer.Option("--target-path", help="dbt target directory.")] = None,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="Path to manifest.json.")] = None,
    catalog: Annotated[Path | None, typer.Option("--catalog", help="Path to catalog.json.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json, mermaid or dot.")] = "text",
    stats: Annotated[bool, typer.Option("--stats", help="Coverage of the whole manifest.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore and do not write target/headwater/.")] = False,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Cache directory (default target/headwater).")
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Worker processes (default: one per CPU).")] = None,
) -> None:
    """Column-level lineage from the dbt manifest's compiled SQL: edges with kinds, SQL and file:line."""
    from headwater.errors import ConfigError
    if output_format not in FORMATS:
        raise ConfigError(f"unknown --format {output_format!r}; use one of {', '.join(FORMATS)}.")
    if upstream and downstream:
        raise ConfigError("pass --upstream or --downstream, not both.")
    if not stats and not target:
        raise ConfigError("name a NODE[.COLUMN] to trace, or pass --stats for the whole project.")
    started = time.perf_counter()
    inputs = None
    if stats and not no_cache:  # the memo of a run on the very same bytes answers without parsing them
        from headwater.dbt.files import ArtifactPaths, read_inputs
        from headwater.lineage.memo import recall

        inputs = read_inputs(ArtifactPaths.of(project_dir, target_path, manifest, catalog))
        known = recall(inputs, project_dir, cache_dir) if inputs is not None else None
        if known is not None:
            _print_stats(known, started, output_format)
            return
    from headwater.dbt.loader import load_artifacts
    from headwater.lineage.build import build_lineage
    from headwater.lineage.render import render_dot, render_json, render_mermaid, render_tree

    artifacts = load_artifacts(
        project_dir=project_dir,
        target_path=target_path,
        manifest_path=manifest,
        catalog_path=catalog,
        run_results_path=None,
        include_run_results=False,
        include_tests=False,
        inputs=inputs,
    )
    # --stats never reads the edges' text or lines: they are computed only when a cache stores them.
    graph = build_lineage(artifacts, cache_dir=cache_dir, use_cache=not no_cache, workers=jobs, edge_text=not stats)
    if stats:
        _print_stats(graph.stats(), started, output_format)
        return
    assert target is not None
    refs = _refs(graph, target)
    walk = graph.downstream if downstream else graph.upstream
    direction = "downstream" if downstream else "upstream"
    if output_format == "text":
        typer.echo(render_tree(graph, refs, depth, upstream=not downstream))
        return
    edges = [e for ref in refs for e in walk(ref, depth)]
    if output_format == "json":
        typer.echo(render_json(refs, edges, direction))
    elif output_format == "mermaid":
        typer.echo(render_mermaid(edges))
    else:
        typer.echo(render_dot(edges))


def _print_stats(stats: LineageStats, started: float, output_format: str) -> None:
    from dataclasses import replace

    from headwater.errors import ConfigError
    from headwater.lineage.stats import render_stats

    if output_format not in ("text", "json"):
        raise ConfigError("--stats prints text or json.")
    typer.echo(render_stats(replace(stats, seconds=time.perf_counter() - started), as_json=output_format == "json"))


def _refs(graph: LineageGraph, target: str) -> list[ColumnRef]:
    from headwater.errors import ConfigError
    from headwater.lineage.model import ColumnRef
    try:
        node_id = graph.node_id(target)
        return [ColumnRef(node_id, c) for c in graph.columns_of(node_id)]
    except ConfigError as whole:
        if "." not in target:
            raise
        node_part, column = target.rsplit(".", 1)
        try:
            node_id = graph.node_id(node_part)
        except ConfigError:
            raise whole from None
        columns = graph.columns_of(node_id)
        name = column if column in columns else column.lower()  # a name whose case the dialect keeps, or not
        if name not in columns:
            from headwater.errors import suggest

            raise ConfigError(f"{node_part} has no column {column!r}.{suggest(name, columns)}") from None
        return [ColumnRef(node_id, name)]
