"""`make demo`: the product's story in one run.

1. build the example warehouse (generate raw data, dbt build, dbt docs generate);
2. run the GX checkpoint over the marts: everything passes;
3. copy the project into a git repository, commit it, and `headwater snapshot` the good state;
4. inject one fault (a code change, committed, by default) and rebuild, as a scheduled pipeline would;
5. run the checkpoint again and print what failed;
6. trace each failure upstream against the last good state: root cause, timeline, and the diff behind it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from headwater.example.build import build_example, copy_project, database_path, rebuild_models
from headwater.example.fault_list import get_fault

console = Console(highlight=False, width=None if Console().is_terminal else 130)
DEFAULT_FAULT = "product_price_unit_dropped"
_GIT = ("-c", "user.name=Demo Engineer", "-c", "user.email=demo@example.com", "-c", "commit.gpgsign=false")


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *_GIT, "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout


def _step(title: str) -> float:
    console.rule(f"[bold]{title}")
    return time.perf_counter()


def _done(started: float) -> None:
    console.print(f"[dim]({time.perf_counter() - started:.1f} s)[/dim]\n")


def _print_outcome(outcome: object) -> None:
    from headwater.gx.checkpoint import CheckpointOutcome

    assert isinstance(outcome, CheckpointOutcome)
    if outcome.success:
        console.print(f"[green]checkpoint '{outcome.checkpoint}': all {outcome.evaluated} expectations passed[/green]")
        return
    failed = len(outcome.failures)
    console.print(f"[red]checkpoint '{outcome.checkpoint}': {failed} of {outcome.evaluated} expectations failed[/red]")
    table = Table(show_lines=False)
    for heading in ("table", "expectation", "column", "observed"):
        table.add_column(heading)
    for failure in outcome.failures:
        table.add_row(failure.table, failure.expectation_type, failure.column or "", failure.observed)
    console.print(table)


def run_demo(
    project_dir: Path, context_root: Path, fault_id: str, rows: int, workdir: Path, *, built: bool = False
) -> int:
    """The demo's steps; `built` starts from a project whose warehouse `build_example` already built (the
    tests share one build), else step 1 builds it."""
    from headwater.gx.checkpoint import run_marts_checkpoint

    fault = get_fault(fault_id)

    if built:
        console.print(f"[bold]1. The example warehouse[/bold] {database_path(project_dir)}, already built")
    else:
        started = _step(f"1. Build the example warehouse ({rows:,} rows in raw.events)")
        build = build_example(project_dir, rows)
        console.print(f"built {build.database} and {project_dir / 'target'} (manifest, catalog, run_results)")
        _done(started)

    started = _step("2. Run the GX checkpoint over the marts (clean build)")
    clean = run_marts_checkpoint(context_root, database_path(project_dir))
    _print_outcome(clean)
    _done(started)

    started = _step("3. Copy the project into a git repository and snapshot the good state")
    from headwater.history.snapshot import SnapshotOptions, record_snapshot

    shutil.rmtree(workdir, ignore_errors=True)
    faulted = copy_project(project_dir, workdir / "project", with_build=True)
    (faulted / ".gitignore").write_text("*.duckdb*\ntarget/\nlogs/\n.headwater/\n.user.yml\n")
    _git(faulted, "init", "-q")
    _git(faulted, "add", "-A")
    _git(faulted, "commit", "-q", "-m", "the project as deployed")
    console.print(record_snapshot(SnapshotOptions(project_dir=faulted)).line())
    _done(started)

    started = _step(f"4. Inject fault '{fault.id}' ({fault.kind}), commit it, and rebuild")
    fault.apply(faulted)
    if fault.kind == "code":
        _git(faulted, "commit", "-q", "-am", f"{fault.description}")
    rebuild_models(faulted)
    console.print(f"{fault.description}\n[dim]copy: {faulted}[/dim]")
    _done(started)

    started = _step("5. Run the GX checkpoint again")
    broken = run_marts_checkpoint(context_root, database_path(faulted))
    _print_outcome(broken)
    _done(started)

    started = _step("6. Trace each failure upstream, against the last good state")
    from headwater.report.trace import render_trace
    from headwater.trace import trace

    traced = trace(broken.result_path, project_dir=faulted)
    console.print(render_trace(traced, "text"), markup=False)
    top = next((f.top for f in traced.failures if f.top is not None), None)
    if top is not None and top.file and fault.kind == "code":
        console.print(f"[bold]the change behind it[/bold] (git diff HEAD~1 -- {top.file}):")
        console.print(_git(faulted, "diff", "HEAD~1", "--", top.file).rstrip(), markup=False)
    report = workdir / "trace.md"
    report.write_text(render_trace(traced, "md"))
    html_report = workdir / "report.html"
    html_report.write_text(render_trace(traced, "html"))
    from headwater.report.build import build_report
    from headwater.report.suggest import write_suggestions

    suggested = write_suggestions(build_report(traced), workdir / "suggestions")
    console.print(f"[dim]HTML report: {html_report}; suggested checks: {', '.join(map(str, suggested))}[/dim]")
    rerun = f"headwater trace {broken.result_path} --project-dir {faulted}"
    console.print(f"[dim]Markdown report: {report}; re-run: {rerun}; timeline: headwater timeline "
                  f"--project-dir {faulted}[/dim]")
    _done(started)

    truth = fault.truth
    found = any(
        cause.node == truth.node and cause.column in truth.columns and cause.mechanism == truth.mechanism
        for failure in traced.failures
        for cause in failure.root_causes[:1]
    )
    verdict = "[green]matches[/green]" if found else "[red]does not match[/red]"
    console.print(
        f"[bold]ground truth[/bold] of '{fault.id}': {truth.node} {'/'.join(truth.columns)} "
        f"({truth.mechanism}): the top root cause {verdict}"
    )
    ml_found = run_ml_incident(project_dir, workdir)
    return 0 if clean.success and not broken.success and found and ml_found else 1


# --- 7. an ML incident, end to end: a prediction check -> the feature -> the source that broke it --------------
ML_SUITES = Path(__file__).resolve().parents[2] / "expectations" / "ml" / "gx" / "expectations"
ML_FAULT = "ml_country_join_miss"


def run_ml_incident(project_dir: Path, workdir: Path) -> bool:
    """Break the data under the fraud model, check its predictions, and trace the failure through the
    dbt Python model's feature attribution to the upstream cause."""
    from headwater.example.ml_faults import ML_FAULTS
    from headwater.gx.checkpoint import run_marts_checkpoint
    from headwater.report.trace import render_trace
    from headwater.trace import Verdict, trace

    fault = next(f for f in ML_FAULTS if f.id == ML_FAULT)
    started = _step(f"7. An ML incident: inject '{fault.id}', rebuild, check the fraud model's predictions, trace")
    project = copy_project(project_dir, workdir / "ml" / "project", with_build=True)
    root = workdir / "ml" / "expectations"
    shutil.copytree(ML_SUITES, root / "gx" / "expectations", dirs_exist_ok=True)
    fault.apply(project)
    rebuild_models(project)
    console.print(fault.description)
    checked = run_marts_checkpoint(root, database_path(project))
    _print_outcome(checked)
    traced = trace(checked.result_path, project_dir=project, use_history=False)
    console.print(render_trace(traced, "text"), markup=False)
    (workdir / "ml" / "trace.md").write_text(render_trace(traced, "md"))
    top = next((f.top for f in traced.failures if f.top is not None and f.verdict == Verdict.TRACED), None)
    found = top is not None and (top.node, top.mechanism.value) == (fault.truth.node, fault.truth.mechanism)
    verdict = "[green]matches[/green]" if found else "[red]does not match[/red]"
    console.print(f"[bold]ground truth[/bold] of '{fault.id}': {fault.truth.node} ({fault.truth.mechanism}): "
                  f"the top root cause {verdict}")  # fmt: skip
    _done(started)
    return found


def main(
    project_dir: Annotated[Path, typer.Option("--project-dir", help="The example dbt project.")] = Path(
        "dbt_project_example"
    ),
    context_root: Annotated[Path, typer.Option("--context-root", help="GX file context root.")] = Path("expectations"),
    fault: Annotated[
        str, typer.Option("--fault", help="Fault to inject (`headwater example faults`).")
    ] = DEFAULT_FAULT,
    rows: Annotated[int, typer.Option("--rows", help="Rows in the largest table.")] = 100_000,
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the faulted copy is built.")] = Path(".demo"),
) -> None:
    """Build, validate, break, validate again, trace."""
    raise typer.Exit(run_demo(project_dir, context_root, fault, rows, workdir))


if __name__ == "__main__":
    typer.run(main)
