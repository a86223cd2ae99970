"""Freshness: the newest timestamp of a column within a lag of a reference time (UTC).

>>> import datetime as dt
>>> evaluate_freshness(dt.datetime(2026, 1, 30, 22), parse_duration("1d"), dt.datetime(2026, 1, 31)).success
True
>>> evaluate_freshness(dt.datetime(2026, 1, 17), parse_duration("2w"), "2026-01-31").success
True
>>> evaluate_freshness(dt.datetime(2026, 1, 28), 86400, dt.datetime(2026, 1, 31)).lag_seconds
259200.0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from headwater.semantics.clock import Clock, to_utc, utc_now
from headwater.semantics.durations import human, parse_duration

__all__ = ["FreshnessVerdict", "evaluate_freshness", "parse_duration"]


@dataclass(frozen=True)
class FreshnessVerdict:
    """`newest` and `reference` are aware UTC datetimes; `lag_seconds` is `reference - newest`."""

    success: bool
    newest: dt.datetime | None
    reference: dt.datetime
    lag_seconds: float | None
    max_lag_seconds: float

    @property
    def over_seconds(self) -> float | None:
        """How much older than allowed the newest timestamp is (negative: within the lag)."""
        return None if self.lag_seconds is None else self.lag_seconds - self.max_lag_seconds

    @property
    def summary(self) -> str:
        if self.newest is None:
            return "no timestamp at all (empty table or only NULLs)"
        return (
            f"newest {self.newest.isoformat()} is {human(self.lag_seconds or 0)} before"
            f" {self.reference.isoformat()} (allowed {human(self.max_lag_seconds)})"
        )


def evaluate_freshness(
    newest: Any, max_lag_seconds: float, reference: Any = None, *, now: Clock = utc_now
) -> FreshnessVerdict:
    """Fresh when `reference - newest <= max_lag_seconds`. `reference` None means `now()`; naive values
    are UTC. No timestamp at all (empty, only NULLs) is not fresh."""
    ref = _utc(reference if reference is not None else now())
    latest = to_utc(newest)
    if latest is None:
        return FreshnessVerdict(False, None, ref, None, float(max_lag_seconds))
    lag = (ref - latest).total_seconds()
    return FreshnessVerdict(lag <= max_lag_seconds, latest, ref, lag, float(max_lag_seconds))


def _utc(value: Any) -> dt.datetime:
    found = to_utc(value)
    if found is None:
        raise ValueError("a freshness verdict needs a reference time")
    return found
