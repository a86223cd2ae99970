"""The pure comparisons between two snapshots, and the last-good / first-bad marks of a check."""

from __future__ import annotations

import pytest

from headwater.errors import ConfigError
from headwater.history.compare import (
    CodeChanged,
    ColumnAdded,
    ColumnDropped,
    ColumnRetyped,
    NodeAdded,
    ProfileShift,
    RowCountChanged,
    code_diff,
    profile_diff,
    schema_diff,
    volume_diff,
)
from headwater.history.model import NodeState
from headwater.history.timeline import FIRST_BAD, LAST_GOOD, marks, resolve_target, timeline
from tests.history.factories import ORDERS, make_outcome, make_snapshot

T0, T1 = "2026-12-01T10:00:00+00:00", "2026-12-02T10:00:00+00:00"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        pytest.param(make_snapshot("b", T1), (), id="same"),
        pytest.param(
            make_snapshot("b", T1, extra_column=True), (ColumnAdded(ORDERS, "channel", "VARCHAR"),), id="added"
        ),
        pytest.param(
            make_snapshot("b", T1, amount_type="DECIMAL(5,2)"),
            (ColumnRetyped(ORDERS, "amount", "DECIMAL(12,2)", "DECIMAL(5,2)"),),
            id="retyped",
        ),
        pytest.param(
            make_snapshot("b", T1, amount_type="decimal(12, 2)"), (ColumnRetyped(ORDERS, "amount", "DECIMAL(12,2)",
            "decimal(12, 2)"),), id="spelling-counts",
        ),
    ],
)  # fmt: skip
def test_schema_diff(after: object, expected: tuple[object, ...]) -> None:
    assert schema_diff(make_snapshot("a", T0), after) == expected  # type: ignore[arg-type]


def test_schema_diff_dropped() -> None:
    before = make_snapshot("a", T0, extra_column=True)
    assert schema_diff(before, make_snapshot("b", T1)) == (ColumnDropped(ORDERS, "channel", "VARCHAR"),)


def test_code_volume_and_profile_diffs() -> None:
    before = make_snapshot("a", T0)
    after = make_snapshot("b", T1, rows=60, checksum="b" * 64, nulls=10)
    assert code_diff(before, after) == (CodeChanged(ORDERS, "checksum", "a" * 64, "b" * 64),)
    extra = after.__class__(after.meta, (*after.nodes, NodeState("model.shop.new", "model", "new")))
    assert NodeAdded("model.shop.new") in code_diff(before, extra)
    (volume,) = volume_diff(before, after)
    assert volume == RowCountChanged(ORDERS, 100, 60) and volume.ratio == pytest.approx(0.6)
    assert volume_diff(before, after, min_ratio=0.5) == ()
    shifts = {(s.column, s.measure) for s in profile_diff(before, after)}
    assert ("amount", "null_share") in shifts  # 0% -> 16.7%
    assert {("order_id", "mean"), ("order_id", "distinct_count")} <= shifts  # 50.5 -> 30.5; 100 -> 60
    assert all(isinstance(s, ProfileShift) for s in profile_diff(before, after))
    assert profile_diff(before, make_snapshot("c", T1)) == ()


def test_marks_last_good_and_first_bad() -> None:
    runs = [
        make_outcome("2026-12-01T01:00:00+00:00", True),
        make_outcome("2026-12-01T02:00:00+00:00", False),  # an old failure, recovered
        make_outcome("2026-12-01T03:00:00+00:00", True),
        make_outcome("2026-12-01T04:00:00+00:00", True),  # last good
        make_outcome("2026-12-01T05:00:00+00:00", False),  # first bad
        make_outcome("2026-12-01T06:00:00+00:00", False),
        make_outcome("2026-12-01T04:30:00+00:00", True, column="order_id"),  # another check: never failed
    ]
    ordered = sorted(runs, key=lambda o: o.run_at)
    found = {ordered[i].run_at[11:16]: mark for i, mark in marks(ordered).items()}
    assert found == {"04:00": LAST_GOOD, "05:00": FIRST_BAD}
    never_good = [make_outcome("2026-12-01T01:00:00+00:00", False), make_outcome("2026-12-01T02:00:00+00:00", False)]
    assert marks(never_good) == {0: FIRST_BAD}


def test_changes_pair_snapshots_of_the_same_project() -> None:
    from headwater.history.compare import all_changes

    snaps = [make_snapshot("a", T0), make_snapshot("x", "2026-12-01T12:00:00+00:00", rows=5, project="other"),
             make_snapshot("b", T1, rows=80)]  # fmt: skip
    pairs = [(a.snapshot_id, b.snapshot_id) for a, b, _ in all_changes(snaps)]
    assert pairs == [("a", "b")]  # not a -> x -> b: `other` is another dbt project in a shared store


def test_timeline_filters_by_node_and_column() -> None:
    snapshots = [make_snapshot("a", T0), make_snapshot("b", T1, rows=80, extra_column=True)]
    outcomes = [make_outcome("2026-12-01T12:00:00+00:00", True), make_outcome("2026-12-02T12:00:00+00:00", False)]
    target = resolve_target("orders.amount", snapshots, outcomes)
    assert (target.unique_id, target.column) == (ORDERS, "amount")
    events = timeline(snapshots, outcomes, target)
    kinds = [(e.kind, e.mark) for e in events]
    assert kinds[:2] == [("snapshot", None), ("check", LAST_GOOD)]
    assert ("schema", None) not in kinds  # the added column is `channel`, not `amount`
    assert ("volume", None) in kinds and kinds[-1] == ("check", FIRST_BAD)
    with pytest.raises(ConfigError, match="Did you mean 'orders'"):
        resolve_target("ordrs", snapshots, outcomes)
    data = events[-1].to_dict()
    assert data["detail"]["type"] == "CheckOutcome" and data["success"] is False


def test_a_numeric_column_whose_shape_moved_with_the_same_mean_is_a_psi_shift(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Deciles profiled in a real DuckDB: spreading the values three times wider around the same mean moves
    neither the mean nor the NULL share, but the PSI of the deciles; a small shift of every value does not."""
    import duckdb

    from headwater.history.model import Snapshot as Snap
    from headwater.history.model import SnapshotMeta
    from headwater.trace.memory import profile_now
    from headwater.warehouse import connect, from_url

    path = tmp_path / "w.duckdb"

    def profiled(expression: str):  # type: ignore[no-untyped-def]
        with duckdb.connect(str(path)) as con:
            con.execute(f"create or replace table main.t as select {expression} as amount from range(1, 5001) r(x)")
        with connect(from_url(f"duckdb:///{path}")) as wh:
            found = profile_now(wh, ORDERS, (None, "main", "t"), ["amount"], "t")
        assert found is not None and len(found.columns[0].histogram) == 11
        return Snap(SnapshotMeta(expression, ""), profiles=(found,))

    base = profiled("x::double")
    wider = profiled("2500.5 + (x - 2500.5) * 3")
    nudged = profiled("x + 0.5")
    (shift,) = [s for s in profile_diff(base, wider) if s.measure == "psi"]
    assert shift.column == "amount" and float(shift.after.split()[1]) > 0.25
    assert not [s for s in profile_diff(base, wider) if s.measure == "mean"]
    assert not [s for s in profile_diff(base, nudged) if s.measure == "psi"]
