"""Clocks and timestamps: UTC everywhere. A naive timestamp is UTC, never the machine's local time.

`now` is injectable wherever a verdict depends on it (`Clock`, a function returning an aware datetime).

>>> import datetime as dt
>>> to_utc("2026-01-31T01:00:00+02:00")
datetime.datetime(2026, 1, 30, 23, 0, tzinfo=datetime.timezone.utc)
>>> to_utc(dt.datetime(2026, 1, 31))  # naive: taken as UTC
datetime.datetime(2026, 1, 31, 0, 0, tzinfo=datetime.timezone.utc)
>>> to_utc(dt.date(2026, 1, 31)) == to_utc("2026-01-31")
True
>>> reference_time({"reference_time": "2026-01-31T00:00:00Z"}).isoformat()
'2026-01-31T00:00:00+00:00'
>>> reference_time({"reference_time": "now"}) is None
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

Clock = Callable[[], dt.datetime]

_REFERENCE_KWARGS = ("reference_time", "as_of", "now")


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC (the default `Clock`)."""
    return dt.datetime.now(dt.UTC)


def to_utc(value: Any) -> dt.datetime | None:
    """A timestamp as an aware UTC datetime; None stays None.

    Accepts datetimes (naive = UTC), dates (midnight UTC), ISO strings (`Z` allowed) and anything with
    `to_pydatetime()` (pandas Timestamp). Raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO timestamp: {value!r}; write e.g. 2026-01-31T00:00:00Z") from None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a timestamp: {value!r}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def to_utc_naive(value: Any) -> dt.datetime | None:
    """As `to_utc`, without the tzinfo (for values stored naive, which then mean UTC)."""
    found = to_utc(value)
    return found.replace(tzinfo=None) if found is not None else None


def reference_time(kwargs: Mapping[str, Any]) -> dt.datetime | None:
    """The reference time a freshness expectation's kwargs name (`reference_time`, `as_of` or `now`), in
    UTC; None when they name none or say `"now"` (the verdict then asks its clock)."""
    for key in _REFERENCE_KWARGS:
        raw = kwargs.get(key)
        if raw not in (None, ""):
            return None if isinstance(raw, str) and raw.strip().lower() == "now" else to_utc(raw)
    return None
