"""Freshness: the newest timestamp of a column within a lag of a reference time.

>>> from datetime import datetime
>>> evaluate_freshness(datetime(2026, 1, 30, 22), parse_lag("1d"), datetime(2026, 1, 31)).success
True
>>> evaluate_freshness(datetime(2026, 1, 28), parse_lag("1d"), datetime(2026, 1, 31)).lag_seconds
259200.0
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LAG = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


@dataclass(frozen=True)
class FreshnessVerdict:
    success: bool
    newest: dt.datetime | None
    reference: dt.datetime
    lag_seconds: float | None
    max_lag_seconds: float

    @property
    def summary(self) -> str:
        if self.newest is None:
            return "no timestamp at all (empty table or only NULLs)"
        return (
            f"newest {self.newest.isoformat()} is {_human(self.lag_seconds or 0)} before"
            f" {self.reference.isoformat()} (allowed {_human(self.max_lag_seconds)})"
        )


def parse_lag(value: str | float | int) -> float:
    """Seconds from `3600`, `"90m"`, `"12h"`, `"1d"` or `"2w"` (a bare number is seconds)."""
    if isinstance(value, int | float):
        return float(value)
    match = _LAG.match(str(value))
    if not match:
        raise ValueError(f"cannot read the lag {value!r}; write e.g. '12h', '1d' or a number of seconds")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def as_utc_naive(value: Any) -> dt.datetime | None:
    """A timestamp as naive UTC (naive input is taken as UTC); dates become midnight; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a timestamp: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def evaluate_freshness(newest: Any, max_lag_seconds: float, reference: Any = None) -> FreshnessVerdict:
    """Fresh when `reference - newest <= max_lag_seconds`; `reference` None means now (UTC)."""
    ref = as_utc_naive(reference) or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    latest = as_utc_naive(newest)
    if latest is None:
        return FreshnessVerdict(False, None, ref, None, max_lag_seconds)
    lag = (ref - latest).total_seconds()
    return FreshnessVerdict(lag <= max_lag_seconds, latest, ref, lag, max_lag_seconds)


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"
