"""Parity: a check means the same in GX and in the tracer.

For each check kind, on the same data, the verdict of the GX expectation (run by GX, on DuckDB and on
pandas) equals the verdict of the tracer's re-run of that expectation (`check_from_expectation` +
`measures.evaluate`, SQL on DuckDB). Each case names the defect it pins down where there was one: lag
units ("2w"), time zones, double vs real, PSI on empty bins, the `mostly` denominator, schema contracts
with `allow_widening` and with paths (dbt manifest, ODCS file).

Only public entry points are used on both sides, so the same file runs against an older tree too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import pytest
from great_expectations.expectations.registry import get_expectation_impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import headwater.gx as hg
from headwater.trace.gx_map import check_from_expectation
from headwater.trace.measures import evaluate
from headwater.warehouse import Warehouse, connect, from_url

NEWEST = dt.datetime(2026, 1, 17)  # max(s.fresh.ts), naive: UTC

SETUP = """
create schema s;
create table s.fresh as select timestamp '2026-01-17 00:00:00' - to_hours(range) as ts from range(48);
create table s.typed (id integer, amount real, total double, name varchar, big bigint, ts timestamp);
insert into s.typed values (1, 1.5, 2.5, 'a', 10, timestamp '2026-01-01'), (2, 2.5, 3.5, 'b', 20, null);
create table s.tags as select range as id,
    case when range < 30 then null when range < 90 then 'ok' else 'bad' end as tag,
    case when range < 30 then null when range < 90 then range else 500 end as v from range(100);
create table s.mcv as select range as id,
    case when range < 50 then null when range < 80 then 0.5 else range / 100 end as score from range(100);
create table s.parent as select range % 90 as id from range(180);
create table s.child as select range as id, case when range < 10 then null else range - 5 end as parent_id
    from range(100);
create table s.cats as select case when range < 495 then 'web' when range < 990 then 'app' else 'tv' end
    as device from range(1000);
create table s.nums as select (case when range < 495 then range % 10 when range < 990 then 10 + range % 10
    else 25 end)::double as amount from range(1000);
create table s.pay as select case when range < 6900 then 'card' when range < 9800 then 'paypal'
    else 'crypto' end as method from range(10000);
create table s.few as select 'tv' as device from range(50);
"""

ODCS = """\
apiVersion: v3.0.2
kind: DataContract
id: typed
version: 1.0.0
status: active
schema:
  - name: typed
    properties:
      - {name: id, physicalType: integer, required: true}
      - {name: amount, logicalType: number}
      - {name: name, logicalType: string}
"""


def _manifest(columns: dict[str, str]) -> dict[str, Any]:
    node = {"resource_type": "model", "name": "typed", "unique_id": "model.p.typed", "schema": "s",
            "contract": {"enforced": True},
            "columns": {n: {"name": n, "data_type": t, "constraints": []} for n, t in columns.items()}}  # fmt: skip
    return {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                         "adapter_type": "duckdb"}, "nodes": {"model.p.typed": node}}  # fmt: skip


TYPED = {"id": "integer", "amount": "real", "total": "double", "name": "varchar", "big": "bigint", "ts": "timestamp"}
CATEGORIES = {"kind": "categorical", "values": ["web", "app", "tv"], "weights": [0.5, 0.5, 0.0], "count": 1000}
BINS = {"kind": "numeric", "bins": [0, 10, 20, 30], "weights": [0.5, 0.5, 0.0], "count": 1000}

# (table, expectation type, kwargs, GX's verdict). Paths are relative to the working directory (the tmp dir).
CASES: list[Any] = [
    pytest.param("fresh", "expect_table_to_be_fresh",
                 {"column": "ts", "max_lag": "2w", "reference_time": "2026-01-31T00:00:00"}, True,
                 id="lag-2w-is-14-days"),
    pytest.param("fresh", "expect_table_to_be_fresh",
                 {"column": "ts", "max_lag": "2w", "reference_time": "2026-01-31T00:00:01"}, False, id="lag-2w-past"),
    pytest.param("fresh", "expect_table_to_be_fresh",
                 {"column": "ts", "max_lag": "12h", "reference_time": "2026-01-17T13:00:00+02:00"}, True,
                 id="reference-with-offset-is-utc"),
    pytest.param("fresh", "expect_table_to_be_fresh", {"column": "ts", "max_lag": 3600,
                 "reference_time": "2026-01-17T01:00:01Z"}, False, id="lag-in-seconds"),
    pytest.param("fresh", "expect_column_max_to_be_between", {"column": "ts", "min_value": "2026-01-17T00:00:00"},
                 True, id="max-at-least"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"columns": [{"name": "amount", "data_type": "double"}]}, False, id="double-declared-real-found"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"columns": [{"name": "total", "data_type": "real"}]}, True, id="real-widened-to-double"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"columns": [{"name": "big", "data_type": "integer"}], "allow_widening": False}, False,
                 id="widening-forbidden"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"columns": [{"name": "big", "data_type": "integer"}]}, True, id="widening-allowed"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"columns": [{"name": "id", "data_type": "integer"}], "allow_extra": False}, False, id="no-extras"),
    pytest.param("typed", "expect_table_schema_to_match_contract", {"odcs_path": "typed.odcs.yaml"}, True,
                 id="odcs-file-logical-types"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"dbt_manifest": "target/manifest.json", "dbt_model": "typed"}, True, id="dbt-manifest"),
    pytest.param("typed", "expect_table_schema_to_match_contract",
                 {"dbt_manifest": "target/narrow.json", "dbt_model": "typed"}, False, id="dbt-manifest-narrowed"),
    pytest.param("tags", "expect_column_values_to_be_in_set", {"column": "tag", "value_set": ["ok"], "mostly": 0.88},
                 False, id="mostly-of-non-null-rows"),
    pytest.param("tags", "expect_column_values_to_be_in_set", {"column": "tag", "value_set": ["ok"], "mostly": 0.85},
                 True, id="mostly-passes"),
    pytest.param("tags", "expect_column_values_to_be_between",
                 {"column": "v", "min_value": 0, "max_value": 100, "mostly": 0.88}, False, id="between-mostly"),
    pytest.param("tags", "expect_column_values_to_not_be_null", {"column": "tag", "mostly": 0.7}, True,
                 id="not-null-mostly-of-all-rows"),
    pytest.param("tags", "expect_column_values_to_not_be_null", {"column": "tag", "mostly": 0.75}, False,
                 id="not-null-mostly-fails"),
    pytest.param("mcv", "expect_column_most_common_value_share_to_be_below", {"column": "score", "max_share": 0.55},
                 False, id="mcv-share-of-non-null"),
    pytest.param("mcv", "expect_column_most_common_value_share_to_be_below", {"column": "score", "max_share": 0.65},
                 True, id="mcv-below"),
    pytest.param("child", "expect_column_values_to_exist_in_table",
                 {"column": "parent_id", "to_table": "s.parent", "to_column": "id", "mostly": 0.9}, True,
                 id="orphans-within-mostly"),
    pytest.param("child", "expect_column_values_to_exist_in_table",
                 {"column": "parent_id", "to_table": "s.parent", "to_column": "id"}, False, id="orphans"),
    pytest.param("cats", "expect_column_distribution_to_match_baseline",
                 {"column": "device", "baseline": CATEGORIES, "psi_threshold": 0.046, "chi2_pvalue": None}, True,
                 id="psi-empty-category"),
    pytest.param("nums", "expect_column_distribution_to_match_baseline",
                 {"column": "amount", "baseline": BINS, "psi_threshold": 0.046, "ks_pvalue": None}, True,
                 id="psi-empty-bin"),
    pytest.param("nums", "expect_column_distribution_to_match_baseline",
                 {"column": "amount", "baseline": BINS, "psi_threshold": 0.045, "ks_pvalue": None}, False,
                 id="psi-empty-bin-over"),
    pytest.param("pay", "expect_column_distribution_to_match_baseline",
                 {"column": "method", "baseline": {"values": ["card", "paypal"], "weights": [0.7, 0.3],
                                                   "count": 10000}}, False, id="chi-square-new-category"),
    pytest.param("few", "expect_column_distribution_to_match_baseline",
                 {"column": "device", "baseline": CATEGORIES}, True, id="drift-sample-too-small"),
]  # fmt: skip
# referential on pandas needs a CSV for `to_table`; the rest runs on both engines
PANDAS_SKIP = {"expect_column_values_to_exist_in_table"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parity")
    with duckdb.connect(str(root / "gx.duckdb")) as con:
        con.execute(SETUP)
    for reader in ("trace", "frames"):  # one file per reader: no lock or configuration clash
        shutil.copy(root / "gx.duckdb", root / f"{reader}.duckdb")
    (root / "typed.odcs.yaml").write_text(ODCS)
    (root / "target").mkdir()
    (root / "target" / "manifest.json").write_text(json.dumps(_manifest(TYPED)))
    (root / "target" / "narrow.json").write_text(json.dumps(_manifest({**TYPED, "total": "real", "amount": "double"})))
    return root


@pytest.fixture(autouse=True)
def _in_workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)  # contract paths are relative to the working directory


class Gx:
    """One ephemeral context: DuckDB tables of a file, and pandas frames."""

    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.sources: dict[Path, Any] = {}
        frames = self.context.data_sources.add_pandas("p").add_dataframe_asset("df")
        self.frames = frames.add_batch_definition_whole_dataframe("all")

    def duckdb(self, path: Path, table: str) -> Any:
        if path not in self.sources:
            self.sources[path] = self.context.data_sources.add_duckdb(
                f"w{len(self.sources)}", connection_string=hg.duckdb_url(path)
            )
        source = self.sources[path]
        try:
            asset = source.get_asset(table)
        except LookupError:
            asset = source.add_table_asset(table, table_name=table, schema_name="s")
            asset.add_batch_definition_whole_table("all")
        return asset.get_batch_definition("all").get_batch()

    def pandas(self, frame: pd.DataFrame) -> Any:
        return self.frames.get_batch(batch_parameters={"dataframe": frame})

    def close(self) -> None:
        for source in self.sources.values():
            source.close()


@pytest.fixture(scope="module")
def gx_runner() -> Iterator[Gx]:
    found = Gx()
    yield found
    found.close()


@pytest.fixture(scope="module")
def warehouse(workdir: Path) -> Iterator[Warehouse]:
    with connect(from_url(f"duckdb:///{workdir / 'trace.duckdb'}")) as wh:
        yield wh


@pytest.fixture(scope="module")
def frames(workdir: Path) -> Callable[[str], pd.DataFrame]:
    cache: dict[str, pd.DataFrame] = {}

    def get(table: str) -> pd.DataFrame:
        if table not in cache:
            with duckdb.connect(str(workdir / "frames.duckdb"), read_only=True) as con:
                cache[table] = con.execute(f"select * from s.{table}").df()
        return cache[table]

    return get


def gx_verdict(batch: Any, kind: str, kwargs: dict[str, Any]) -> bool:
    result = batch.validate(get_expectation_impl(kind)(**kwargs))
    assert not result.exception_info.get("raised_exception"), result.exception_info.get("exception_message")
    return bool(result.success)


def tracer_verdict(wh: Warehouse, table: str, kind: str, kwargs: dict[str, Any]) -> bool:
    """The tracer's re-run: the expectation as a check, evaluated on the table; True when it passes."""
    check = check_from_expectation(kind, kwargs)
    relation = (None, "s", table)
    [outcome] = evaluate(wh, wh.table(*relation), [check], f"s.{table}",
                         resolve=lambda name: wh.table(None, *name.split(".")), relation=relation)  # fmt: skip
    assert outcome.failed is not None, f"{check} could not run: {outcome.error}"
    return not outcome.failed


@pytest.mark.parametrize(("table", "kind", "kwargs", "passes"), CASES)
def test_duckdb_verdicts_agree(
    table: str, kind: str, kwargs: dict[str, Any], passes: bool, workdir: Path, gx_runner: Gx, warehouse: Warehouse
) -> None:
    assert gx_verdict(gx_runner.duckdb(workdir / "gx.duckdb", table), kind, kwargs) is passes
    assert tracer_verdict(warehouse, table, kind, kwargs) is passes


@pytest.mark.parametrize(("table", "kind", "kwargs", "passes"), [c for c in CASES if c.values[1] not in PANDAS_SKIP])
def test_pandas_verdicts_agree(
    table: str,
    kind: str,
    kwargs: dict[str, Any],
    passes: bool,
    gx_runner: Gx,
    warehouse: Warehouse,
    frames: Callable[[str], pd.DataFrame],
) -> None:
    assert gx_verdict(gx_runner.pandas(frames(table)), kind, kwargs) is passes
    assert tracer_verdict(warehouse, table, kind, kwargs) is passes


# ---- time zones: the machine's zone never enters a verdict ----------------------------------------------


@pytest.fixture
def los_angeles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("los_angeles")
@pytest.mark.parametrize(("age_hours", "passes"), [(25, False), (23, True)], ids=["stale", "fresh"])
def test_freshness_against_now_ignores_the_local_time_zone(
    age_hours: int, passes: bool, tmp_path: Path, gx_runner: Gx
) -> None:
    """With TZ=America/Los_Angeles a table 25 h old fails GX's check (UTC); the tracer used local time
    (8 h behind) and called it fresh: "not reproduced"."""
    newest = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=age_hours)
    for name in ("gx", "trace"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            con.execute(f"create schema s; create table s.fresh as select timestamp '{newest:%Y-%m-%d %H:%M:%S}' as ts")
    kwargs = {"column": "ts", "max_lag": "1d"}
    assert gx_verdict(gx_runner.duckdb(tmp_path / "gx.duckdb", "fresh"), "expect_table_to_be_fresh", kwargs) is passes
    with connect(from_url(f"duckdb:///{tmp_path / 'trace.duckdb'}")) as wh:
        assert tracer_verdict(wh, "fresh", "expect_table_to_be_fresh", kwargs) is passes


# ---- random lags and reference times around the boundary --------------------------------------------------

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.integers(1, 30),
    unit=st.sampled_from(sorted(UNITS)),
    offset=st.integers(-90, 90),
    zone_minutes=st.sampled_from([None, 0, 120, -420, 330]),
)
def test_freshness_boundary_agrees(
    amount: int, unit: str, offset: int, zone_minutes: int | None, workdir: Path, gx_runner: Gx, warehouse: Warehouse
) -> None:
    reference = NEWEST + dt.timedelta(seconds=amount * UNITS[unit] + offset)  # UTC
    if zone_minutes is None:
        written = reference.isoformat()
    else:
        zone = dt.timezone(dt.timedelta(minutes=zone_minutes))
        written = reference.replace(tzinfo=dt.UTC).astimezone(zone).isoformat()
    kwargs = {"column": "ts", "max_lag": f"{amount}{unit}", "reference_time": written}
    expected = offset <= 0
    assert gx_verdict(gx_runner.duckdb(workdir / "gx.duckdb", "fresh"), "expect_table_to_be_fresh", kwargs) is expected
    assert tracer_verdict(warehouse, "fresh", "expect_table_to_be_fresh", kwargs) is expected


# ---- random share vectors: PSI (and chi-square) on the same counts -----------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(st.integers(0, 120), min_size=4, max_size=4).filter(lambda c: sum(c) > 0),
    weights=st.lists(st.integers(0, 10), min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
    threshold=st.floats(0.01, 2.0),
    chi2=st.sampled_from([None, 0.01]),
)
def test_random_share_vectors_agree(
    counts: list[int], weights: list[int], threshold: float, chi2: float | None, workdir: Path, gx_runner: Gx
) -> None:
    """Three baseline categories (some empty) and one the baseline never saw; the same counts in pandas
    (GX) and in DuckDB (tracer)."""
    labels = ["a", "b", "c", "new"]
    frame = pd.DataFrame({"k": [label for label, n in zip(labels, counts, strict=True) for _ in range(n)]})
    baseline = {"kind": "categorical", "values": labels[:3], "weights": [w / sum(weights) for w in weights],
                "count": 500}  # fmt: skip
    kwargs = {"column": "k", "baseline": baseline, "psi_threshold": threshold, "chi2_pvalue": chi2,
              "min_sample_size": 1}  # fmt: skip
    path = workdir / f"shares-{uuid.uuid4().hex}.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema s")
        con.register("frame", frame)
        con.execute("create table s.shares as select * from frame")
    with connect(from_url(f"duckdb:///{path}")) as wh:
        tracer = tracer_verdict(wh, "shares", "expect_column_distribution_to_match_baseline", kwargs)
    kind = "expect_column_distribution_to_match_baseline"
    assert gx_verdict(gx_runner.pandas(frame), kind, kwargs) is tracer
