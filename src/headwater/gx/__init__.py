"""headwater's Great Expectations plugin: the only package that imports `great_expectations` (~7 s).

Importing `headwater.gx` registers, with GX, everything a file context may refer to by type name, so a
context saved by one process reloads in another:
- the `duckdb` datasource (`DuckDBDatasource`, correct metrics on DuckDB, read-only);
"""

from __future__ import annotations

from headwater.gx.datasource import DuckDBDatasource, DuckDBExecutionEngine, duckdb_url

__all__ = ["DuckDBDatasource", "DuckDBExecutionEngine", "duckdb_url"]
