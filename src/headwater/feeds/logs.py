"""`--log-format json`: one JSON object per line on stderr for every record of the `headwater.*` loggers."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson

from headwater.feeds.events import fields_of


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "event", ...extra}`: the field names log shippers map by default
    (ts in RFC 3339 UTC)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def json_handler(stream: Any) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    return handler
