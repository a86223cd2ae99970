"""The `headwater` command: parses, calls the library, renders. Nothing else lives here.

Sub-commands are registered from `headwater.commands.*`; each module imports its heavy dependencies
(great_expectations, dbt) inside the command function, so `headwater --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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


def _register_commands(invoked: str | None = None) -> None:
    """Register every sub-command; `invoked`: the first argument, when it names one, keeps that one alone,
    since typer builds the click command of each one registered (~30 ms for all of them) on every run, and
    imports only its module when the module has its name. Anything else (an option first, a misspelt name:
    "Did you mean"?) registers them all."""
    # Imported here so a broken optional command never breaks `--help` of the others.
    from headwater.commands import COMMAND_MODULES, register_all

    module = f"headwater.commands.{invoked}"
    if module in COMMAND_MODULES:  # a command registered by the module of its name: that module alone
        importlib.import_module(module).register(app)
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    if invoked not in names:
        register_all(app)
        names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    if invoked is not None and invoked in names:
        # The last registration of a name is the one click keeps (each in-process `main` registers again).
        app.registered_commands = [c for c in app.registered_commands if c.name == invoked][-1:]
        app.registered_groups = [g for g in app.registered_groups if g.name == invoked][-1:]
    _plain_coercion()


_DIGITS = frozenset("0123456789")


def _plain_coercion() -> None:
    """Coerce plain `str`, `int` and `Path` option values without pydantic; any other value goes to typer.

    typer 0.29 coerces every non-bool parameter through a pydantic `TypeAdapter`: the first one imports
    pydantic (~0.1 s of CPU, a quarter of a `headwater` start-up) and builds a schema per parameter. A
    value here is one typer would accept as it is (a str; an int of plain digits within min/max; a
    non-empty path, checked by typer's own path rules); for anything else (an invalid value, so its
    error message and exit code) typer's own coercion runs. On a typer without these internals nothing
    is patched. tests/lineage/test_cli_coercion.py compares both on every parameter of every command."""
    try:
        from typer import core as typer_core
        from typer._click.exceptions import BadParameter
        from typer._param_types import coerce_cli_path

        param_class = typer_core._TyperParameter
        typer_runtime_param = param_class.get_runtime_param
    except (ImportError, AttributeError):  # pragma: no cover - another typer: its own coercion throughout
        return
    if getattr(typer_runtime_param, "headwater_plain", False):
        return

    def plain_value(param: Any, value: Any, ctx: Any) -> Any:
        """The coerced value, or `param` itself when typer's coercion must decide."""
        desc = param.type_descriptor
        info, annotation = desc.parameter_info, desc.annotation
        if desc.file_annotation is not None or info.parser is not None or param.multiple or param.nargs != 1:
            return param
        if annotation is str and type(value) is str and desc.choices is None:
            return value
        if annotation is int and not info.clamp and (type(value) is int or _is_digits(value)):
            number = int(value)
            too_low = info.min is not None and number < info.min
            return param if too_low or (info.max is not None and number > info.max) else number
        if annotation is not Path or info.path_type is not None:
            return param
        path = value if isinstance(value, Path) else Path(value) if type(value) is str and value else None
        if path is None:
            return param
        try:  # typer's own path rules, on a str made a Path as pydantic makes it
            return coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
        except BadParameter:
            return param  # typer words the message (it shows the value as given)

    class PlainParam:
        def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
            if value is None and not (param.multiple or param.nargs == -1):
                return None  # what typer's coercion gives for a missing single value, adapter or not
            done = plain_value(param, value, ctx)
            if done is not param:
                return done
            return typer_runtime_param(param).coerce(value, param=param, ctx=ctx)

    plain = PlainParam()

    def get_runtime_param(self: Any) -> Any:
        return plain

    get_runtime_param.headwater_plain = True  # type: ignore[attr-defined]
    get_runtime_param.typer_runtime_param = typer_runtime_param  # type: ignore[attr-defined]  # for the tests
    param_class.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


def _is_digits(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= 18 and _DIGITS.issuperset(value)


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
    args = sys.argv[1:] if argv is None else argv
    _register_commands(args[0] if args else None)
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
