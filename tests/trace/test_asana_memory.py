"""Differential diagnosis on a dbt project nobody here wrote: fivetran/dbt_asana on DuckDB.

The shared corpus `../shared/projects/fivetran_asana` is copied once (never edited in place) and its good
state is snapshotted into a history store. Two faulted copies are then built, each with faults on
independent columns, and each failing check is traced with and without that memory:

- copy `models` (stg_asana__task_tmp+ rebuilt):
  - `int_asana__task_open_length` (ephemeral) computes `days_open` in hours instead of days;
  - `asana__task` wraps the LEFT-JOINed `assignee_name` in `coalesce(…, 'none')`;
  - `asana__task` filters its `task_first_modifier` CTE before the LEFT JOIN;
  - `stg_asana__task` multiplies `num_likes` by 100 (the source did not change);
  - the raw `asana.task.name` is dropped: `fill_staging_columns` fills `task_name` with NULL;
- copy `sources` (stg_asana__task_tmp+ rebuilt):
  - NULLs injected into the raw `asana.task.name`;
  - `asana.task.num_likes` retyped BIGINT -> VARCHAR;
  - `stg_asana__task` drops the `coalesce(due_on, due_at)` of `due_date` (the source did not change).

Where only the last good state can tell (the scale change and the dropped coalesce, judged on today's data
alone), the honest answer `unknown` is asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ASANA = Path(__file__).resolve().parents[2].parent / "shared" / "projects" / "fivetran_asana"
SOURCE = "source.asana.asana.task"


def _dbt() -> str:
    found = Path(sys.executable).with_name("dbt")
    return str(found) if found.exists() else (shutil.which("dbt") or "dbt")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}: the package changed"
    path.write_text(text.replace(old, new, 1))


def _sql(project: Path, *statements: str) -> None:
    import duckdb

    conn = duckdb.connect(str(project / "warehouse.duckdb"))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def _rebuild(project: Path, select: str) -> None:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for command in (["run", "--select", select], ["docs", "generate"]):
        done = subprocess.run(
            [_dbt(), *command, "--project-dir", str(project), "--profiles-dir", str(project), "--threads", "2"],
            cwd=project,  # profiles.yml names warehouse.duckdb relative to the working directory
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"dbt {' '.join(command)} failed in {project}:\n{done.stdout[-3000:]}"


def _models_faults(project: Path) -> None:
    _edit(
        project / "models" / "intermediate" / "int_asana__task_open_length.sql",
        "{{ dbt.datediff('task.created_at', open_until, 'day') }} as days_open",
        "{{ dbt.datediff('task.created_at', open_until, 'hour') }} as days_open",
    )
    task = project / "models" / "asana__task.sql"
    _edit(task, "task_assignee.assignee_name,", "coalesce(task_assignee.assignee_name, 'none') as assignee_name,")
    _edit(
        task,
        "from {{ ref('int_asana__task_first_modifier') }}",
        "from {{ ref('int_asana__task_first_modifier') }}\n    where first_modifier_user_id % 3 <> 0",
    )
    _edit(
        project / "models" / "staging" / "stg_asana__task.sql",
        "num_likes as number_of_likes",
        "num_likes * 100 as number_of_likes",
    )
    _sql(project, "alter table asana.task drop column name")
    _rebuild(project, "stg_asana__task_tmp+")


def _sources_faults(project: Path) -> None:
    _sql(
        project,
        "update asana.task set name = null where id % 7 = 0",
        "alter table asana.task alter num_likes type varchar",
    )
    _edit(
        project / "models" / "staging" / "stg_asana__task.sql",
        "cast(coalesce(due_on, due_at) as {{ dbt.type_timestamp() }}) as due_date",
        "cast(due_at as {{ dbt.type_timestamp() }}) as due_date",
    )
    _rebuild(project, "stg_asana__task_tmp+")


@pytest.fixture(scope="module")
def asana(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not (ASANA / "dbt_project.yml").exists():
        pytest.skip(f"{ASANA} is absent")
    pytest.importorskip("duckdb")
    if shutil.which(_dbt()) is None and not Path(_dbt()).exists():
        pytest.skip("dbt is not installed")
    from headwater.history.snapshot import SnapshotOptions, record_snapshot

    root = tmp_path_factory.mktemp("asana")
    clean = root / "clean"
    shutil.copytree(ASANA, clean, ignore=shutil.ignore_patterns("logs", "headwater"))
    for path in (clean, *clean.rglob("*")):  # the corpus may be read-only; its copies must not be
        path.chmod(path.stat().st_mode | 0o200)
    assert (clean / "target" / "catalog.json").exists()
    history = f"duckdb:///{root / 'history.duckdb'}"
    record_snapshot(SnapshotOptions(project_dir=clean, history=history))  # the good state

    copies = {"models": root / "models", "sources": root / "sources"}
    for copy in copies.values():
        shutil.copytree(clean, copy)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for done in [pool.submit(_models_faults, copies["models"]), pool.submit(_sources_faults, copies["sources"])]:
            done.result()

    import duckdb

    conn = duckdb.connect(str(clean / "warehouse.duckdb"), read_only=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "select distinct assignee_name from analytics_asana.asana__task where assignee_name is not null"
            ).fetchall()
        ]
    finally:
        conn.close()
    return {"clean": clean, "history": history, "names": ",".join(sorted(names)), **copies}


def _trace(asana: dict[str, object], copy: str, column: str, check: str, args: dict[str, str], memory: bool) -> object:
    from headwater.trace import trace

    extra: dict[str, object] = {"history": asana["history"]} if memory else {"use_history": False}
    return trace(node="asana__task", column=column, check=check, args=args, project_dir=asana[copy], **extra)


def _only_cause(result: object) -> object:
    (failure,) = result.failures
    assert failure.verdict == "traced", failure
    (found,) = failure.root_causes
    return found


def _assert_cause(result: object, node: str, column: str, mechanism: str) -> object:
    found = _only_cause(result)
    assert (found.node, found.column, found.mechanism.value) == (node, column, mechanism), found.summary
    return found


CASES = {
    # name: (copy, column, check, args)
    "source_nulls": ("sources", "task_name", "not_null", {}),
    "hours_not_days": ("models", "days_open", "between", {"min_value": "0", "max_value": "1200"}),
    "coalesce_sentinel": ("models", "assignee_name", "in_set", None),
    "where_before_left_join": (
        "models",
        "first_modifier_name",
        "expect_column_values_to_not_be_null",
        {"mostly": "0.99"},
    ),
    "source_retyped": ("sources", "number_of_likes", "expect_column_values_to_be_of_type", {"type_": "BIGINT"}),
    "dropped_coalesce": ("sources", "due_date", "expect_column_values_to_not_be_null", {"mostly": "0.7"}),
    "scaled_by_100": ("models", "number_of_likes", "between", {"min_value": "0", "max_value": "10"}),
    "dropped_source_column": ("models", "task_name", "not_null", {}),
}


def _ask(asana: dict[str, object], case: str, memory: bool, *, copy: str | None = None) -> object:
    where, column, check, args = CASES[case]
    args = {"values": str(asana["names"])} if args is None else args
    return _trace(asana, copy or where, column, check, args, memory)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_clean_copy_passes(asana: dict[str, object], case: str) -> None:
    (failure,) = _ask(asana, case, False, copy="clean").failures
    assert failure.verdict == "not_reproduced", failure


@pytest.mark.parametrize("memory", [True, False], ids=["history", "no_history"])
def test_nulls_injected_at_the_source(asana: dict[str, object], memory: bool) -> None:
    found = _assert_cause(_ask(asana, "source_nulls", memory), SOURCE, "name", "source_data")
    if memory:  # the history says what moved in the source column's profile
        assert found.decided_by.startswith("data: the profile of asana.task.name moved (name: null_share"), found
    else:
        assert found.decided_by == ""  # today's data alone decides


@pytest.mark.parametrize("memory", [True, False], ids=["history", "no_history"])
def test_a_unit_change_in_an_ephemeral_model(asana: dict[str, object], memory: bool) -> None:
    found = _assert_cause(
        _ask(asana, "hours_not_days", memory), "model.asana.int_asana__task_open_length", "days_open", "expression"
    )
    assert found.file == "models/intermediate/int_asana__task_open_length.sql"
    assert "'hour'" in found.summary


@pytest.mark.parametrize("memory", [True, False], ids=["history", "no_history"])
def test_a_coalesce_sentinel_over_a_left_join(asana: dict[str, object], memory: bool) -> None:
    found = _assert_cause(
        _ask(asana, "coalesce_sentinel", memory), "model.asana.asana__task", "assignee_name", "expression"
    )
    assert (found.file, "'none'" in found.summary) == ("models/asana__task.sql", True)


@pytest.mark.parametrize("memory", [True, False], ids=["history", "no_history"])
def test_a_where_in_a_cte_before_a_left_join(asana: dict[str, object], memory: bool) -> None:
    found = _assert_cause(
        _ask(asana, "where_before_left_join", memory), "model.asana.asana__task", "first_modifier_user_id", "filter"
    )
    assert found.file == "models/asana__task.sql"
    assert "first_modifier_user_id % 3 <> 0" in found.summary


def test_a_source_column_retyped_with_history(asana: dict[str, object]) -> None:
    found = _assert_cause(_ask(asana, "source_retyped", True), SOURCE, "num_likes", "schema_change")
    assert found.decided_by.startswith("schema:"), found.decided_by


def test_a_source_column_retyped_without_history(asana: dict[str, object]) -> None:
    """No YAML type, no snapshot: the type is VARCHAR from the source up, and no model changes it."""
    found = _assert_cause(_ask(asana, "source_retyped", False), SOURCE, "num_likes", "schema_change")
    assert "no model on the way changes its type" in found.summary


@pytest.mark.parametrize("memory", [True, False], ids=["history", "no_history"])
def test_a_dropped_source_column_filled_with_null_by_the_macro(asana: dict[str, object], memory: bool) -> None:
    _assert_cause(_ask(asana, "dropped_source_column", memory), SOURCE, "name", "schema_change")


def test_a_scale_change_with_history(asana: dict[str, object]) -> None:
    found = _assert_cause(
        _ask(asana, "scaled_by_100", True), "model.asana.stg_asana__task", "number_of_likes", "expression"
    )
    assert found.decided_by.startswith("code:") and "num_likes * 100" in found.summary


@pytest.mark.parametrize("case", ["scaled_by_100", "dropped_coalesce"])
def test_only_history_can_tell_so_without_it_unknown(asana: dict[str, object], case: str) -> None:
    (failure,) = _ask(asana, case, False).failures
    assert failure.verdict == "unknown", [(c.node, c.column, c.mechanism.value) for c in failure.root_causes]
    assert "headwater snapshot" in failure.reason


def test_a_dropped_coalesce_with_history(asana: dict[str, object]) -> None:
    found = _assert_cause(
        _ask(asana, "dropped_coalesce", True), "model.asana.stg_asana__task", "due_date", "expression"
    )
    assert found.decided_by.startswith("code:"), found.decided_by
    assert "COALESCE(due_on, due_at)" in found.summary
