"""Type normalisation across dialects and widening / narrowing comparison (`headwater.semantics.types`,
re-exported as `headwater.contracts.types`)."""

from __future__ import annotations

import doctest

import pytest

from headwater.contracts import types as contract_types
from headwater.semantics import types
from headwater.semantics.types import (
    TypeChange,
    TypeFamily,
    compare_types,
    normalize_logical_type,
    normalize_type,
    types_match,
)


@pytest.mark.parametrize(
    ("raw", "dialect", "expected"),
    [
        pytest.param("INTEGER", "duckdb", "integer(32)", id="duckdb-int"),
        pytest.param("int4", "postgres", "integer(32)", id="pg-int4"),
        pytest.param("INT64", "bigquery", "integer(64)", id="bq-int64"),
        pytest.param("HUGEINT", "duckdb", "integer(128)", id="duckdb-hugeint"),
        pytest.param("smallint", "postgres", "integer(16)", id="pg-smallint"),
        pytest.param("DECIMAL(12,2)", "duckdb", "decimal(12,2)", id="duckdb-decimal"),
        pytest.param("numeric(12,2)", "postgres", "decimal(12,2)", id="pg-numeric"),
        pytest.param("NUMBER(38,0)", "snowflake", "decimal(38,0)", id="sf-number"),
        pytest.param("numeric", "postgres", "decimal", id="pg-numeric-unbounded"),
        pytest.param("double precision", "postgres", "float(64)", id="pg-double"),
        pytest.param("REAL", "duckdb", "float(32)", id="duckdb-real"),
        pytest.param("FLOAT64", "bigquery", "float(64)", id="bq-float64"),
        pytest.param("VARCHAR", "duckdb", "text", id="duckdb-varchar"),
        pytest.param("character varying(20)", "postgres", "text(20)", id="pg-varchar-n"),
        pytest.param("STRING", "bigquery", "text", id="bq-string"),
        pytest.param("character(3)", "postgres", "text(3)", id="pg-char"),
        pytest.param("BOOL", "duckdb", "boolean", id="duckdb-bool"),
        pytest.param("DATE", "duckdb", "date", id="duckdb-date"),
        pytest.param("timestamp without time zone", "postgres", "timestamp", id="pg-ts"),
        pytest.param("timestamp(6) with time zone", "postgres", "timestamp_tz", id="pg-tstz"),
        pytest.param("TIMESTAMP WITH TIME ZONE", "duckdb", "timestamp_tz", id="duckdb-tstz"),
        pytest.param("TIMESTAMP", "bigquery", "timestamp_tz", id="bq-timestamp-is-instant"),
        pytest.param("DATETIME", "bigquery", "timestamp", id="bq-datetime"),
        pytest.param("TIMESTAMP_NTZ", "snowflake", "timestamp", id="sf-ntz"),
        pytest.param("TIMESTAMP_NS", "duckdb", "timestamp", id="duckdb-ts-ns"),
        pytest.param("uuid", "duckdb", "uuid", id="uuid"),
        pytest.param("VARCHAR[]", "duckdb", "array", id="duckdb-list"),
        pytest.param("not a type at all", None, "not a type at all", id="unparseable"),
        pytest.param("", None, "unknown", id="empty"),
    ],
)
def test_normalize_type(raw: str, dialect: str | None, expected: str) -> None:
    assert str(normalize_type(raw, dialect)) == expected


@pytest.mark.parametrize(
    ("expected", "actual", "dialect", "change"),
    [
        pytest.param("integer", "INTEGER", "duckdb", TypeChange.SAME, id="same-int"),
        pytest.param("integer", "BIGINT", "duckdb", TypeChange.WIDENED, id="int-to-bigint"),
        pytest.param("bigint", "integer", "duckdb", TypeChange.NARROWED, id="bigint-to-int"),
        pytest.param("decimal(12,2)", "DECIMAL(12,2)", "duckdb", TypeChange.SAME, id="same-decimal"),
        pytest.param("decimal(12,2)", "DECIMAL(18,2)", "duckdb", TypeChange.WIDENED, id="decimal-wider"),
        pytest.param("decimal(12,2)", "DECIMAL(5,2)", "duckdb", TypeChange.NARROWED, id="decimal-narrower"),
        pytest.param("decimal(12,2)", "DECIMAL(12,0)", "duckdb", TypeChange.NARROWED, id="scale-lost"),
        pytest.param("decimal(12,2)", "VARCHAR", "duckdb", TypeChange.INCOMPATIBLE, id="decimal-to-text"),
        pytest.param("numeric", "numeric(12,2)", "postgres", TypeChange.SAME, id="bare-numeric-accepts"),
        pytest.param("integer", "numeric(38,0)", "postgres", TypeChange.WIDENED, id="int-to-number38"),
        pytest.param("bigint", "decimal(10,0)", "duckdb", TypeChange.NARROWED, id="bigint-to-decimal10"),
        pytest.param("integer", "double", "duckdb", TypeChange.WIDENED, id="int-to-double"),
        pytest.param("bigint", "double", "duckdb", TypeChange.NARROWED, id="bigint-to-double"),
        pytest.param("double", "decimal(12,2)", "duckdb", TypeChange.NARROWED, id="double-to-decimal"),
        pytest.param("double", "numeric", "postgres", TypeChange.WIDENED, id="double-to-unbounded-numeric"),
        pytest.param("numeric", "double precision", "postgres", TypeChange.NARROWED, id="numeric-to-double"),
        pytest.param("double", "REAL", "duckdb", TypeChange.NARROWED, id="double-to-real"),
        pytest.param("real", "DOUBLE", "duckdb", TypeChange.WIDENED, id="real-to-double"),
        pytest.param("double precision", "real", "postgres", TypeChange.NARROWED, id="pg-double-to-real"),
        pytest.param("varchar", "text", "postgres", TypeChange.SAME, id="varchar-text"),
        pytest.param("varchar(10)", "varchar(20)", "postgres", TypeChange.WIDENED, id="varchar-longer"),
        pytest.param("varchar(20)", "varchar(10)", "postgres", TypeChange.NARROWED, id="varchar-shorter"),
        pytest.param("date", "timestamp", "duckdb", TypeChange.WIDENED, id="date-to-ts"),
        pytest.param("timestamp", "date", "duckdb", TypeChange.NARROWED, id="ts-to-date"),
        pytest.param("timestamp", "timestamptz", "duckdb", TypeChange.INCOMPATIBLE, id="tz-added"),
        pytest.param("boolean", "integer", "duckdb", TypeChange.INCOMPATIBLE, id="bool-to-int"),
        pytest.param("geometry_thing", "geometry_thing", None, TypeChange.SAME, id="unknown-equal"),
        pytest.param("geometry_thing", "other_thing", None, TypeChange.UNKNOWN, id="unknown-differs"),
    ],
)
def test_compare_types(expected: str, actual: str, dialect: str | None, change: TypeChange) -> None:
    result = compare_types(expected, actual, dialect)
    assert result.change is change, result.reason
    assert result.reason  # every comparison says why in one line
    assert "\n" not in result.reason


def test_breaking_and_match() -> None:
    assert compare_types("decimal(12,2)", "varchar", "duckdb").is_breaking
    assert not compare_types("int", "bigint", "duckdb").is_breaking
    assert types_match("int", "bigint", "duckdb")
    assert not types_match("int", "bigint", "duckdb", allow_widening=False)
    assert types_match("numeric(12,2)", "DECIMAL(12,2)", "duckdb")


def test_dialects_agree_on_one_type() -> None:
    spellings = [("DECIMAL(12,2)", "duckdb"), ("numeric(12,2)", "postgres"), ("NUMBER(12,2)", "snowflake")]
    normalized = {str(normalize_type(raw, dialect)) for raw, dialect in spellings}
    assert normalized == {"decimal(12,2)"}


def test_logical_types() -> None:
    assert normalize_logical_type("integer").family is TypeFamily.INTEGER
    assert (
        compare_types(normalize_logical_type("number"), "DECIMAL(12,2)", "duckdb").change is TypeChange.SAME
    )
    assert compare_types(normalize_logical_type("integer"), "BIGINT", "duckdb").change is TypeChange.SAME
    assert compare_types(normalize_logical_type("string"), "VARCHAR", "duckdb").change is TypeChange.SAME
    number_to_text = compare_types(normalize_logical_type("number"), "VARCHAR", "duckdb")
    assert number_to_text.change is TypeChange.INCOMPATIBLE


def test_docstring_examples_run() -> None:
    assert doctest.testmod(types).failed == 0
    assert doctest.testmod(contract_types).failed == 0


def test_contracts_and_tracer_share_one_implementation() -> None:
    """`double` declared and `real` found used to be the same type in the tracer (one "float" family)."""
    import importlib

    assert contract_types.compare_types is types.compare_types
    assert importlib.import_module("headwater.contracts.check").compare_types is types.compare_types
    assert not types.same_type("double", "REAL", "duckdb")
