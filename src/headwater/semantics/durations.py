"""Durations and lags: one parser for `"2w"`, `"90m"`, `"1.5h"`, `3600` and GX-ish kwargs.

>>> parse_duration("2w") == 14 * 86400
True
>>> parse_duration("90 min"), parse_duration(60), parse_duration("12h")
(5400.0, 60.0, 43200.0)
>>> lag_seconds({"max_age_hours": 24})
86400.0
>>> lag_seconds({})  # the default of `expect_table_to_be_fresh`
86400.0
>>> human(93600)
'1.1d'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SECOND, MINUTE, HOUR, DAY, WEEK = 1.0, 60.0, 3600.0, 86400.0, 604800.0
DEFAULT_LAG = "1d"

_UNITS: dict[str, float] = {
    "": SECOND, "s": SECOND, "sec": SECOND, "secs": SECOND, "second": SECOND, "seconds": SECOND,
    "m": MINUTE, "min": MINUTE, "mins": MINUTE, "minute": MINUTE, "minutes": MINUTE,
    "h": HOUR, "hr": HOUR, "hrs": HOUR, "hour": HOUR, "hours": HOUR,
    "d": DAY, "day": DAY, "days": DAY,
    "w": WEEK, "wk": WEEK, "week": WEEK, "weeks": WEEK,
}  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)
# kwargs that name a lag in one unit, in the order they are looked at
_UNIT_KWARGS: tuple[tuple[str, float], ...] = tuple(
    (f"max_{what}_{unit}", size)
    for what in ("lag", "age")
    for unit, size in (("seconds", SECOND), ("minutes", MINUTE), ("hours", HOUR), ("days", DAY), ("weeks", WEEK))
)


def parse_duration(value: str | float | int) -> float:
    """Seconds from a number (seconds) or `<number><unit>`, unit s / m / h / d / w (or their words).

    Raises ValueError for anything else (a negative lag or `"soon"`), never guesses a default.
    """
    if isinstance(value, bool):
        raise ValueError(f"cannot read the lag {value!r}; write e.g. '12h', '1d', '2w' or a number of seconds")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a lag cannot be negative ({value!r})")
        return float(value)
    match = _DURATION.match(str(value))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"cannot read the lag {value!r}; write e.g. '12h', '1d', '2w' or a number of seconds")
    return float(match.group(1)) * _UNITS[unit]


def lag_seconds(kwargs: Mapping[str, Any], default: str | float = DEFAULT_LAG) -> float:
    """The allowed lag a freshness expectation's kwargs name: `max_lag` / `max_age` (any duration), or
    `max_{lag,age}_{seconds,minutes,hours,days,weeks}`; `default` when none is given."""
    for key in ("max_lag", "max_age"):
        if kwargs.get(key) is not None:
            return parse_duration(kwargs[key])
    for key, size in _UNIT_KWARGS:
        if kwargs.get(key) is not None:
            return parse_duration(float(kwargs[key]) * size)
    return parse_duration(default)


def human(seconds: float) -> str:
    """`93600` -> `1.1d`, `5400` -> `1.5h`, `42` -> `42s`."""
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"
