"""The peers' fixture (fixtures/peers.sql) stays what it claims: cited cases across dialects and topics.

test_golden.py runs its cases like every other fixture file; this checks the file's own promises.
"""

from __future__ import annotations

from tests.lineage.golden import FIXTURES, read_cases

PEERS = read_cases(FIXTURES / "peers.sql")


def test_every_peer_case_cites_where_its_expectation_comes_from() -> None:
    assert 25 <= len(PEERS) <= 40
    uncited = [c.title for c in PEERS if not c.sources]
    assert uncited == []
    assert all(c.expected for c in PEERS)


def test_peer_cases_cover_the_dialects_and_topics_of_issue_12() -> None:
    dialects = {c.dialect for c in PEERS}
    assert {"duckdb", "snowflake", "postgres", "bigquery", "tsql"} <= dialects
    assert dialects & {"spark", "databricks"}
    sql = [c.sql.lower() for c in PEERS]
    topics = {
        "cte chain": any(s.count(" as (") >= 2 for s in sql),
        "union all": any("union all" in s for s in sql),
        "ephemeral": any(c.ephemeral for c in PEERS),
        "select star": any("select *" in s for s in sql),
        "window": any(" over (" in s for s in sql),
        "pivot": any(" pivot (" in s for s in sql),
        "quoted names": any('"' in s or "`" in s or "[" in s for s in sql),
    }
    assert [t for t, seen in topics.items() if not seen] == []
