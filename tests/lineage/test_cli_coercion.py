"""The CLI's pydantic-free coercion of plain option values (`headwater.cli._plain_coercion`) gives what
typer's own coercion gives: the same value, or the same error, on every parameter of every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer import core as typer_core
from typer._click import Context
from typer._click.exceptions import BadParameter

from headwater.cli import _register_commands, app


def _params() -> list[tuple[Any, Any]]:
    _register_commands()
    found: list[tuple[Any, Any]] = []
    stack = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        found.extend((command, p) for p in command.params)
        stack.extend(getattr(command, "commands", {}).values())
    return found


def _outcome(runtime: Any, param: Any, value: Any, ctx: Context) -> tuple[str, Any]:
    try:
        got = runtime.coerce(value, param=param, ctx=ctx)
    except BadParameter as err:
        return "error", err.format_message()
    return type(got).__name__, got


def test_plain_coercion_equals_typers_on_every_parameter(tmp_path: Path) -> None:
    params = _params()  # registers the commands, which installs the plain coercion
    patched = typer_core._TyperParameter.get_runtime_param
    typers = patched.typer_runtime_param  # type: ignore[attr-defined]
    afile, adir = tmp_path / "a.json", tmp_path / "d"
    afile.write_text("{}")
    adir.mkdir()
    unreadable = tmp_path / "secret"
    unreadable.write_text("")
    unreadable.chmod(0)
    values = [
        None,
        "",
        "x",
        "text",
        "Ünï code",
        "0",
        "1",
        "3",
        "007",
        "-1",
        "+2",
        " 5",
        "1_0",
        "abc",
        "2.5",
        "9" * 25,
        4,
        str(afile),
        str(adir),
        str(unreadable),
        "-",
        "/no/such/dir/x",
        afile,
    ]
    compared = 0
    for command, param in params:
        ctx = Context(command)
        for value in values:
            fast = _outcome(patched(param), param, value, ctx)
            slow = _outcome(typers(param), param, value, ctx)
            assert fast == slow, (command.name, param.name, value)
            compared += 1
    assert compared > 1000


def test_no_pydantic_for_a_plain_command() -> None:
    code = (
        "import sys\nfrom headwater.cli import main\ntry:\n    main(['lineage', '--stats', '--jobs', '2', "
        "'--format', 'json', '--target-path', '/no/such/target'])\nexcept SystemExit as e:\n"
        "    print(e.code, 'pydantic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["2", "False"], done.stdout + done.stderr  # a usage error, without pydantic


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--jobs", "x"], ["--depth", "0", "a"]])
def test_invalid_values_still_exit_2_with_typers_message(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from headwater.cli import main; main()", "lineage", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Invalid value for" in done.stderr


def test_registering_the_invoked_command_alone_keeps_its_help() -> None:
    from typer.testing import CliRunner

    _register_commands()
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert len(names) > 8
    for name in names:
        _register_commands()
        every = CliRunner().invoke(app, [name, "--help"])
        _register_commands(name)
        assert len(app.registered_commands) + len(app.registered_groups) == 1
        alone = CliRunner().invoke(app, [name, "--help"])
        assert (alone.exit_code, alone.output) == (every.exit_code, every.output), name
    _register_commands()
