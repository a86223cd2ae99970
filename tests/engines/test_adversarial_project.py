"""Adversarial identifiers end to end: a dbt project whose relations and columns are named with quotes,
semicolons, spaces, unicode, mixed case and reserved words (tests/engines/adversarial_project.py), built with
dbt-duckdb and dbt-postgres, and the DuckDB build of its Spark-named variant loaded into Spark. Each of its
three faults, given as a failed GX result on the mart, is traced to the right node, column and mechanism on
each engine; the traces change no table (checksums) and, on PostgreSQL, the server's own statement log
(`log_statement = all` for the database) holds nothing but the trace's read-only probes.

Cost: one dbt build per engine for the module (tiny tables), three traces per engine; the shared Spark session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwater.example.postgres import PgServer
from headwater.lineage.names import fold
from headwater.trace import trace
from headwater.trace.model import Failure
from tests.engines import adversarial_project as adv
from tests.engines.checksums import Checksums, duckdb_checksums, postgres_checksums
from tests.engines.spark_example import load_into_spark, spark_checksums
from tests.engines.test_adversarial_identifiers import logged_statements

pytestmark = pytest.mark.slow
SPARK = "spark://local[2]"


@dataclass(frozen=True)
class Traced:
    project: Path
    failures: dict[str, Failure]  # fault id -> its one failure
    before: Checksums
    after: Checksums
    logged: tuple[str, ...] | None = None  # PostgreSQL: the statements the server logged during the traces


def trace_all(project: Path, warehouse: str, names: adv.Names) -> dict[str, Failure]:
    failures = {}
    for fault in adv.FAULTS:
        result = trace(adv.validation_result(fault, names), project_dir=project, warehouse=warehouse,
                       use_history=False)  # fmt: skip
        (failures[fault.id],) = result.failures
    return failures


@pytest.fixture(scope="module")
def on_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Traced:
    folder = tmp_path_factory.mktemp("adversarial-duckdb")
    path = adv.build_duckdb(folder, adv.ADVERSARIAL)
    before = duckdb_checksums(path)
    failures = trace_all(folder, f"duckdb:///{path}", adv.ADVERSARIAL)
    return Traced(folder, failures, before, duckdb_checksums(path))


@pytest.fixture(scope="module")
def on_postgres(pg_databases: Callable[[str], PgServer], tmp_path_factory: pytest.TempPathFactory) -> Traced:
    server = pg_databases("")
    admin = server.connect()
    try:
        with admin.cursor() as cur:
            for statement in adv.raw_sql(adv.ADVERSARIAL):
                cur.execute(statement)
            cur.execute("select current_setting('server_version_num')::int / 10000")
            major = cur.fetchone()[0]
        folder = tmp_path_factory.mktemp("adversarial-postgres")
        output = adv.postgres_output(server.host, server.port, server.user, server.password, server.dbname)
        adv.build(adv.write_project(folder, adv.ADVERSARIAL, output))
        with admin.cursor() as cur:  # after the build: dbt's own statements are not the trace's
            cur.execute(f"alter database {adv.q(server.dbname)} set log_statement = 'all'")
        before = postgres_checksums(admin)
        # Debian's pg_ctlcluster sends the server's stderr (the statement log) here; HEADWATER_PG_LOG names another
        log = Path(os.environ.get("HEADWATER_PG_LOG", f"/var/log/postgresql/postgresql-{major}-main.log"))
        readable = log.is_file() and os.access(log, os.R_OK)
        start = log.stat().st_size if readable else 0
        failures = trace_all(folder, server.url(), adv.ADVERSARIAL)
        logged = tuple(logged_statements(log, start, server.dbname)) if readable else None
        return Traced(folder, failures, before, postgres_checksums(admin), logged)
    finally:
        admin.close()


@pytest.fixture(scope="module")
def on_spark(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    """The Spark-named variant built on DuckDB, its tables loaded into the shared session (and dropped after,
    so the other Spark tests see only their own)."""
    folder = tmp_path_factory.mktemp("adversarial-spark")
    path = adv.build_duckdb(folder, adv.SPARK)
    databases = {row[0] for row in spark.sql("SHOW DATABASES").collect()}
    tables = load_into_spark(spark, path, tmp_path_factory.mktemp("adversarial-parquet"))
    try:
        mine = {fold(t) for t in tables}

        def checksums() -> Checksums:
            return {k: v for k, v in spark_checksums(spark).items() if k in mine}

        before = checksums()
        failures = trace_all(folder, SPARK, adv.SPARK)
        yield Traced(folder, failures, before, checksums())
    finally:
        for table in tables:
            spark.sql("DROP TABLE IF EXISTS " + ".".join(f"`{p}`" for p in table.split(".")))
        for (database,) in spark.sql("SHOW DATABASES").collect():
            if database not in databases and not spark.sql(f"SHOW TABLES IN `{database}`").collect():
                spark.sql(f"DROP DATABASE `{database}`")


ENGINES = ("duckdb", "postgres", "spark")


@pytest.fixture(params=ENGINES)
def traced(request: pytest.FixtureRequest) -> tuple[str, Traced]:
    return request.param, request.getfixturevalue(f"on_{request.param}")


def same_column(engine: str, got: str, wanted: str) -> bool:
    """PostgreSQL keeps a quoted name's case: the exact name. DuckDB and Spark fold names (ASCII letters:
    DuckDB's `Ü` is not its `ü`), and headwater names a column in the folded spelling."""
    return got == wanted if engine == "postgres" else got == fold(wanted)


@pytest.mark.parametrize("fault", adv.FAULTS, ids=[f.id for f in adv.FAULTS])
def test_each_fault_traced_to_its_cause(traced: tuple[str, Traced], fault: adv.Fault) -> None:
    engine, run = traced
    failure = run.failures[fault.id]
    assert failure.verdict.value == "traced", (engine, failure.reason)
    top = failure.root_causes[0]
    got = (top.node, top.column, top.mechanism.value, top.file, top.line)
    assert (top.node, top.mechanism.value) == (fault.node, fault.mechanism), got
    assert any(same_column(engine, top.column, c) for c in fault.columns), got
    assert top.file and top.line, got
    line = (run.project / top.file).read_text().splitlines()[top.line - 1]
    assert (fault.where or f"name: {adv.yaml_str(fault.columns[0])}") in line, (got, line)
    # the verdict ran on the engine: every probe errored on nothing and its evidence counts failing rows
    assert all(not p.error for p in failure.probes), [p.error for p in failure.probes]
    assert (top.evidence.failing_here or 0) > 0, top.evidence


def test_traces_change_no_table(traced: tuple[str, Traced]) -> None:
    engine, run = traced
    names = adv.SPARK if engine == "spark" else adv.ADVERSARIAL
    victim = f"{'public' if engine == 'postgres' else 'main'}.{adv.VICTIM}"
    tables = {victim, f"{names.schema}.{names.mart}", f"{names.source_schema}.{names.orders}",
              f"{names.source_schema}.{names.customers}"}  # fmt: skip
    expected = {fold(t) for t in tables} if engine == "spark" else tables  # Spark lower-cases its names
    assert expected <= set(run.before) and run.before[victim][0] == 2, sorted(run.before)
    assert run.after == run.before


@pytest.mark.postgres
def test_postgres_log_holds_only_the_probes(on_postgres: Traced) -> None:
    if on_postgres.logged is None:
        pytest.skip("the server's statement log is not readable here (set HEADWATER_PG_LOG); checksums held")
    sent = [" ".join(p.sql.split()) for f in on_postgres.failures.values() for p in f.probes]
    # what the driver sends to open each read-only session, then the probes, and nothing else
    session = re.compile(r"(?i)^(set (session characteristics|default_transaction|statement_timeout)|begin|rollback)")
    logged = [s for s in on_postgres.logged if not session.match(s)]
    assert logged == sent, logged
    assert all(re.match(r"(?i)^(select|with)\b", s) for s in logged), logged
    assert any(adv.q(adv.PAYLOAD) in s for s in logged)  # the payload went to the server, as a quoted name


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_adversarial_columns_are_mapping_schema_keys(dialect: str) -> None:
    """Every column name of the project is a key sqlglot's MappingSchema accepts and qualifies a query by."""
    from sqlglot import exp, parse_one
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.schema import MappingSchema

    from headwater.lineage.names import INSENSITIVES, column_case, schema_key

    case = column_case(dialect)
    names = [c for c, _ in adv.ORDER_COLUMNS + adv.CUSTOMER_COLUMNS]
    schema = MappingSchema(dialect=dialect)
    schema.add_table(exp.to_table("t"), {schema_key(n, case, dialect): "int" for n in names}, dialect=dialect)
    query = parse_one("select * from t", read=dialect)
    expanded = [s.alias_or_name for s in qualify(query, schema=schema, dialect=dialect).selects]
    assert [fold(n, case) if case in INSENSITIVES else n for n in names if n != adv.KEY] == [
        n for n in expanded if n.lower() != adv.KEY.lower()
    ]
    assert fold(adv.NAME) == "mixedcase Ünïcødé"  # ASCII only, as DuckDB and PostgreSQL fold
