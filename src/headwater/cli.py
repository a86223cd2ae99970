"""The `headwater` command: parses, calls the library, renders. Nothing else lives here.

Sub-commands are registered from `headwater.commands.*`; each module imports its heavy dependencies
(great_expectations, dbt) inside the command function, so `headwater --help` stays fast.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

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

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"headwater {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _register_commands() -> None:
    # Imported here so a broken optional command never breaks `--help` of the others.
    from headwater.commands import register_all

    register_all(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one top-level handler turns a HeadwaterError into one line and its exit code."""
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
