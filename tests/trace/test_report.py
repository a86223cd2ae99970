"""The three renderings of a TraceResult: JSON keeps its documented shape, text fits a screen, md has SQL."""

from __future__ import annotations

import json

import pytest

from headwater.errors import ConfigError
from headwater.report.trace import render_trace
from headwater.trace.model import (
    CauseKind,
    ContributingRow,
    Evidence,
    Failure,
    Mechanism,
    PathStep,
    RootCause,
    RowProvenance,
    TraceResult,
    Verdict,
)
from headwater.warehouse import Probe

CAUSE = RootCause(
    CauseKind.TRANSFORMATION,
    "model.p.int_orders",
    "main.int_orders",
    "customer_id",
    Mechanism.JOIN_MISS,
    "orders.customer_id = customers.customer_id",
    "models/int_orders.sql",
    14,
    Evidence(312, 312, 10_000, ("1000036", "1002000"), "SELECT 1", "312 unmatched"),
    1.0,
    "the LEFT JOIN at models/int_orders.sql:14 finds no customer for 312 customer_id values",
    "left",
)
FAILURE = Failure(
    "expect_column_values_to_not_be_null",
    "model.p.fct_orders",
    "marts.fct_orders",
    "customer_region",
    "not_null",
    Verdict.TRACED,
    (CAUSE,),
    (
        PathStep(
            "model.p.fct_orders",
            "marts.fct_orders",
            "customer_region",
            "not_null",
            True,
            312,
            10_000,
            "312 of 10,000 rows fail",
            "SELECT 2",
        ),
    ),
    (Probe("SELECT 2", 1, 0.01, "checks"),),
    rows=(
        RowProvenance(
            "order_id=7",
            {"order_id": 7},
            (ContributingRow("model.p.stg_orders", "main.stg_orders", "order_id=7", {"order_id": 7}),),
        ),
    ),
)
RESULT = TraceResult(
    (FAILURE, Failure("x", "model.p.a", "a", "c", "untraceable (x)", Verdict.UNTRACEABLE, reason="nope")),
    "duckdb:///w.duckdb",
    0.5,
)


def test_json_shape() -> None:
    data = json.loads(render_trace(RESULT, "json"))
    assert data["version"] == 1 and data["exit_code"] == 1
    assert data["summary"] == {
        "failures": 2,
        "traced": 1,
        "unknown": 0,
        "not_reproduced": 0,
        "untraceable": 1,
        "probes": 1,
    }
    failure = data["failures"][0]
    assert list(failure) == [
        "expectation",
        "suite",
        "node",
        "relation",
        "column",
        "check",
        "verdict",
        "reason",
        "root_causes",
        "path",
        "timeline",
        "probes",
        "rows",
    ]
    cause = failure["root_causes"][0]
    assert {k: cause[k] for k in ("kind", "mechanism", "file", "line", "join_side")} == {
        "kind": "transformation",
        "mechanism": "join_miss",
        "file": "models/int_orders.sql",
        "line": 14,
        "join_side": "left",
    }
    assert cause["evidence"]["sample_keys"] == ["1000036", "1002000"] and cause["evidence"]["sql"] == "SELECT 1"
    assert failure["rows"][0]["upstream"][0]["node"] == "model.p.stg_orders"


def test_text_fits_a_screen_and_md_carries_the_sql() -> None:
    text = render_trace(RESULT, "text")
    assert len(text.splitlines()) < 20 and "finds no customer for 312" in text and "untraceable" in text
    assert "SELECT 1" in render_trace(RESULT, "text", sql=True)
    md = render_trace(RESULT, "md")
    assert md.startswith("# headwater trace") and "```sql\nSELECT 1\n```" in md


def test_unknown_format() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'json'"):
        render_trace(RESULT, "jsn")
