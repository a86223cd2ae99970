"""The CLI skeleton: help, version, and the one top-level error handler with documented exit codes."""

from __future__ import annotations

import subprocess
import sys

from headwater import __version__
from headwater.errors import EXIT_USAGE


def _headwater(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from headwater.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    done = _headwater("--help")
    assert done.returncode == 0
    assert "example" in done.stdout


def test_version() -> None:
    done = _headwater("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"headwater {__version__}"


def test_headwater_error_is_one_line_with_its_exit_code_and_a_suggestion() -> None:
    done = _headwater("example", "inject", "null_customer_emial", "--no-rebuild")
    assert done.returncode == EXIT_USAGE
    first, hint = done.stderr.strip().splitlines()
    assert first.startswith("Error: unknown fault 'null_customer_emial'.")
    assert "Did you mean 'null_customer_email'?" in first
    assert "--debug" in hint
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback() -> None:
    done = _headwater("--debug", "example", "inject", "no_such_fault", "--no-rebuild")
    assert done.returncode == EXIT_USAGE
    assert "Traceback" in done.stderr
    assert "Error: unknown fault 'no_such_fault'" in done.stderr


def test_usage_error_exits_2() -> None:
    done = _headwater("example", "build", "--rows", "many")
    assert done.returncode == EXIT_USAGE
