"""The plain functions behind every check (GX expectations, tracer, gate), on numbers we can check by hand.

Moved from tests/gx/test_logic.py when `headwater.gx.logic` became `headwater.semantics`.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from headwater.contracts.model import ActualColumn, ActualTable
from headwater.semantics import drift, freshness, schema_contract, shares


def test_psi_of_identical_shares_is_zero_and_grows_with_shift() -> None:
    assert drift.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.6 - 0.5) * math.log(0.6 / 0.5) + (0.4 - 0.5) * math.log(0.4 / 0.5)
    assert drift.psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(expected)


def test_ks_from_binned_cdfs() -> None:
    d, p = drift.ks_from_binned([0.25] * 4, [0.25] * 4, 1000, 1000)
    assert (d, p) == (0.0, 1.0)
    d, p = drift.ks_from_binned([0.25] * 4, [0.5, 0.5, 0.0, 0.0], 1000, 1000)
    assert d == pytest.approx(0.5)
    assert p < 1e-50


def test_numeric_verdict_passes_on_same_distribution_and_fails_on_shift() -> None:
    profile = drift.NumericProfile((0.0, 1.0, 2.0, 3.0), (1 / 3, 1 / 3, 1 / 3), 3000)
    assert drift.evaluate_numeric(profile, [1000, 1000, 1000], drift.Thresholds()).success
    shifted = drift.evaluate_numeric(profile, [100, 1000, 1900], drift.Thresholds())
    assert not shifted.success
    assert any("PSI" in r for r in shifted.reasons)


def test_numeric_verdict_skips_small_samples() -> None:
    profile = drift.NumericProfile((0.0, 1.0, 2.0), (0.5, 0.5), 1000)
    verdict = drift.evaluate_numeric(profile, [10, 0], drift.Thresholds(min_sample_size=100))
    assert verdict.success
    assert "not judged" in verdict.reasons[0]


def test_categorical_new_value_fails_by_chi_square() -> None:
    profile = drift.CategoricalProfile(("card", "paypal"), (0.7, 0.3), 10_000)
    same = drift.evaluate_categorical(profile, {"card": 7000, "paypal": 3000}, 10_000, drift.Thresholds())
    assert same.success
    crypto = {"card": 6900, "paypal": 2900, "crypto": 200}
    verdict = drift.evaluate_categorical(profile, crypto, 10_000, drift.Thresholds())
    assert not verdict.success
    assert verdict.chi2_pvalue is not None and verdict.chi2_pvalue < 0.01
    assert verdict.observed_weights[-1] == pytest.approx(0.02)


def test_profile_round_trip_and_validation() -> None:
    profile = drift.numeric_profile((0.0, 1.0, 5.0), (3, 1))
    assert profile.weights == (0.75, 0.25)
    assert drift.profile_from_dict(drift.profile_to_dict(profile)) == profile
    with pytest.raises(ValueError, match="one more bin edge"):
        drift.profile_from_dict({"kind": "numeric", "bins": [0, 1], "weights": [0.5, 0.5]})
    assert drift.quantile_edges([1, 1, 1, 2, 5]) == (1.0, 2.0, 5.0)


def test_freshness() -> None:
    as_of = dt.datetime(2026, 1, 31)
    assert freshness.parse_duration("12h") == 43200
    assert freshness.parse_duration(60) == 60
    with pytest.raises(ValueError, match="cannot read the lag"):
        freshness.parse_duration("soon")
    fresh = freshness.evaluate_freshness(dt.datetime(2026, 1, 30, 22), 86400, as_of)
    assert fresh.success and fresh.lag_seconds == 7200
    aware = dt.datetime(2026, 1, 30, 23, tzinfo=dt.timezone(dt.timedelta(hours=-2)))  # 2026-01-31 01:00 UTC
    assert freshness.evaluate_freshness(aware, 60, "2026-01-31T01:00:00Z").success
    assert not freshness.evaluate_freshness(None, 86400, as_of).success


def test_mcv_share_and_orphans() -> None:
    collapsed = shares.evaluate_mcv_share([(0.5, 900), (0.1, 100)], 1000, 0.5)
    assert not collapsed.success and collapsed.value == 0.5 and collapsed.share == 0.9
    assert shares.evaluate_mcv_share([], 0, 0.5).success
    orphans = shares.evaluate_orphans(5, 100, (7, 8))
    assert not orphans.success and "5 of 100" in orphans.summary
    assert shares.evaluate_orphans(5, 100, (), mostly=0.9).success


def test_schema_violations_cover_every_kind() -> None:
    contract = schema_contract.inline_contract(
        "t",
        [
            {"name": "id", "data_type": "integer", "nullable": False},
            {"name": "amount", "data_type": "decimal(12,2)"},
            {"name": "gone", "data_type": "text"},
            {"name": "wide", "data_type": "integer"},
        ],
    )
    actual = ActualTable(
        "t",
        (
            ActualColumn("amount", "VARCHAR", True),
            ActualColumn("id", "INTEGER", True),
            ActualColumn("wide", "BIGINT", True),
            ActualColumn("extra", "DATE", True),
        ),
        "warehouse",
        "duckdb",
    )
    found = schema_contract.schema_violations(contract, actual, exact_order=True)
    kinds = {(v.kind, v.column) for v in found}
    assert ("missing", "gone") in kinds
    assert ("type_mismatch", "amount") in kinds
    assert ("nullability", "id") in kinds
    assert ("order", None) in kinds
    assert ("type_mismatch", "wide") not in kinds  # integer -> bigint widens: allowed by default
    strict = schema_contract.schema_violations(
        schema_contract.resolve_contract(
            "t", {"columns": [{"name": "wide", "data_type": "integer"}], "allow_extra": False}
        ),
        actual,
        allow_widening=False,
    )
    assert {(v.kind, v.column) for v in strict} >= {("type_mismatch", "wide"), ("unexpected", "extra")}


def test_postgres_and_duckdb_spellings_are_one_type() -> None:
    contract = schema_contract.inline_contract("t", [{"name": "amount", "data_type": "decimal(12,2)"}])
    for dialect, spelled in (("duckdb", "DECIMAL(12,2)"), ("postgres", "numeric(12,2)")):
        actual = ActualTable("t", (ActualColumn("amount", spelled, True),), "warehouse", dialect)
        assert schema_contract.schema_violations(contract, actual) == ()


@pytest.mark.parametrize(
    ("contract_type", "actual_type", "dialect", "matches"),
    [
        pytest.param("timestamptz", "TIMESTAMP WITH TIME ZONE", "duckdb", True, id="tz-spellings"),
        pytest.param("timestamp", "timestamp without time zone", "postgres", True, id="naive-spellings"),
        pytest.param("timestamp with time zone", "TIMESTAMP", "duckdb", False, id="zone-lost"),
        pytest.param("text", "character varying", "postgres", True, id="text-family"),
        pytest.param("int", "int4", "postgres", True, id="integer-family"),
        pytest.param("bigint", "INTEGER", "duckdb", False, id="integer-narrowed"),
        pytest.param("decimal(12,2)", "DECIMAL(10,2)", "duckdb", False, id="precision-narrowed"),
        pytest.param("decimal(12,2)", "numeric(12,3)", "postgres", False, id="scale-changed"),
    ],
)
def test_types_are_normalised_across_dialects(
    contract_type: str, actual_type: str, dialect: str, matches: bool
) -> None:
    contract = schema_contract.inline_contract("t", [{"name": "x", "data_type": contract_type}])
    actual = ActualTable("t", (ActualColumn("x", actual_type, True),), "warehouse", dialect)
    found = [(v.kind, v.expected, v.actual) for v in schema_contract.schema_violations(contract, actual)]
    assert found == ([] if matches else [("type_mismatch", contract_type, actual_type)])
