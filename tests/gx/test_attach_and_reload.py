"""`attach` on an existing checkpoint keeps what was there; a saved context reloads in a fresh process and
runs headwater's expectations and actions (the gate raises, the tracer writes its reports)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import great_expectations as gx
import pytest
from great_expectations.checkpoint.actions import UpdateDataDocsAction

from headwater.errors import ConfigError
from headwater.example.build import database_path
from headwater.example.faults import FAULTS
from headwater.gx.attach import attach
from headwater.gx.baseline import baseline_from_warehouse
from headwater.gx.checkpoint import close_datasources, ensure_context
from headwater.gx.datasource import duckdb_url
from tests.conftest import copy_built

REPO = Path(__file__).resolve().parents[2]
SUITES = REPO / "expectations" / "gx" / "expectations"

pytestmark = pytest.mark.slow

RUN = """
import sys
import great_expectations as gx
import headwater.gx
from headwater.gx.actions import ContractGateError
context = gx.get_context(mode="file", project_root_dir=sys.argv[1])
try:
    result = context.checkpoints.get("marts").run()
except ContractGateError as err:
    print("GATED", len(err.failures), sorted({f.suite for f in err.failures}))
    for verdict in err.verdicts:
        print("VERDICT", verdict)
    raise SystemExit(1)
for validation in result.run_results.values():
    print("EVALUATED", validation.suite_name, len(validation.results))
print("SUCCESS" if result.success else "FAILED")
"""


def run_in_fresh_process(root: Path) -> subprocess.CompletedProcess[str]:
    # A script file, not `python -c`: with pyspark installed, GX imports pyspark.sql.connect, which takes a
    # `-c` main module for a doctest run and exits 0 before the script runs when grpc is absent.
    script = root / "run_checkpoint.py"
    script.write_text(textwrap.dedent(RUN))
    return subprocess.run([sys.executable, str(script), str(root)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def context_root(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A context whose marts checkpoint already has an action of its own (data docs)."""
    root = tmp_path_factory.mktemp("ctx") / "expectations"
    shutil.copytree(SUITES, root / "gx" / "expectations")
    # Drift, against a baseline profiled on the clean build (as `headwater baseline` writes it): the one
    # headwater expectation the committed suites cannot hold, since a baseline belongs to one build.
    baseline = baseline_from_warehouse(
        str(database_path(example_template)), "marts.mart_fraud_features", root / "fraud.json",
        ["amount", "payment_method"],
    )  # fmt: skip
    drift = {
        "name": "drift_mart_fraud_features",
        "id": str(uuid.uuid4()),
        "meta": {"headwater": {"table": "mart_fraud_features", "schema": "marts"}},
        "expectations": [
            {"id": str(uuid.uuid4()), "type": "expect_column_distribution_to_match_baseline", "severity": "warning",
             "kwargs": {"column": column, "baseline_path": str(baseline)}, "meta": {}}
            for column in ("amount", "payment_method")
        ],
    }  # fmt: skip
    (root / "gx" / "expectations" / "drift_mart_fraud_features.json").write_text(json.dumps(drift))
    context = ensure_context(root, database_path(example_template))
    checkpoint = context.checkpoints.get("marts")
    checkpoint.actions.append(UpdateDataDocsAction(name="docs"))
    context.checkpoints.add_or_update(checkpoint)
    close_datasources(context)
    return root


def test_attach_keeps_existing_and_is_idempotent(context_root: Path, tmp_path: Path) -> None:
    path = context_root / "gx" / "checkpoints" / "marts.json"
    before = json.loads(path.read_text())
    trace = {"project_dir": str(tmp_path), "report_dir": str(tmp_path / "reports")}
    result = attach(context_root, "marts", trace=trace, gate={})
    assert result.changed and result.backup is not None
    assert json.loads(result.backup.read_text()) == before
    after = json.loads(path.read_text())
    assert [a["type"] for a in after["actions"]] == [
        "update_data_docs", "headwater_trace_root_cause", "headwater_contract_gate"
    ]  # fmt: skip
    assert after["validation_definitions"] == before["validation_definitions"]
    assert after["id"] == before["id"]
    again = attach(context_root, "marts", trace=trace, gate={})
    assert not again.changed and again.backup is None
    assert json.loads(path.read_text()) == after
    # Options set by hand stay; only the ones given again are updated.
    after["actions"][1]["formats"] = ["json"]
    path.write_text(json.dumps(after))
    moved = attach(context_root, "marts", trace={**trace, "report_dir": str(tmp_path / "elsewhere")}, gate={})
    assert moved.updated == ("headwater_trace_root_cause",)
    action = json.loads(path.read_text())["actions"][1]
    assert action["formats"] == ["json"] and action["report_dir"] == str(tmp_path / "elsewhere")
    attach(
        context_root, "marts", trace={**trace, "formats": ["json", "md", "text"]}
    )  # as the next test expects


def test_attach_refuses_what_does_not_exist(context_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'marts'"):
        attach(context_root, "mart", gate={})
    with pytest.raises(ConfigError, match="no GX file context"):
        attach(tmp_path, "marts", gate={})
    with pytest.raises(ConfigError, match="no validation definition validates suite"):
        attach(context_root, "marts", suites=["nope"])


def test_reloaded_context_runs_expectations_and_actions(
    context_root: Path, example_template: Path, faulted_example: Callable[[str], Path], tmp_path: Path
) -> None:
    project = copy_built(faulted_example("null_customer_email"), tmp_path / "project")
    reports = tmp_path / "reports"
    trace = {
        "project_dir": str(project),
        "warehouse": duckdb_url(database_path(project)),
        "report_dir": str(reports),
    }
    attach(context_root, "marts", trace=trace, gate={})

    clean = run_in_fresh_process(context_root)
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert clean.stdout.strip().endswith("SUCCESS")
    assert "EVALUATED drift_mart_fraud_features 2" in clean.stdout  # the drift suite reloaded and ran
    assert not reports.exists()  # nothing failed: nothing traced

    close_datasources(ensure_context(context_root, database_path(project)))  # re-point at the faulted copy
    broken = run_in_fresh_process(context_root)
    assert broken.returncode == 1, broken.stderr[-3000:]
    assert "GATED" in broken.stdout and "dim_customers" in broken.stdout
    written = sorted(p.name for p in reports.iterdir())
    assert [name.rpartition("-")[2] for name in written] == [
        "trace.json", "trace.md", "trace.txt", "validation.json"
    ], written  # fmt: skip
    traced = json.loads(next(reports.glob("*-trace.json")).read_text())
    # The real tracer ran on the faulted copy: it names the source table the NULL emails came from.
    email = next(f for f in traced["failures"] if f["column"] == "email")
    assert email["verdict"] == "traced"
    assert email["root_causes"][0]["node"] == FAULTS["null_customer_email"].truth.node
    # The gate carries the trace action's one-line verdicts (it runs after it), one per failure.
    verdicts = [line for line in broken.stdout.splitlines() if line.startswith("VERDICT ")]
    assert len(verdicts) == len(traced["failures"])
    assert any(v.startswith("VERDICT dim_customers/") and " email: traced - " in v for v in verdicts), (
        verdicts
    )
    # Tracing the saved result later, from another process, does not import great_expectations.
    saved = next(reports.glob("*-validation.json"))
    script = (
        "import sys, headwater; r = headwater.trace(sys.argv[1], project_dir=sys.argv[2]);"
        " print(len(r.failures), 'great_expectations' in sys.modules)"
    )
    later = subprocess.run(
        [sys.executable, "-c", script, str(saved), str(project)], capture_output=True, text=True, timeout=600
    )
    assert later.stdout.split() == [str(len(traced["failures"])), "False"], later.stderr[-2000:]


def test_headwater_cli_and_lineage_do_not_import_gx() -> None:
    script = (
        "import sys, headwater, headwater.cli, headwater.lineage, headwater.trace, headwater.trace.api,"
        " headwater.contracts, headwater.contracts.gx_suites, headwater.contracts.gate, headwater.report.trace;"
        " headwater.cli._register_commands();"
        " print('great_expectations' in sys.modules or 'headwater.gx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_gx_registry_knows_headwater_types() -> None:
    from great_expectations.checkpoint.actions import _VALIDATION_ACTION_REGISTRY
    from great_expectations.expectations.registry import get_expectation_impl

    import headwater.gx  # noqa: F401

    for name in (
        "expect_table_schema_to_match_contract",
        "expect_column_distribution_to_match_baseline",
        "expect_table_to_be_fresh",
        "expect_column_most_common_value_share_to_be_below",
        "expect_column_values_to_exist_in_table",
    ):
        assert get_expectation_impl(name).__module__ == "headwater.gx.expectations"
    assert _VALIDATION_ACTION_REGISTRY.get("headwater_contract_gate").__name__ == "ContractGateAction"
    assert "duckdb" in gx.get_context(mode="ephemeral").data_sources.type_lookup.type_names()


def test_trace_action_verdicts(faulted_example: Callable[[str], Path], tmp_path: Path) -> None:
    from headwater.gx.actions import TraceRootCauseAction, run_tracer
    from headwater.gx.checkpoint import run_marts_checkpoint

    project = copy_built(faulted_example("orphan_order_customers"), tmp_path / "project")
    root = tmp_path / "expectations"
    shutil.copytree(SUITES, root / "gx" / "expectations")
    outcome = run_marts_checkpoint(root, database_path(project))
    action = TraceRootCauseAction(project_dir=str(project), warehouse=duckdb_url(database_path(project)))
    paths, verdicts = run_tracer(dict(outcome.raw), action, tmp_path / "reports" / "trace")
    assert len(verdicts) == len(outcome.failures) >= 1
    region = next(v for v in verdicts if "customer_region" in v)
    assert region.startswith("fct_orders/") and ": traced - " in region
    assert "int_orders_enriched" in region  # the LEFT JOIN that misses: the tracer's verdict, not lineage
    assert [Path(p).suffix for p in paths] == [".json", ".md", ".txt"]
    assert all(Path(p).is_file() for p in paths)


def test_trace_action_that_cannot_trace_does_not_hide_the_gate(
    faulted_example: Callable[[str], Path], tmp_path: Path
) -> None:
    """A tracer that cannot run (here: no dbt project) says why; the gate after it still stops the run."""
    from headwater.gx.actions import ContractGateError

    root = tmp_path / "expectations"
    shutil.copytree(SUITES, root / "gx" / "expectations")
    close_datasources(ensure_context(root, database_path(faulted_example("duplicate_customers"))))
    reports = tmp_path / "reports"
    attach(
        root,
        "marts",
        trace={"project_dir": str(tmp_path / "no_project"), "report_dir": str(reports)},
        gate={},
    )
    context = gx.get_context(mode="file", project_root_dir=str(root))
    try:
        with pytest.raises(ContractGateError) as gated:
            context.checkpoints.get("marts").run()
    finally:
        close_datasources(context)
    assert gated.value.verdicts and all(": not traced - " in v for v in gated.value.verdicts)
    error_file = next(reports.glob("*-trace-error.txt"))
    assert "no_project" in error_file.read_text()
    assert str(error_file) in gated.value.reports


def test_trace_action_refuses_unknown_formats() -> None:
    from headwater.gx.actions import TraceRootCauseAction

    with pytest.raises(ValueError, match="unknown report format"):
        TraceRootCauseAction(formats=["pdf"])
