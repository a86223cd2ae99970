"""GX expectation configs (core and headwater's own) and CLI questions -> typed Checks."""

from __future__ import annotations

from datetime import datetime

import pytest

from headwater.errors import ConfigError
from headwater.trace import checks as ck
from headwater.trace.checks import describe, rename
from headwater.trace.gx_map import check_from_expectation, check_from_question


@pytest.mark.parametrize(
    ("kind", "kwargs", "expected"),
    [
        ("expect_column_values_to_not_be_null", {"column": "Email", "mostly": 0.95}, ck.NotNull("email", 0.95)),
        ("expect_column_values_to_be_unique", {"column": "id"}, ck.Unique(("id",))),
        ("expect_compound_columns_to_be_unique", {"column_list": ["a", "B"]}, ck.Unique(("a", "b"))),
        ("expect_column_values_to_be_in_set", {"column": "m", "value_set": ["x", "y"]}, ck.InSet("m", ("x", "y"))),
        ("expect_column_values_to_not_be_in_set", {"column": "m", "value_set": ["z"]}, ck.InSet("m", ("z",), True)),
        ("expect_column_values_to_be_between", {"column": "a", "min_value": 0, "max_value": 5}, ck.Between("a", 0, 5)),
        ("expect_column_min_to_be_between", {"column": "a", "min_value": 0}, ck.Between("a", 0, None, stat="min")),
        ("expect_column_values_to_match_regex", {"column": "e", "regex": "@"}, ck.Regex("e", "@")),
        ("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 9}, ck.RowCount(1, 9)),
        ("expect_table_row_count_to_equal", {"value": 3}, ck.RowCount(3, 3)),
        ("expect_column_to_exist", {"column": "x"}, ck.Schema(("x",))),
        (
            "expect_table_columns_to_match_set",
            {"column_set": ["a", "b"], "exact_match": True},
            ck.Schema(("a", "b"), exact=True),
        ),
        (
            "expect_column_distinct_values_to_contain_set",
            {"column": "d", "value_set": ["w"]},
            ck.DistinctContains("d", ("w",)),
        ),
        (
            "expect_column_max_to_be_between",
            {"column": "t", "min_value": "2026-01-30T00:00:00"},
            ck.Freshness("t", 0.0, datetime(2026, 1, 30)),
        ),
        ("ExpectTableToBeFresh", {"column": "t", "max_age_hours": 24}, ck.Freshness("t", 86400.0)),
        ("expect_table_to_be_fresh", {"column": "t", "max_lag": "2w"}, ck.Freshness("t", 14 * 86400.0)),
        ("expect_table_to_be_fresh", {"column": "t"}, ck.Freshness("t", 86400.0)),
        (
            "expect_table_to_be_fresh",
            {"column": "t", "max_lag": "1d", "reference_time": "2026-01-31T01:00:00+02:00"},
            ck.Freshness("t", 86400.0, datetime(2026, 1, 30, 23)),
        ),
        ("expect_column_most_common_value_share_to_be_below", {"column": "s", "max_share": 0.3}, ck.McvShare("s", 0.3)),
        (
            "expect_column_values_to_exist_in_table",
            {"column": "c", "to_table": "dim", "to_column": "id"},
            ck.Referential("c", "dim", "id"),
        ),
        (
            "expect_column_distribution_to_match_baseline",
            {"column": "k", "baseline": {"values": ["a", "b"], "weights": [0.5, 0.5]}},
            ck.Drift("k", ("a", "b"), (0.5, 0.5), min_sample_size=100, chi2_pvalue=0.01),
        ),
        (
            "expect_table_schema_to_match_contract",
            {"contract": {"columns": [{"name": "id", "data_type": "integer"}]}},
            ck.Schema(("id",), (("id", "integer"),)),
        ),
    ],
)
def test_expectations_map_to_checks(kind: str, kwargs: dict[str, object], expected: object) -> None:
    assert check_from_expectation(kind, kwargs) == expected


def test_unknown_expectation_is_reported_by_name() -> None:
    check = check_from_expectation("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a"})
    assert isinstance(check, ck.Untraceable)
    assert check.expectation_type == "expect_column_pair_values_a_to_be_greater_than_b"


def test_bad_arguments_are_untraceable_not_dropped() -> None:
    check = check_from_expectation("expect_column_values_to_match_regex", {"column": "e"})
    assert isinstance(check, ck.Untraceable) and "arguments" in check.reason


def test_questions() -> None:
    assert check_from_question("between", "amount", {"min": "0", "max": "5000"}) == ck.Between("amount", 0, 5000)
    assert check_from_question("accepted_values", "m", {"values": "card,cash"}) == ck.InSet("m", ("card", "cash"))
    assert check_from_question("unique", "a", {"columns": "a,b"}) == ck.Unique(("a", "b"))
    # GX's argument names everywhere, row counts included
    assert check_from_question("row_count", "", {"min_value": "10", "max_value": "20"}) == ck.RowCount(10, 20)
    assert check_from_question("between", "x", {"min_value": "1", "max_value": "2"}) == ck.Between("x", 1, 2)
    with pytest.raises(ConfigError, match="Did you mean 'not_null'"):
        check_from_question("not_nul", "a", {})


def test_rename_moves_a_check_to_upstream_columns() -> None:
    assert rename(ck.Unique(("a", "b")), {"a": "x"}) == ck.Unique(("x", "b"))
    assert rename(ck.NotNull("email"), {"email": "mail"}) == ck.NotNull("mail")
    assert describe(ck.Between("a", 0, 5)) == "between [0, 5]"


def test_baseline_file_and_contract_references(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    baseline = tmp_path / "baseline.json"
    profile = {"kind": "categorical", "values": ["web", "app"], "weights": [0.6, 0.4], "count": 10}
    baseline.write_text(json.dumps({"columns": {"device": profile}}))
    drift = check_from_expectation(
        "expect_column_distribution_to_match_baseline",
        {"column": "device", "baseline_path": str(baseline), "psi_threshold": 0.1},
    )
    assert drift == ck.Drift(
        "device", ("web", "app"), (0.6, 0.4), threshold=0.1, min_sample_size=100, chi2_pvalue=0.01, count=10
    )

    manifest = tmp_path / "manifest.json"
    node = {
        "resource_type": "model",
        "name": "dim",
        "unique_id": "model.p.dim",
        "columns": {"id": {"name": "id", "data_type": "integer"}},
    }
    metadata = {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "adapter_type": "duckdb"}
    manifest.write_text(json.dumps({"metadata": metadata, "nodes": {"model.p.dim": node}}))
    contract = check_from_expectation(
        "expect_table_schema_to_match_contract", {"dbt_manifest": str(manifest), "dbt_model": "dim"}
    )
    assert contract == ck.Schema(("id",), (("id", "integer"),), exact=True, dialect="duckdb")

    odcs = tmp_path / "contract.yaml"
    odcs.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nid: o\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: orders\n    properties:\n      - {name: order_id, physicalType: bigint}\n"
    )
    assert check_from_expectation("expect_table_schema_to_match_contract", {"odcs_path": str(odcs)}) == ck.Schema(
        ("order_id",), (("order_id", "bigint"),)
    )

    # not an ODCS v3 document: GX's expectation refuses it, so the tracer does not guess at it either
    (tmp_path / "loose.yaml").write_text("schema:\n  - name: orders\n    properties:\n      - {name: order_id}\n")
    loose = check_from_expectation("expect_table_schema_to_match_contract", {"odcs_path": str(tmp_path / "loose.yaml")})
    assert isinstance(loose, ck.Untraceable) and "not an ODCS v3 contract" in loose.reason

    missing = check_from_expectation(
        "expect_column_distribution_to_match_baseline", {"column": "x", "baseline_path": str(tmp_path / "no.json")}
    )
    assert isinstance(missing, ck.Untraceable) and "unreadable" in missing.reason


def test_unreadable_lag_is_untraceable_not_a_default() -> None:
    """An unreadable lag used to become one day in the tracer; now it is reported, as GX refuses it too."""
    check = check_from_expectation("expect_table_to_be_fresh", {"column": "t", "max_lag": "soon"})
    assert isinstance(check, ck.Untraceable) and "cannot read the lag" in check.reason


def test_schema_contract_options_reach_the_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kwargs = {
        "columns": [{"name": "id", "data_type": "integer"}, {"name": "v", "logicalType": "number"}],
        "allow_widening": False,
        "exact_order": True,
        "allow_extra": False,
        "dialect": "postgres",
    }
    assert check_from_expectation("expect_table_schema_to_match_contract", kwargs) == ck.Schema(
        ("id", "v"),
        (("id", "integer"),),
        exact=True,
        logical_types=(("v", "number"),),
        allow_widening=False,
        exact_order=True,
        dialect="postgres",
    )
    unreadable = check_from_expectation(
        "expect_table_schema_to_match_contract", {"odcs_path": str(tmp_path / "no.yaml")}
    )
    assert isinstance(unreadable, ck.Untraceable) and "contract could not be read" in unreadable.reason


def test_rename_moves_schema_types_and_logical_types() -> None:
    check = ck.Schema(("a",), (("a", "integer"),), logical_types=(("b", "number"),))
    moved = rename(check, {"a": "x", "b": "y"})
    assert moved == ck.Schema(("x",), (("x", "integer"),), logical_types=(("y", "number"),))
    assert ck.columns_of(moved) == ("x", "y")
