"""headwater: trace a failed data contract to the upstream table and transformation that broke it.

Importing this package is cheap: it never imports great_expectations or dbt. GX integration lives in
`headwater.gx` and is imported only when asked for.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "trace"]


def __getattr__(name: str) -> Any:
    # `headwater.trace(...)` is the public API; it loads the tracer (sqlglot, dbt artifacts) on first use
    # only. `headwater.trace` is also the package of the tracer: that module is callable (see its __init__).
    if name == "trace":
        import importlib

        return importlib.import_module("headwater.trace")
    raise AttributeError(f"module 'headwater' has no attribute {name!r}")
