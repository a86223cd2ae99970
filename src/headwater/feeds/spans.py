"""OpenTelemetry spans for headwater's stages, when `opentelemetry-sdk` is installed (`headwater[otel]`).

The exporter is chosen as the OpenTelemetry SDK does it: `OTEL_TRACES_EXPORTER` names an exporter entry point
(`console` ships with the SDK; `otlp` with `opentelemetry-exporter-otlp`, which then reads
`OTEL_EXPORTER_OTLP_ENDPOINT`…), `none` turns spans off; the resource reads `OTEL_SERVICE_NAME` and
`OTEL_RESOURCE_ATTRIBUTES`. Spans are on only when `OTEL_TRACES_EXPORTER` is set, so a plain run exports
nothing anywhere. One span per command, with a child per stage event (probe, artifacts, lineage, verdict,
snapshot…) timed from the event's `seconds`.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from headwater.errors import ConfigError
from headwater.feeds.events import event_of, fields_of, seconds_of

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span

ENV_EXPORTER = "OTEL_TRACES_EXPORTER"
SERVICE = "headwater"


def exporter_from_env() -> SpanExporter | None:
    """The exporter `OTEL_TRACES_EXPORTER` names; None when unset, `none`, or the SDK is not installed."""
    name = os.environ.get(ENV_EXPORTER, "").strip().lower()
    if not name or name == "none":
        return None
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        raise ConfigError(f"{ENV_EXPORTER}={name} needs OpenTelemetry; pip install 'headwater[otel]'") from None
    from importlib.metadata import entry_points  # ~20 ms: only a run that exports spans pays for it

    found = entry_points(group="opentelemetry_traces_exporter", name=name.split(",")[0].strip())
    if not found:
        raise ConfigError(
            f"{ENV_EXPORTER}={name}: no such exporter installed; use console, none, or install "
            "opentelemetry-exporter-otlp for otlp"
        )
    exporter: SpanExporter = next(iter(found)).load()()
    return exporter


class SpanHandler(logging.Handler):
    """A root span for the command; each stage event becomes a child span ending when the event was logged."""

    def __init__(self, command: str, exporter: SpanExporter) -> None:
        super().__init__(logging.DEBUG)
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        self.provider: TracerProvider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
        self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("headwater")
        self.root: Span = self.tracer.start_span(f"headwater {command}", attributes={"headwater.command": command})

    def emit(self, record: logging.LogRecord) -> None:
        from opentelemetry import trace

        event = event_of(record)
        if event is None:
            return
        end = int(record.created * 1e9)
        start = end - int(seconds_of(record) * 1e9)
        attributes = {f"headwater.{k}": _attribute(v) for k, v in fields_of(record).items() if v is not None}
        span = self.tracer.start_span(
            event, context=trace.set_span_in_context(self.root), start_time=start, attributes=attributes
        )
        error = getattr(record, "error", None)
        if error:
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        span.end(end_time=end)

    def finish(self, exit_code: int) -> None:
        self.root.set_attribute("headwater.exit_code", exit_code)
        self.root.end(end_time=time.time_ns())
        self.provider.shutdown()


def _attribute(value: Any) -> str | int | float | bool:
    return value if isinstance(value, str | int | float | bool) else str(value)
