"""The DuckDB datasource returns the counts we know, stays read-only, and reloads in a fresh process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
import sqlalchemy as sa

import headwater.gx  # noqa: F401  (registers the duckdb datasource type)
from headwater.gx.datasource import DuckDBDatasource, DuckDBExecutionEngine, duckdb_url, sqlalchemy_type

ROWS = 1000  # id 0..999; v NULL when id % 10 == 0 (100 NULLs); cat cycles c0, c1, c2 (333 x c2)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("duckdb") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.t as select i::integer as id,"
            f" case when i % 10 = 0 then null else i end as v, 'c' || (i % 3) as cat,"
            f" (i / 100)::decimal(12, 2) as amount from range({ROWS}) r(i)"
        )
    return path


@pytest.fixture(scope="module")
def batch(warehouse: Path):  # type: ignore[no-untyped-def]
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_duckdb("w", connection_string=duckdb_url(warehouse))
    assert isinstance(datasource, DuckDBDatasource)
    asset = datasource.add_table_asset("t", table_name="t", schema_name="marts")
    yield asset.add_batch_definition_whole_table("all").get_batch()
    datasource.close()


@pytest.mark.parametrize(
    ("expectation", "success", "observed"),
    [
        pytest.param(
            gxe.ExpectTableRowCountToEqual(value=ROWS), True, {"observed_value": ROWS}, id="row-count"
        ),
        pytest.param(
            gxe.ExpectColumnValuesToNotBeNull(column="v"), False, {"unexpected_count": 100}, id="nulls"
        ),
        pytest.param(
            gxe.ExpectColumnValuesToBeInSet(column="cat", value_set=["c0", "c1"]),
            False,
            {"unexpected_count": 333},
            id="in-set",
        ),
        pytest.param(
            gxe.ExpectColumnValuesToBeUnique(column="id"), True, {"unexpected_count": 0}, id="unique"
        ),
        pytest.param(
            gxe.ExpectColumnMaxToBeBetween(column="id", max_value=999),
            True,
            {"observed_value": 999},
            id="max",
        ),
        pytest.param(
            gxe.ExpectTableColumnsToMatchOrderedList(column_list=["id", "v", "cat", "amount"]),
            True,
            {"observed_value": ["id", "v", "cat", "amount"]},
            id="columns",
        ),
        pytest.param(
            gxe.ExpectColumnValuesToBeOfType(column="amount", type_="DECIMAL"), True, {}, id="type-decimal"
        ),
    ],
)
def test_metrics_match_known_counts(batch, expectation, success: bool, observed: dict) -> None:  # type: ignore[no-untyped-def]
    result = batch.validate(expectation)
    assert not result.exception_info.get("raised_exception"), result.exception_info
    assert result.success is success
    for key, value in observed.items():
        assert result.result[key] == value


def test_generic_sql_datasource_is_what_we_fix(warehouse: Path) -> None:
    """Documents the GX 1.24 defect: `add_sql` on DuckDB cannot compute a row count."""
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_sql(
        "plain", connection_string=duckdb_url(warehouse), kwargs={"connect_args": {"read_only": True}}
    )
    asset = datasource.add_table_asset("t", table_name="t", schema_name="marts")
    result = (
        asset.add_batch_definition_whole_table("all")
        .get_batch()
        .validate(gxe.ExpectTableRowCountToEqual(value=ROWS))
    )
    assert result.success is False
    assert result.result.get("observed_value") != ROWS
    datasource.get_execution_engine().close()


def test_engine_is_read_only(tmp_path: Path) -> None:
    warehouse = tmp_path / "own.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema marts; create table marts.t as select * from range({ROWS})")
    engine = DuckDBExecutionEngine(connection_string=duckdb_url(warehouse))
    try:
        with pytest.raises(sa.exc.DBAPIError, match="read-only"):
            engine.execute_query(sa.text("create table marts.x as select 1 as a"))
        assert engine.execute_query(sa.text("select count(*) from marts.t")).scalar() == ROWS
    finally:
        engine.close()
    # Released: a writer can open the file again.
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("select count(*) from marts.t").fetchone() == (ROWS,)


def test_type_strings_map_to_sqlalchemy_types() -> None:
    dialect = sa.create_engine("duckdb:///:memory:").dialect
    decimal = sqlalchemy_type(dialect, "DECIMAL(12,2)")
    assert isinstance(decimal, sa.DECIMAL)
    assert (decimal.precision, decimal.scale) == (12, 2)
    assert isinstance(sqlalchemy_type(dialect, "VARCHAR"), sa.String)
    assert isinstance(sqlalchemy_type(dialect, "TIMESTAMP WITH TIME ZONE"), sa.TIMESTAMP)
    assert isinstance(sqlalchemy_type(dialect, "STRUCT(a INTEGER)"), sa.types.NullType)


def test_file_context_reloads_in_a_fresh_process(warehouse: Path, tmp_path: Path) -> None:
    context = gx.get_context(mode="file", project_root_dir=str(tmp_path))
    datasource = context.data_sources.add_duckdb("w", connection_string=duckdb_url(warehouse))
    asset = datasource.add_table_asset("t", table_name="t", schema_name="marts")
    batch_definition = asset.add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="t"))
    suite.add_expectation(gxe.ExpectTableRowCountToEqual(value=ROWS))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="t", data=batch_definition, suite=suite)
    )
    context.checkpoints.add(gx.Checkpoint(name="cp", validation_definitions=[definition]))
    datasource.close()
    script = textwrap.dedent(
        f"""
        import great_expectations as gx
        import headwater.gx
        context = gx.get_context(mode="file", project_root_dir={str(tmp_path)!r})
        result = context.checkpoints.get("cp").run()
        print("SUCCESS" if result.success else "FAILED")
        """
    )
    # a script file, not `python -c` (pyspark's connect module exits a `-c` process it takes for doctests)
    (tmp_path / "run_checkpoint.py").write_text(script)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "run_checkpoint.py")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("SUCCESS")
