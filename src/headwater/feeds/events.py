"""The one instrumentation point: stages log a record with `extra={"event": NAME, "seconds": …, …}` on a
`headwater.*` logger (e.g. `headwater.warehouse` for every probe, `headwater.trace` for artifacts, lineage,
each verdict and the whole trace, `headwater.history` for a snapshot). Sinks read them back from here."""

from __future__ import annotations

import logging
from typing import Any

ROOT_LOGGER = "headwater"
# attributes every LogRecord has; anything else on a record came from `extra=`
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def event_of(record: logging.LogRecord) -> str | None:
    """The stage event a record announces, or None for an ordinary log message."""
    event = getattr(record, "event", None)
    return event if isinstance(event, str) else None


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra=` fields of a record (event included)."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def seconds_of(record: logging.LogRecord) -> float:
    value = getattr(record, "seconds", None)
    return float(value) if isinstance(value, int | float) else 0.0
