"""`--metrics FILE`: Prometheus text exposition of one headwater run, for node-exporter's textfile collector.

Counters count this run (a run is one process; the collector reads the file the run leaves behind), gauges
hold its durations. Written with prometheus-client's `write_to_textfile` (a temporary file renamed into
place, so the collector never reads half a file), from a private registry.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from headwater.feeds.events import event_of, seconds_of


class MetricsHandler(logging.Handler):
    """Turns stage events into metrics in its own CollectorRegistry."""

    def __init__(self, command: str) -> None:
        super().__init__(logging.DEBUG)
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["command"]
        self.command = command
        self.checks = Counter("headwater_checks_traced", "Failed checks traced.", labels, registry=self.registry)
        self.failures = Counter(
            "headwater_check_failures", "Failed checks traced, by verdict.", [*labels, "verdict"],
            registry=self.registry,
        )  # fmt: skip
        self.causes = Counter(
            "headwater_root_causes", "Root causes found, by mechanism.", [*labels, "mechanism"], registry=self.registry
        )
        self.probes = Counter("headwater_probes", "SQL probes sent to the warehouse.", labels, registry=self.registry)
        self.probe_errors = Counter("headwater_probe_errors", "Probes that failed.", labels, registry=self.registry)
        self.probe_seconds = Counter("headwater_probe_seconds", "Time spent in probes.", labels, registry=self.registry)
        self.stage_seconds = Gauge(
            "headwater_stage_seconds", "Duration of the run's last stage of each kind.", [*labels, "stage"],
            registry=self.registry,
        )  # fmt: skip
        self.trace_seconds = Gauge("headwater_trace_seconds", "Duration of the trace.", labels, registry=self.registry)
        self.snapshot_seconds = Gauge(
            "headwater_snapshot_seconds", "Duration of the snapshot.", labels, registry=self.registry
        )
        self.last_run = Gauge(
            "headwater_last_run_timestamp_seconds", "When the run ended (Unix time).", labels, registry=self.registry
        )
        for always in (self.checks, self.probes, self.probe_errors, self.probe_seconds):
            always.labels(command)  # a zero is a sample too: "no probe failed" is worth a series

    def emit(self, record: logging.LogRecord) -> None:
        event = event_of(record)
        if event is None:
            return
        seconds = seconds_of(record)
        command = self.command
        if event == "probe":
            self.probes.labels(command).inc()
            self.probe_seconds.labels(command).inc(seconds)
            if getattr(record, "error", None):
                self.probe_errors.labels(command).inc()
        elif event == "verdict":
            self.checks.labels(command).inc()
            self.failures.labels(command, str(getattr(record, "verdict", "unknown"))).inc()
            mechanism = getattr(record, "mechanism", None)
            if mechanism:
                self.causes.labels(command, str(mechanism)).inc()
        elif event == "trace":
            self.trace_seconds.labels(command).set(seconds)
        elif event == "snapshot":
            self.snapshot_seconds.labels(command).set(seconds)
        if event not in ("probe", "verdict"):
            self.stage_seconds.labels(command, event).set(seconds)

    def write(self, path: Path) -> None:
        from prometheus_client import write_to_textfile

        self.last_run.labels(self.command).set(time.time())
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), self.registry)
