"""A transient rich progress line on stderr while a command works (lineage, probes, snapshots), fed by the
same stage events as the logs; only when stdout and stderr are terminals, so pipes, CI logs and JSON logs
stay clean."""

from __future__ import annotations

import logging
import sys
from typing import Any

from headwater.feeds.events import event_of


def wanted(log_format: str, streams: tuple[Any, ...] | None = None) -> bool:
    """Text logs and a person watching: both stdout and stderr are terminals (a piped report stays clean)."""
    streams = streams if streams is not None else (sys.stdout, sys.stderr)
    return log_format == "text" and all(bool(getattr(s, "isatty", lambda: False)()) for s in streams)


class ProgressHandler(logging.Handler):
    """One spinner line: the last stage done and the number of probes sent so far."""

    def __init__(self, command: str) -> None:
        super().__init__(logging.DEBUG)
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )  # fmt: skip  (the report goes to stdout untouched)
        self.task = self.progress.add_task(f"headwater {command}", total=None)
        self.probes = 0
        self.progress.start()

    def emit(self, record: logging.LogRecord) -> None:
        event = event_of(record)
        if event is None:
            return
        if event == "probe":
            self.probes += 1
            where = getattr(record, "relation", "") or "the warehouse"
            self.progress.update(self.task, description=f"probe {self.probes}: {where}")
        elif event in ("trace", "snapshot"):
            self.stop()  # the library's work is done; the command's report follows on a clean screen
        else:
            self.progress.update(self.task, description=f"{event} done")

    def stop(self) -> None:
        self.progress.stop()
