"""`headwater trace`: a failed GX expectation (or a direct question) -> the upstream node, column and SQL
expression that broke it, with evidence. Parses, calls `headwater.trace.trace`, renders; nothing else."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from headwater.trace.model import TraceResult

EPILOG = (
    "Examples: `headwater trace expectations/gx/uncommitted/headwater/marts-*.json --project-dir dbt_project_example`; "
    "`headwater trace --node fct_orders --column customer_region --check not_null --project-dir dbt_project_example`; "
    "`headwater trace --node mart_fraud_features --column amount --check between --arg min=0 --arg max=5000 "
    "--warehouse duckdb:///dbt_project_example/warehouse.duckdb --format json --out trace.json`. "
    "Exit codes: 0 every failure traced, 1 some failure unknown, 2 usage/config error, 3 warehouse unreachable."
)


def register(app: typer.Typer) -> None:
    app.command("trace", epilog=EPILOG)(trace_command)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    from headwater.errors import ConfigError

    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option} {value!r} is not key=value; write e.g. {option} min=0")
        out[key.strip()] = rest.strip()
    return out


def trace_command(
    result_file: Annotated[
        Path | None, typer.Argument(help="A GX validation result JSON (checkpoint or suite result).")
    ] = None,
    node: Annotated[
        str | None, typer.Option("--node", help="Node to check: model name, unique_id or source.table.")
    ] = None,
    column: Annotated[str | None, typer.Option("--column", help="Column of --node.")] = None,
    check: Annotated[
        str | None,
        typer.Option(
            "--check",
            help="not_null, unique, in_set, between, min, max, regex, row_count, schema, freshness, "
            "drift, referential, mcv_share, distinct_values, or an expect_* type.",
        ),
    ] = None,
    arg: Annotated[
        list[str] | None, typer.Option("--arg", help="Check argument key=value (repeatable), e.g. values=a,b.")
    ] = None,
    project_dir: Annotated[Path, typer.Option("--project-dir", help="dbt project directory.")] = Path(),
    profiles_dir: Annotated[Path | None, typer.Option("--profiles-dir", help="Directory of profiles.yml.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="dbt profile target.")] = None,
    target_path: Annotated[Path | None, typer.Option("--target-path", help="dbt target directory (artifacts).")] = None,
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", help="duckdb:///path or postgresql://user@host/db (instead of the profile)."),
    ] = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="ASSET=NODE for a GX asset named unlike its table.")
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=0, help="Row-level provenance for N failing rows.")] = 0,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reference time for freshness checks (ISO), default now.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Statement timeout in seconds.")] = 300.0,
    output_format: Annotated[str, typer.Option("--format", help="text, json, md or html (with --out).")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE instead of stdout.")] = None,
    sql: Annotated[bool, typer.Option("--sql", help="Text format: print each root cause's probe SQL.")] = False,
    history: Annotated[
        str | None,
        typer.Option(
            "--history",
            help="History store URL (default $HEADWATER_HISTORY, else the project's "
            ".headwater/history.duckdb when it exists).",
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="target/ of the deployed run: compare code and schema with it (dbt's --state)."),
    ] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Judge on today's data alone.")] = False,
    suggest: Annotated[
        Path | None,
        typer.Option("--suggest", help="Write the check catching each incident at its cause (GX, dbt, ODCS) to DIR."),
    ] = None,
    context_root: Annotated[
        Path | None,
        typer.Option("--context-root", help="GX project root: resolves describe_dict() batch ids to their tables."),
    ] = None,
    notify: Annotated[
        str | None, typer.Option("--notify", help="Webhook URL: post the incident summary as JSON (Slack-compatible).")
    ] = None,
) -> None:
    """Trace failed expectations to the first upstream node, column and SQL expression that broke them."""
    from headwater.errors import ConfigError
    from headwater.report.trace import FORMATS, render_trace
    from headwater.trace.api import trace

    if output_format not in FORMATS:
        raise ConfigError(f"unknown --format {output_format!r}; use one of {', '.join(FORMATS)}")
    if result_file is None and not (node and check):
        raise ConfigError("pass a GX validation result file, or --node NODE --column COL --check CHECK")
    reference = None
    if as_of:
        try:
            reference = datetime.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not an ISO date/time; write e.g. 2026-01-31T00:00:00") from None
    result = trace(
        result_file,
        node=node,
        column=column,
        check=check,
        args=_pairs(arg or [], "--arg"),
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        warehouse=warehouse,
        target_path=target_path,
        overrides=_pairs(map_ or [], "--map"),
        rows=rows,
        as_of=reference,
        timeout_seconds=timeout,
        history=history,
        state=state,
        use_history=not no_history,
        context_root=context_root,
    )
    text = render_trace(result, output_format, sql)
    if suggest is not None:
        from headwater.report.build import build_report
        from headwater.report.suggest import write_suggestions

        for path in write_suggestions(build_report(result), suggest):
            typer.echo(f"wrote {path}", err=True)
    if out is not None:
        # temporary file + rename: a reader (or a concurrent trace writing the same report) never sees half
        partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        partial.write_text(text + "\n")
        partial.replace(out)
        typer.echo(f"wrote {out}", err=True)
    elif output_format == "text" and sys.stdout.isatty():  # a person at a terminal: the same words, styled
        from headwater.report.trace_text import print_styled

        print_styled(text)
    else:
        typer.echo(text)
    if notify:
        _notify(notify, result)
    # sys.exit, not typer.Exit: the root handler runs click with standalone_mode=False, which turns
    # typer.Exit into a return value and would lose exit code 1 (some failure unknown).
    sys.exit(result.exit_code)


def _notify(url: str, result: TraceResult) -> None:
    """Post the incident summary; a failed post is said on stderr and changes neither the report nor the exit code."""
    from headwater.feeds.notify import payload, post

    sent = post(url, payload(result))
    if not sent.ok:
        typer.echo(f"warning: --notify {url} failed ({sent.error or sent.status}); the report above stands", err=True)
