"""`headwater timeline`: what the history store remembers of the project, a node or a column, in time order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from headwater.history.timeline import Event

EPILOG = (
    "Examples: `headwater timeline --project-dir dbt_project_example`; "
    "`headwater timeline dim_customers.email --since 2026-11-01`; "
    "`headwater timeline fct_orders --format json --history postgresql://ci@db.internal/headwater`. "
    "Checks are marked [last good] and [first bad] around their latest failure."
)
FORMATS = ("text", "json")


def register(app: typer.Typer) -> None:
    app.command("timeline", epilog=EPILOG)(timeline_command)


def timeline_command(
    target: Annotated[
        str | None,
        typer.Argument(metavar="[NODE[.COLUMN]]", help="A unique_id, model name or source.table, and a column."),
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only from this time on (ISO; UTC if no zone).")] = None,
    history: Annotated[
        str | None,
        typer.Option("--history", help="History store: a DuckDB path, duckdb:///file or postgresql://…"),
    ] = None,
    project_dir: Annotated[Path, typer.Option("--project-dir", help="dbt project directory.")] = Path(),
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """List snapshots, check outcomes, and schema, code and volume changes between consecutive snapshots."""
    import orjson

    from headwater.errors import ConfigError
    from headwater.history.store import open_store
    from headwater.history.timeline import resolve_target, timeline

    if output_format not in FORMATS:
        raise ConfigError(f"unknown --format {output_format!r}; use one of {', '.join(FORMATS)}")
    start = _iso(since) if since else None
    store = open_store(history, project_dir, create=False)
    snapshots, outcomes = store.load(start), store.outcomes(start)
    about = resolve_target(target, snapshots, outcomes) if target else None
    events = timeline(snapshots, outcomes, about)
    if output_format == "json":
        typer.echo(orjson.dumps([e.to_dict() for e in events], option=orjson.OPT_INDENT_2).decode())
        return
    if not events:
        typer.echo(f"nothing recorded{' since ' + since if since else ''} in {store.describe()}")
        return
    for event in events:
        typer.echo(_line(event))


def _iso(text: str) -> str:
    from headwater.errors import ConfigError

    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since {text!r} is not an ISO date/time; write e.g. 2026-11-01T00:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _line(event: Event) -> str:
    when = event.at[:19].replace("T", " ")
    sign = " " if event.success is None else ("✓" if event.success else "✗")
    where = f"{event.unique_id}  " if event.unique_id and event.kind != "check" else ""
    if event.kind == "check" and event.unique_id:
        where = f"{event.unique_id.split('.')[-1]}  "
    mark = f"  [{event.mark}]" if event.mark else ""
    return f"{when}  {event.kind:<8} {sign} {where}{event.summary}{mark}"
