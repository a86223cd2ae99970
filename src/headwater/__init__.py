"""headwater: trace a failed data contract to the upstream table and transformation that broke it.

Importing this package is cheap: it never imports great_expectations or dbt. GX integration lives in
`headwater.gx` and is imported only when asked for.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
