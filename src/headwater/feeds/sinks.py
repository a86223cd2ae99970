"""Attach the feeds a run asked for (`--log-format json`, `--metrics FILE`, `OTEL_TRACES_EXPORTER`) to the
`headwater` logger tree, and finish them when the command is done."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from headwater.errors import ConfigError
from headwater.feeds.events import ROOT_LOGGER

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from headwater.feeds.metrics import MetricsHandler
    from headwater.feeds.progress import ProgressHandler
    from headwater.feeds.spans import SpanHandler

LOG_FORMATS = ("text", "json")


@dataclass
class Sinks:
    """The handlers one run attached; `finish` writes the metrics file and ends the spans, then detaches."""

    handlers: list[logging.Handler] = field(default_factory=list)
    metrics: MetricsHandler | None = None
    metrics_path: Path | None = None
    spans: SpanHandler | None = None
    progress: ProgressHandler | None = None
    previous_level: int = logging.NOTSET

    def finish(self, exit_code: int) -> None:
        logger = logging.getLogger(ROOT_LOGGER)
        for handler in self.handlers:
            logger.removeHandler(handler)
        logger.setLevel(self.previous_level)
        if self.progress is not None:
            self.progress.stop()
        try:
            if self.metrics is not None and self.metrics_path is not None:
                self.metrics.write(self.metrics_path)
        except OSError as err:  # the command's own result stands; say why the file is missing
            print(f"headwater: could not write metrics to {self.metrics_path}: {err}", file=sys.stderr)
        if self.spans is not None:
            self.spans.finish(exit_code)


def install(
    command: str,
    log_format: str = "text",
    metrics_path: Path | None = None,
    exporter: SpanExporter | None = None,
) -> Sinks:
    """Attach the sinks; `exporter` defaults to the one `OTEL_TRACES_EXPORTER` names (none when unset)."""
    from headwater.feeds.spans import exporter_from_env

    if log_format not in LOG_FORMATS:
        raise ConfigError(f"unknown --log-format {log_format!r}; use one of {', '.join(LOG_FORMATS)}")
    logger = logging.getLogger(ROOT_LOGGER)
    sinks = Sinks(metrics_path=metrics_path, previous_level=logger.level)
    if log_format == "json":
        from headwater.feeds.logs import json_handler

        sinks.handlers.append(json_handler(sys.stderr))
    if metrics_path is not None:
        from headwater.feeds.metrics import MetricsHandler

        sinks.metrics = MetricsHandler(command)
        sinks.handlers.append(sinks.metrics)
    from headwater.feeds.progress import wanted

    if wanted(log_format):
        from headwater.feeds.progress import ProgressHandler

        sinks.progress = ProgressHandler(command)
        sinks.handlers.append(sinks.progress)
    exporter = exporter if exporter is not None else exporter_from_env()
    if exporter is not None:
        from headwater.feeds.spans import SpanHandler

        sinks.spans = SpanHandler(command, exporter)
        sinks.handlers.append(sinks.spans)
    if sinks.handlers:
        logger.setLevel(logging.DEBUG)  # probes are DEBUG records
        for handler in sinks.handlers:
            logger.addHandler(handler)
    return sinks
