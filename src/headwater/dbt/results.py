"""run_results.json and sources.json (`dbt source freshness`) as typed data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunResult:
    unique_id: str
    status: str
    message: str | None = None
    failures: int | None = None
    execution_time: float = 0.0
    compiled_code: str | None = None
    rows_affected: int | None = None  # adapter_response.rows_affected (None where the adapter says -1)
    completed_at: str | None = None  # when the `execute` step finished


@dataclass(frozen=True)
class RunResults:
    results: Mapping[str, RunResult]
    generated_at: str = ""
    invocation_id: str = ""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunResults:
        meta = raw.get("metadata") or {}
        results = {
            r["unique_id"]: RunResult(
                unique_id=r["unique_id"],
                status=str(r.get("status") or ""),
                message=r.get("message"),
                failures=r.get("failures"),
                execution_time=float(r.get("execution_time") or 0.0),
                compiled_code=r.get("compiled_code"),
                rows_affected=_rows_affected(r),
                completed_at=next(
                    (t.get("completed_at") for t in r.get("timing") or () if t.get("name") == "execute"), None
                ),
            )
            for r in raw.get("results") or ()
            if r.get("unique_id")
        }
        return cls(
            results=results, generated_at=meta.get("generated_at") or "", invocation_id=meta.get("invocation_id") or ""
        )


def _rows_affected(result: Mapping[str, Any]) -> int | None:
    affected = (result.get("adapter_response") or {}).get("rows_affected")
    return int(affected) if isinstance(affected, int | float) and affected >= 0 else None


@dataclass(frozen=True)
class SourceFreshness:
    unique_id: str
    status: str
    max_loaded_at: str | None = None
    snapshotted_at: str | None = None
    age_seconds: float | None = None


@dataclass(frozen=True)
class Sources:
    """`sources.json` from `dbt source freshness`."""

    results: Mapping[str, SourceFreshness]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Sources:
        return cls(
            results={
                r["unique_id"]: SourceFreshness(
                    unique_id=r["unique_id"],
                    status=str(r.get("status") or ""),
                    max_loaded_at=r.get("max_loaded_at"),
                    snapshotted_at=r.get("snapshotted_at"),
                    age_seconds=r.get("max_loaded_at_time_ago_in_s"),
                )
                for r in raw.get("results") or ()
                if r.get("unique_id")
            }
        )
