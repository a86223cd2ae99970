"""The `headwater` command: parses, calls the library, renders. Nothing else lives here.

Sub-commands are registered from `headwater.commands.*`; each module imports its heavy dependencies
(great_expectations, dbt) inside the command function, so `headwater --help` stays fast.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headwater import __version__
from headwater.errors import EXIT_USAGE, HeadwaterError

app = typer.Typer(
    name="headwater",
    help="Trace a failed data contract to the upstream source table and transformation that broke it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

if TYPE_CHECKING:
    from headwater.feeds.sinks import Sinks

_state = {"debug": False}
_feeds: list[Sinks] = []  # what `--log-format json`, `--metrics` and OTEL_TRACES_EXPORTER attached, finished by main


def _version(value: bool) -> None:
    if value:
        typer.echo(f"headwater {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
    log_format: Annotated[
        str, typer.Option("--log-format", help="text, or json: one JSON object per line on stderr for each stage.")
    ] = "text",
    metrics: Annotated[
        Path | None,
        typer.Option("--metrics", help="Write Prometheus metrics of this run to FILE (textfile-collector format)."),
    ] = None,
) -> None:
    _state["debug"] = debug
    from headwater.feeds.sinks import install

    # Spans follow OTEL_TRACES_EXPORTER (see docs/feeds.md).
    _feeds.append(install(ctx.invoked_subcommand or "headwater", log_format, metrics))


def _register_commands() -> None:
    # Imported here so a broken optional command never breaks `--help` of the others.
    from headwater.commands import register_all

    register_all(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one top-level handler turns a HeadwaterError into one line and its exit code; the feeds
    (metrics file, spans) are finished with that exit code whatever happened."""
    code: int | str | None = 0
    try:
        _main(argv)
    except SystemExit as done:
        code = done.code
        raise
    except BaseException:
        code = 1
        raise
    finally:
        while _feeds:
            _feeds.pop().finish(code if isinstance(code, int) else 1)


def _main(argv: list[str] | None) -> None:
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        code = app(args=args, standalone_mode=False)
        # In non-standalone mode click returns the code of `typer.Exit(code)` instead of raising it.
        if isinstance(code, int) and code:
            sys.exit(code)
    except HeadwaterError as err:
        if _state["debug"]:
            traceback.print_exc()
        typer.echo(f"Error: {err}", err=True)
        if not _state["debug"]:
            typer.echo("Run with --debug for the traceback.", err=True)
        sys.exit(err.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as err:
        # Usage errors (bad option values, unknown commands) come from typer's bundled click in
        # non-standalone mode; they know how to show themselves and carry exit code 2.
        show = getattr(err, "show", None)
        if callable(show) and isinstance(getattr(err, "exit_code", None), int):
            show()
            sys.exit(err.exit_code)  # type: ignore[attr-defined]
        raise


if __name__ == "__main__":
    main()
