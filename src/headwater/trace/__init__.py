"""Trace a failed check to the first upstream node, column and SQL expression that broke it.

    >>> from headwater.trace import trace                       # doctest: +SKIP
    >>> result = trace(node="fct_orders", column="customer_region", check="not_null",
    ...                project_dir="dbt_project_example")       # doctest: +SKIP
    >>> print(result.failures[0].top.summary)                   # doctest: +SKIP

Public API: `trace(...) -> TraceResult` (see `headwater.trace.api`), result types in
`headwater.trace.model` (TraceResult, Failure, RootCause, Evidence, PathStep, RowProvenance, Verdict,
CauseKind, Mechanism), checks in `headwater.trace.checks`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from headwater.trace.api import trace
from headwater.trace.explain import Tracer
from headwater.trace.model import (
    CauseKind,
    ContributingRow,
    Evidence,
    Explanation,
    Failure,
    Mechanism,
    PathStep,
    RootCause,
    RowProvenance,
    TraceResult,
    Verdict,
)

__all__ = [
    "CauseKind",
    "ContributingRow",
    "Evidence",
    "Explanation",
    "Failure",
    "Mechanism",
    "PathStep",
    "RootCause",
    "RowProvenance",
    "TraceResult",
    "Tracer",
    "Verdict",
    "trace",
]


class _CallableModule(types.ModuleType):
    """`headwater.trace` is both this package and the public function: once a submodule is imported,
    Python binds the package (not a function) to `headwater.trace`, so the package itself is callable."""

    def __call__(self, *args: Any, **kwargs: Any) -> TraceResult:
        return trace(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
