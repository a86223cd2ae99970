"""headwater's memory: snapshots of a dbt project and its warehouse, and the outcomes of checks, over time.

- `model`: the frozen dataclasses (`Snapshot`, `RelationSchema`, `ColumnProfile`, `CheckOutcome`, ...).
- `store`: the history database (DuckDB file by default, PostgreSQL to share), migrated forward on open.
- `profile`: column profiles as aggregate SQL (one scan per relation), built with sqlglot.
- `snapshot`: records one run (`record_snapshot`); `outcomes`: GX results (plain JSON) to `CheckOutcome`s;
  `checkpoint`: both for one checkpoint run (what the GX trace action calls).
- `compare`: pure diffs between two snapshots (schema, code, volume, profile); `timeline`: the events,
  with each check's last good and first bad run.
- `schema` (the store's migrations) and `rows` (dataclasses to table rows and back) serve `store`.

The store is headwater's own database, written through its own connection; the user's warehouse is only
ever read (through `headwater.warehouse`).
"""

from __future__ import annotations

from headwater.history.model import (
    CheckOutcome,
    ColumnProfile,
    ColumnSchema,
    NodeState,
    RelationProfile,
    RelationSchema,
    Snapshot,
    SnapshotMeta,
    TopValue,
)
from headwater.history.store import HistoryStore, open_store, store_url

__all__ = [
    "CheckOutcome",
    "ColumnProfile",
    "ColumnSchema",
    "HistoryStore",
    "NodeState",
    "RelationProfile",
    "RelationSchema",
    "Snapshot",
    "SnapshotMeta",
    "TopValue",
    "open_store",
    "store_url",
]
