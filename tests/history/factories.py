"""Small snapshots and outcomes built by hand, for the store and the pure comparisons."""

from __future__ import annotations

from headwater.history.model import (
    CheckOutcome,
    ColumnProfile,
    ColumnSchema,
    FreshnessState,
    NodeState,
    RelationProfile,
    RelationSchema,
    RunResultState,
    Skipped,
    Snapshot,
    SnapshotMeta,
    TopValue,
)

ORDERS = "model.shop.orders"


def make_snapshot(
    snapshot_id: str,
    taken_at: str = "2026-12-01T10:00:00.000000+00:00",
    rows: int = 100,
    checksum: str = "a" * 64,
    amount_type: str = "DECIMAL(12,2)",
    extra_column: bool = False,
    nulls: int = 0,
    project: str = "shop",
) -> Snapshot:
    columns = [ColumnSchema("order_id", "INTEGER", 1), ColumnSchema("amount", amount_type, 2)]
    if extra_column:
        columns.append(ColumnSchema("channel", "VARCHAR", 3))
    profiles = (
        ColumnProfile("order_id", "INTEGER", 0, rows, "1", str(rows), (rows + 1) / 2, (1.0, float(rows))),
        ColumnProfile("amount", amount_type, nulls, 50, "0.50", "99.00", 42.0),
        ColumnProfile(
            "status", "VARCHAR", 0, 2, "open", "paid", None, (),
            (TopValue("paid", rows - 10, (rows - 10) / rows), TopValue("open", 10, 10 / rows)),
        ),
    )  # fmt: skip
    return Snapshot(
        meta=SnapshotMeta(snapshot_id, taken_at, "/p", "abc123", "m" * 64, None, 60.0, 1.5, project),
        nodes=(
            NodeState(ORDERS, "model", "orders", checksum, "select 1", "marts.orders"),
            NodeState("source.shop.raw.orders", "source", "orders", "", None, "raw.orders"),
        ),
        schemas=(RelationSchema(ORDERS, tuple(columns), "catalog"),),
        profiles=(RelationProfile(ORDERS, rows, profiles, 0.01, 2),),
        run_results=(RunResultState(ORDERS, "success", 0.5, rows, "OK", "2026-12-01T09:59:00Z"),),
        freshness=(FreshnessState("source.shop.raw.orders", "pass", "2026-12-01T09:00:00", None, 3600.0),),
        skipped=(Skipped("model.shop.big", "budget: 60.0 s of 60 s spent"),),
    )


def make_outcome(run_at: str, success: bool, column: str = "amount", snapshot_id: str | None = None) -> CheckOutcome:
    return CheckOutcome(
        run_at=run_at,
        checkpoint="marts",
        suite="orders",
        expectation_type="expect_column_values_to_not_be_null",
        success=success,
        relation="marts.orders",
        unique_id=ORDERS,
        column=column,
        observed="0 of 100 rows unexpected" if success else "7 of 100 rows unexpected",
        snapshot_id=snapshot_id,
    )
