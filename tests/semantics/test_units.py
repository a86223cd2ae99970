"""headwater.semantics on its own: durations, clocks, types, shares, PSI, the schema-contract reader, and the
promise that it never imports great_expectations."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import json
import math
import pkgutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import headwater.semantics
from headwater.contracts.model import ActualColumn, ActualTable
from headwater.errors import ContractError
from headwater.semantics import clock, drift, durations, freshness, schema_contract, shares, types

MODULES = [
    importlib.import_module(f"headwater.semantics.{m.name}") for m in pkgutil.iter_modules(headwater.semantics.__path__)
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module: ModuleType) -> None:
    assert doctest.testmod(module).failed == 0


def test_never_imports_great_expectations() -> None:
    names = ", ".join(m.__name__ for m in MODULES)
    code = f"import sys, {names}; print('great_expectations' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_modules_stay_small() -> None:
    for module in MODULES:
        assert len(Path(str(module.__file__)).read_text().splitlines()) < 400, module.__name__


# ---- durations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("2w", 14 * 86400), ("1d", 86400), ("12h", 43200), ("90m", 5400), ("45s", 45), ("1.5h", 5400),
     ("3 days", 3 * 86400), ("2 weeks", 14 * 86400), (3600, 3600), (2.5, 2.5), ("600", 600), ("1W", 604800)],
)  # fmt: skip
def test_parse_duration(raw: str | float, seconds: float) -> None:
    assert durations.parse_duration(raw) == seconds


@pytest.mark.parametrize("raw", ["soon", "", "2y", "-1h", -5, "1h30m", True])
def test_unreadable_durations_raise(raw: object) -> None:
    with pytest.raises(ValueError, match="lag"):
        durations.parse_duration(raw)  # type: ignore[arg-type]


@given(st.integers(0, 10_000), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_every_unit_is_its_size(amount: int, unit: str) -> None:
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert durations.parse_duration(f"{amount}{unit}") == amount * size


@pytest.mark.parametrize(
    ("kwargs", "seconds"),
    [({}, 86400), ({"max_lag": "2w"}, 14 * 86400), ({"max_age": "6h"}, 21600), ({"max_age_hours": 24}, 86400),
     ({"max_lag_hours": 2}, 7200), ({"max_age_minutes": 30}, 1800), ({"max_age_days": 2}, 172800),
     ({"max_age_weeks": 1}, 604800), ({"max_age_seconds": 5}, 5), ({"max_lag": "1d", "max_age_hours": 1}, 86400)],
)  # fmt: skip
def test_lag_from_kwargs(kwargs: dict[str, object], seconds: float) -> None:
    assert durations.lag_seconds(kwargs) == seconds


# ---- clocks -------------------------------------------------------------------------------------------


@pytest.fixture
def los_angeles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("los_angeles")
def test_naive_timestamps_are_utc_whatever_the_local_zone() -> None:
    assert clock.to_utc(dt.datetime(2026, 1, 31, 12)) == dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
    assert clock.to_utc("2026-01-31T12:00:00-08:00") == dt.datetime(2026, 1, 31, 20, tzinfo=dt.UTC)
    now = clock.utc_now()
    assert now.tzinfo is dt.UTC
    assert abs((now.replace(tzinfo=None) - dt.datetime.utcfromtimestamp(time.time())).total_seconds()) < 5


def test_to_utc_accepts_dates_strings_and_pandas() -> None:
    import pandas as pd

    assert clock.to_utc(dt.date(2026, 1, 31)) == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert clock.to_utc("2026-01-31T00:00:00Z") == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert clock.to_utc(pd.Timestamp("2026-01-31 01:00", tz="Europe/Paris")) == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert clock.to_utc(None) is None
    with pytest.raises(ValueError, match="ISO"):
        clock.to_utc("yesterday")


def test_reference_time_from_kwargs() -> None:
    assert clock.reference_time({"reference_time": "2026-01-31T02:00:00+02:00"}) == dt.datetime(
        2026, 1, 31, tzinfo=dt.UTC
    )
    assert clock.reference_time({"as_of": "2026-01-31"}) == dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    assert clock.reference_time({"reference_time": "now"}) is None
    assert clock.reference_time({}) is None


def test_freshness_takes_an_injected_clock() -> None:
    fixed = dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
    verdict = freshness.evaluate_freshness(dt.datetime(2026, 1, 30), 86400, now=lambda: fixed)
    assert verdict.success and verdict.lag_seconds == 86400 and verdict.reference == fixed
    assert not freshness.evaluate_freshness(dt.datetime(2026, 1, 30), 86399, now=lambda: fixed).success


@pytest.mark.usefixtures("los_angeles")
def test_freshness_against_now_is_utc() -> None:
    newest = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=25)
    assert not freshness.evaluate_freshness(newest, durations.parse_duration("1d")).success


@given(st.integers(-10**6, 10**6), st.integers(0, 10**6))
def test_freshness_boundary(offset: int, lag: int) -> None:
    reference = dt.datetime(2026, 1, 31)
    newest = reference - dt.timedelta(seconds=lag + offset)
    assert freshness.evaluate_freshness(newest, lag, reference).success is (offset <= 0)


# ---- types --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "actual", "same"),
    [("double", "REAL", False), ("real", "DOUBLE", True), ("float8", "float4", False), ("integer", "BIGINT", True),
     ("bigint", "INTEGER", False), ("varchar", "VARCHAR", True), ("decimal(12,2)", "DECIMAL(10,2)", False),
     ("timestamp", "TIMESTAMP WITH TIME ZONE", False)],
)  # fmt: skip
def test_same_type(declared: str, actual: str, same: bool) -> None:
    assert types.same_type(declared, actual, "duckdb") is same


def test_bare_decimal_depends_on_the_dialect() -> None:
    """Generic SQL: a bare `decimal` is any decimal; in DuckDB it is DECIMAL(18,3), as DuckDB's DDL says."""
    assert types.same_type("decimal", "DECIMAL(12,2)")
    assert not types.same_type("decimal", "DECIMAL(12,2)", "duckdb")


def test_one_type_implementation() -> None:
    contract_types = importlib.import_module("headwater.contracts.types")
    check = importlib.import_module("headwater.contracts.check")  # the gate's, GX's and the tracer's schema verdict

    assert contract_types.compare_types is types.compare_types is check.compare_types
    assert not types.same_type("integer", "BIGINT", allow_widening=False)


# ---- shares -------------------------------------------------------------------------------------------


@given(st.integers(0, 1000), st.integers(0, 1000), st.floats(0, 1))
def test_ratio_is_gx_mostly(unexpected: int, extra: int, mostly: float) -> None:
    considered = unexpected + extra
    expected = True if considered == 0 or unexpected == 0 else (considered - unexpected) / considered >= mostly
    assert shares.ratio_passes(unexpected, considered, mostly) is expected


def test_ratio_edges() -> None:
    assert not shares.ratio_passes(10, 100, 0.9 + 1e-9)
    assert shares.ratio_passes(10, 100, 0.9)
    assert not shares.ratio_passes(1, 100, 1.0)


# ---- PSI ----------------------------------------------------------------------------------------------


@st.composite
def share_vectors(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    size = draw(st.integers(2, 6))
    left = draw(st.lists(st.integers(0, 50), min_size=size, max_size=size).filter(lambda v: sum(v) > 0))
    right = draw(st.lists(st.integers(0, 50), min_size=size, max_size=size).filter(lambda v: sum(v) > 0))
    return [v / sum(left) for v in left], [v / sum(right) for v in right]


@given(share_vectors())
def test_psi_is_finite_non_negative_and_symmetric(vectors: tuple[list[float], list[float]]) -> None:
    expected, observed = vectors
    value = drift.psi(expected, observed)
    assert math.isfinite(value) and value >= 0
    assert value == pytest.approx(drift.psi(observed, expected))
    assert drift.psi(expected, expected) == 0


def test_psi_smooths_empty_bins_once() -> None:
    """Each share is floored at 1e-4; the tracer used to add 1e-4 to both sides instead."""
    floor = drift.PSI_FLOOR
    assert drift.psi([1.0, 0.0], [0.99, 0.01]) == pytest.approx(
        (0.99 - 1.0) * math.log(0.99) + (0.01 - floor) * math.log(0.01 / floor)
    )
    from headwater.trace.measures import psi

    assert psi is drift.psi


def test_profiles_from_kwargs(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"columns": {"Device": {"values": ["a"], "weights": [1.0], "count": 3}}}))
    found = drift.profile_from_kwargs({"column": "device", "baseline_path": str(path)})
    assert found == drift.CategoricalProfile(("a",), (1.0,), 3)
    assert drift.profile_from_kwargs({"baseline": {"shares": {"x": 0.5, "y": 0.5}}}).values == ("x", "y")
    with pytest.raises(ValueError, match="no profile"):
        drift.profile_from_kwargs({"column": "other", "baseline_path": str(path)})
    assert drift.thresholds_from_kwargs({}) == drift.Thresholds()


# ---- schema contracts: one reader -----------------------------------------------------------------------


ODCS = """\
apiVersion: v3.0.2
kind: DataContract
id: t
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - {name: id, physicalType: integer}
"""


def test_contract_paths_are_relative_to_cwd_else_the_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suites = tmp_path / "gx" / "expectations"
    suites.mkdir(parents=True)
    (suites / "t.odcs.yaml").write_text(ODCS)
    monkeypatch.chdir(tmp_path)
    found = schema_contract.resolve_contract("t", {"odcs_path": "t.odcs.yaml"}, suite=suites / "t.json")
    assert [c.name for c in found.columns] == ["id"]
    (tmp_path / "t.odcs.yaml").write_text(ODCS.replace("name: id", "name: key"))
    nearer = schema_contract.resolve_contract("t", {"odcs_path": "t.odcs.yaml"}, suite=suites / "t.json")
    assert [c.name for c in nearer.columns] == ["key"]  # the working directory wins
    with pytest.raises(ContractError, match="names no contract"):
        schema_contract.resolve_contract("t", {})


def test_one_reader_for_gx_tracer_and_gate() -> None:
    from headwater.contracts.gx_suites import contract_from_kwargs

    kwargs = {"contract": {"columns": ["id", {"name": "v", "physicalType": "double"}]}, "allow_widening": False}
    contract = contract_from_kwargs("t", kwargs)
    assert contract == schema_contract.resolve_contract("t", kwargs)
    assert [(c.name, c.data_type) for c in contract.columns] == [("id", None), ("v", "double")]
    assert contract.allow_widening is False and contract.allow_extra_columns is True


def test_allow_widening_decides_a_widened_type() -> None:
    actual = ActualTable("t", (ActualColumn("v", "BIGINT"),), "warehouse", "duckdb")
    wide = schema_contract.resolve_contract("t", {"columns": {"v": "integer"}})
    strict = schema_contract.resolve_contract("t", {"columns": {"v": "integer"}, "allow_widening": False})
    assert schema_contract.schema_violations(wide, actual) == ()
    assert [v.kind for v in schema_contract.schema_violations(strict, actual)] == ["type_mismatch"]
    narrowed = ActualTable("t", (ActualColumn("v", "REAL"),), "warehouse", "duckdb")
    double = schema_contract.resolve_contract("t", {"columns": {"v": "double"}})
    assert [v.kind for v in schema_contract.schema_violations(double, narrowed)] == ["type_mismatch"]
