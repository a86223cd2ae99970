"""Hypothesis fuzzing of the manifest/catalog loader and of SQL -> lineage (bounded: a few seconds each)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.schema import MappingSchema

from headwater.dbt.artifacts import Manifest
from headwater.dbt.catalog import Catalog
from headwater.errors import HeadwaterError
from headwater.lineage.analyze import analyze_model
from headwater.lineage.locate import Locator
from tests.badinput.corpus import real_artifacts

MANIFEST, CATALOG = real_artifacts()
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> list[tuple[Any, ...]]:
    """Paths to every value of `data` up to `depth` 4 (of one model, one source and one catalog table)."""
    found = [prefix] if prefix else []
    if depth < 4 and isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key), depth + 1)
    return found


MODEL = next(uid for uid, n in MANIFEST["nodes"].items() if n["resource_type"] == "model")
SOURCE = next(iter(MANIFEST["sources"]))
TABLE = next(iter(CATALOG["nodes"]))
MANIFEST_PATHS = [("metadata", *p) for p in _paths(MANIFEST["metadata"])] + [
    (section, uid, *p) for section, uid in (("nodes", MODEL), ("sources", SOURCE))
    for p in _paths(MANIFEST[section][uid])
]
CATALOG_PATHS = [("nodes", TABLE, *p) for p in _paths(CATALOG["nodes"][TABLE])]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`data` with the value at `path` replaced (copies along the path only); unchanged where an earlier
    edit removed the path."""
    if not path:
        return value
    if not isinstance(data, dict) or path[0] not in data:
        return data
    return {**data, path[0]: _set(data[path[0]], path[1:], value)}


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(MANIFEST_PATHS), json_values), min_size=1, max_size=3))
def test_manifest_loader_never_crashes(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    raw = MANIFEST
    for path, value in edits:
        raw = _set(raw, path, value)
    for include_tests in (True, False):
        try:
            manifest = Manifest.from_dict(raw, include_tests=include_tests)
            for node in manifest.all_nodes():
                assert isinstance(node.unique_id, str)
        except HeadwaterError as err:
            assert "\n" not in str(err)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(CATALOG_PATHS), json_values), min_size=1, max_size=3))
def test_catalog_loader_never_crashes(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    raw = CATALOG
    for path, value in edits:
        raw = _set(raw, path, value)
    try:
        catalog = Catalog.from_dict(raw)
        catalog.column_types(TABLE)
        catalog.columns(TABLE)
    except HeadwaterError as err:
        assert "\n" not in str(err)


SQL_PARTS = st.sampled_from([
    "select", "*", "a", "b", "t.a", "from", "t", "w.raw.t", "as", "x", ",", "(", ")", "join", "on", "=", "where",
    "group by", "1", "'s'", "\"Q\"", "with", "union all", "pivot", "unpivot", "for", "in", "sum(a)", "over",
    "partition by", "qualify", "lateral", "{{", "}}", "::int", "case when", "then", "else", "end", ";", "$1",
])
DIALECTS = st.sampled_from(["duckdb", "snowflake", "bigquery", "postgres", "tsql", "spark", "mysql", "oracle"])


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(SQL_PARTS, min_size=1, max_size=25), DIALECTS, st.booleans())
def test_sql_to_lineage_never_raises(parts: list[str], dialect: str, fast: bool) -> None:
    sql = " ".join(parts)
    schema = MappingSchema(dialect=dialect)
    schema.add_table(exp.to_table("w.raw.t", dialect=dialect), {"a": "INT", "b": "TEXT"}, dialect=dialect)
    result = analyze_model(
        "model.p.m", sql, dialect, schema,
        lambda table: "source.p.t" if table.name.lower() == "t" else None,
        lambda _: None,
        Locator(sql, sql, dialect),
        table_columns=lambda uid: ("a", "b") if uid == "source.p.t" else None,
        fast=fast,
    )
    assert result.columns
    targets = {e.target for e in result.edges}
    assert targets <= set(result.columns)
    assert all(e.reason for e in result.edges if e.kind == "unknown")
