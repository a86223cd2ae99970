"""The committed marts suites through GX's own Spark datasource (dataframe assets, whole-dataframe batches) in
the test run's SparkSession: all pass on the clean build, and on the faulted Spark example exactly the
expectations fail that fail on DuckDB for the same build, with the same counts, the faults' own among them.

headwater's custom expectations run there too (Spark metrics in `headwater.gx.spark`): the schema contract,
freshness, the referential check and the most-common-value share.

Cost: the shared `spark` and `spark_example`, then one module run: the clean marts copied to parquet and read
as dataframes, the suites on both, and the DuckDB checkpoint of the faulted build for reference."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from great_expectations.core.result_format import ResultFormat

from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.gx.checkpoint import CheckpointOutcome, FailedExpectation, run_marts_checkpoint
from headwater.gx.spark import load_suites, run_suites_on_spark, session_frames, suite_relation
from tests.engines.spark_example import CODE_FAULT, DATA_FAULT, SparkExample, export_parquet, spark_checksums
from tests.gx.test_marts_checkpoint import CHECK_TYPES

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "expectations" / "gx" / "expectations"
CUSTOM = {
    "expect_table_schema_to_match_contract",
    "expect_table_to_be_fresh",
    "expect_column_values_to_exist_in_table",
    "expect_column_most_common_value_share_to_be_below",
}


def committed_suites(folder: Path) -> Path:
    """A copy of the committed suites. Their inline contracts say the dialect they are spelled in (`dialect:
    duckdb`, where the dbt project compiles): without it a contract's names are read in the engine's, and
    Spark's `timestamp` is one with a time zone (DuckDB's `timestamp` is Spark's `timestamp_ntz`)."""
    shutil.copytree(COMMITTED, folder)
    for path in folder.glob("*.json"):
        for item in orjson.loads(path.read_bytes())["expectations"]:
            if item["type"] == "expect_table_schema_to_match_contract":
                assert item["kwargs"].get("dialect") == "duckdb", path.name
    return folder


@dataclass(frozen=True)
class Runs:
    clean: CheckpointOutcome  # Spark, clean build
    faulted: CheckpointOutcome  # Spark, the Spark example (both faults)
    duckdb: CheckpointOutcome  # DuckDB checkpoint of the same faulted build
    seconds: dict[str, float]
    before: dict[str, tuple[int, int]]  # the session's tables' checksums before the suites ran on them
    after: dict[str, tuple[int, int]]


def parquet_frames(spark: Any, duckdb_file: Path, relations: list[str], folder: Path) -> dict[str, Any]:
    """Each relation of the DuckDB file as a Spark dataframe over a parquet copy, its columns declared as
    `load_into_spark` declares them (so the clean tables have the faulted session tables' types)."""
    frames: dict[str, Any] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        for relation in relations:
            schema, table = relation.split(".")
            path = folder / f"{relation}.parquet"
            columns = export_parquet(con, schema, table, path)
            frames[relation] = spark.read.schema(columns).parquet(str(path))
    return frames


@pytest.fixture(scope="module")
def runs(
    spark: Any, spark_example: SparkExample, example_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Runs:
    folder = tmp_path_factory.mktemp("gx-spark")
    root = folder / "expectations"
    suites = committed_suites(root / "gx" / "expectations")
    relations = [suite_relation(s) for s in load_suites(suites)]
    seconds: dict[str, float] = {}
    before = spark_checksums(spark)
    # Each GX metric is a Spark job: the clean run asks only for success (BOOLEAN_ONLY), the faulted one for
    # counts and a sample of unexpected values (BASIC, no value counts); frames cached, not read per job.
    started = time.perf_counter()
    frames = cached(parquet_frames(spark, database_path(example_template), relations, folder))
    clean = run_suites_on_spark(suites, frames, result_format=ResultFormat.BOOLEAN_ONLY)
    uncache(frames)
    seconds["spark clean"] = time.perf_counter() - started
    started = time.perf_counter()
    frames = cached(session_frames(spark, suites))
    faulted = run_suites_on_spark(suites, frames, results_dir=folder / "results", result_format=ResultFormat.BASIC)
    uncache(frames)  # the shared session's tables: leave them as the other tests find them
    seconds["spark faulted"] = time.perf_counter() - started
    after = spark_checksums(spark)
    started = time.perf_counter()
    reference = run_marts_checkpoint(root, database_path(spark_example.project))
    seconds["duckdb faulted"] = time.perf_counter() - started
    print(f"\ngx on spark: {', '.join(f'{k} {v:.1f} s' for k, v in seconds.items())}")
    return Runs(clean, faulted, reference, seconds, before, after)


def cached(frames: dict[str, Any]) -> dict[str, Any]:
    return {relation: frame.cache() for relation, frame in frames.items()}


def uncache(frames: dict[str, Any]) -> None:
    for frame in frames.values():
        frame.unpersist()


def key(failure: FailedExpectation) -> tuple[str, str, str | None]:
    return failure.suite, failure.expectation_type, failure.column


def evaluated_types(outcome: CheckpointOutcome) -> set[str]:
    return {
        item["expectation_config"]["type"]
        for validation in outcome.raw["validation_results"]
        for item in validation["results"]
        if not (item.get("exception_info") or {}).get("raised_exception")
    }


def test_clean_build_passes_on_spark(runs: Runs) -> None:
    committed = sum(len(orjson.loads(p.read_bytes())["expectations"]) for p in COMMITTED.glob("*.json"))
    assert runs.clean.failures == (), [str(f) for f in runs.clean.failures]
    assert runs.clean.success
    assert runs.clean.evaluated == committed == runs.duckdb.evaluated
    # headwater's own expectations were computed by their Spark metrics, not skipped or errored.
    assert evaluated_types(runs.clean) >= CUSTOM


def test_faulted_spark_fails_what_duckdb_fails(runs: Runs) -> None:
    assert not runs.faulted.success and not runs.duckdb.success
    assert all(f.exception is None for f in runs.faulted.failures), [f.exception for f in runs.faulted.failures]
    spark_keys = sorted(key(f) for f in runs.faulted.failures)
    assert spark_keys == sorted(key(f) for f in runs.duckdb.failures)
    for fault_id in (CODE_FAULT, DATA_FAULT):
        expected = FAULTS[fault_id].expectation
        assert any(
            suite == expected.model and column == expected.column and kind in CHECK_TYPES[expected.check]
            for suite, kind, column in spark_keys
        ), (fault_id, str(expected), spark_keys)
    # The same rows are unexpected on both engines.
    duck = {key(f): f.result.get("unexpected_count") for f in runs.duckdb.failures}
    assert {key(f): f.result.get("unexpected_count") for f in runs.faulted.failures} == duck
    assert evaluated_types(runs.faulted) >= CUSTOM


def test_spark_result_is_written_like_the_checkpoints(runs: Runs) -> None:
    raw = orjson.loads(runs.faulted.result_path.read_bytes())
    assert raw["success"] is False
    assert {v["suite_name"] for v in raw["validation_results"]} == {p.stem for p in COMMITTED.glob("*.json")}
    tables = {f.table for f in runs.faulted.failures}
    assert tables and all(t.startswith("marts.") for t in tables), tables


def test_read_only_checksums_suites_on_spark(runs: Runs, spark_example: SparkExample) -> None:
    """The suites ran on the session's tables (the faulted run): every table's rows and hash unchanged."""
    assert sorted(runs.before) == sorted(spark_example.tables) and all(n > 0 for n, _ in runs.before.values())
    assert runs.after == runs.before
