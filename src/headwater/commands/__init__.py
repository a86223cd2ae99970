"""Registry of CLI sub-commands: one module per command, each with `register(app)`.

A module listed here must import only typer/rich at import time; heavy libraries load inside the command.
"""

from __future__ import annotations

import importlib

import typer

# (module, attribute) pairs; each module exposes `register(app: typer.Typer) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "headwater.commands.example",
    "headwater.commands.gate",
    "headwater.commands.diff",
    "headwater.commands.lineage",
    "headwater.commands.trace",
    "headwater.commands.snapshot",
    "headwater.commands.timeline",
    "headwater.commands.gx",
    "headwater.commands.openlineage",
)


def register_all(app: typer.Typer) -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
