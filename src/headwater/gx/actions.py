"""Checkpoint actions: trace failures to their root cause, and gate a pipeline on contract failures.

Both are GX `ValidationAction`s registered on `import headwater.gx` (types `headwater_trace_root_cause`
and `headwater_contract_gate`), so a file-context checkpoint that lists them reloads in a fresh process.
`headwater gx attach --trace --gate` adds them to an existing checkpoint.

How an orchestrator uses the gate: run the checkpoint in the pipeline step, nothing else. When an
expectation of severity `critical` (GX 1.x `severity`) or marked `meta: {contract: true}` fails, the run
raises `ContractGateError`: an uncaught exception makes the Python step exit non-zero, which fails the
Airflow task / Dagster op / CI job; the exception carries the failures (`err.failures`) and, when a trace
action ran before the gate, its root-cause lines (`err.verdicts`) for a message.

    import great_expectations as gx, headwater.gx
    context = gx.get_context(mode="file", project_root_dir="expectations")
    context.checkpoints.get("marts").run()        # raises ContractGateError -> exit status 1

Order matters: GX runs actions in list order, so the trace action sits before the gate (attach keeps it so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import orjson
from great_expectations.checkpoint.actions import ActionContext, ValidationAction
from great_expectations.checkpoint.checkpoint import CheckpointResult
from great_expectations.compatibility.pydantic import validator

from headwater.errors import EXIT_FAILED, HeadwaterError
from headwater.gx.checkpoint import (
    FailedExpectation,
    checkpoint_result_dict,
    close_datasources,
    failures_of,
    summarise,
)

TRACE_ACTION_TYPE = "headwater_trace_root_cause"
GATE_ACTION_TYPE = "headwater_contract_gate"
TRACE_FORMATS = ("json", "md", "text")


class ContractGateError(HeadwaterError):
    """A checkpoint run failed expectations the contract gate guards; `failures` lists them, `verdicts` and
    `reports` are the root-cause lines and report files of a trace action that ran before the gate."""

    exit_code = EXIT_FAILED

    def __init__(
        self, failures: Sequence[FailedExpectation], verdicts: Sequence[str] = (), reports: Sequence[str] = ()
    ) -> None:
        self.failures = tuple(failures)
        self.verdicts = tuple(verdicts)
        self.reports = tuple(reports)
        first = self.failures[0] if self.failures else None
        where = (
            f" (first: {first.suite}/{first.expectation_type} on {first.column}: {first.observed})"
            if first
            else ""
        )
        super().__init__(
            f"contract gate: {len(self.failures)} critical or contract expectation(s) failed{where}."
        )


def gated_failures(
    failures: Sequence[FailedExpectation], severities: Sequence[str], meta_key: str
) -> tuple[FailedExpectation, ...]:
    """The failures the gate stops on: severity in `severities`, or `meta[meta_key]` truthy."""
    wanted = {s.lower() for s in severities}
    return tuple(f for f in failures if f.severity.lower() in wanted or bool(f.meta.get(meta_key)))


class ContractGateAction(ValidationAction):
    """Fail the checkpoint run hard (raise ContractGateError) on critical or contract failures."""

    type: Literal["headwater_contract_gate"] = "headwater_contract_gate"
    name: str = "headwater_contract_gate"
    severities: list[str] = ["critical"]
    meta_key: str = "contract"

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict[str, Any]:
        outcome = summarise(checkpoint_result, None)
        blocking = gated_failures(outcome.failures, self.severities, self.meta_key)
        if blocking:
            traced = action_context.filter_results(TraceRootCauseAction) if action_context else []
            raise ContractGateError(
                blocking,
                [v for result in traced for v in result.get("verdicts", ())],
                [p for result in traced for p in result.get("reports", ())],
            )
        return {"gate": "passed", "failures": len(outcome.failures)}


class TraceRootCauseAction(ValidationAction):
    """On any failed expectation, run headwater's tracer (`headwater.trace`) with the dbt project and
    warehouse configured here, and write its reports to `report_dir`.

    On every run it also remembers (`record_history`): each expectation's outcome goes to the history store
    (`history` URL, else $HEADWATER_HISTORY, else `<project_dir>/.headwater/history.duckdb`) and, when the
    checkpoint passed and `snapshot_on_success`, a snapshot of the project (`headwater snapshot`, within
    `snapshot_budget_seconds`) that the outcomes point to.

    The action result: {"reports": [paths: the checkpoint result JSON, then one report per format],
    "verdicts": ["<suite>/<expectation> <column>: <verdict> - <root cause>", one per failure],
    "error": None or why the tracer could not run, "history": {"store", "outcomes", "snapshot",
    "snapshot_error"} or {"error": why nothing was recorded}}. Neither a tracer nor a history that cannot
    run (warehouse unreachable, bad project) stops the checkpoint: the gate after it must still decide, so
    the reason is returned (and, for the tracer, written to `<stem>-trace-error.txt`).
    """

    type: Literal["headwater_trace_root_cause"] = "headwater_trace_root_cause"
    name: str = "headwater_trace_root_cause"
    project_dir: str = "."
    profiles_dir: str | None = None
    target: str | None = None
    warehouse: str | None = None  # a URL (duckdb:///path, postgresql://...) instead of the dbt profile
    report_dir: str = "headwater_reports"
    formats: list[str] = ["json", "md", "text"]
    history: str | None = None  # history store URL (default: $HEADWATER_HISTORY, else in project_dir)
    record_history: bool = True
    snapshot_on_success: bool = True
    snapshot_budget_seconds: float = 60.0

    @validator("formats")
    def _known_formats(cls, formats: list[str]) -> list[str]:
        unknown = sorted(set(formats) - set(TRACE_FORMATS))
        if unknown:
            raise ValueError(f"unknown report format(s) {unknown}; use {', '.join(TRACE_FORMATS)}")
        return formats

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict[str, Any]:
        if checkpoint_result.success and not self.record_history:
            return {"reports": [], "verdicts": [], "error": None}
        # Release the warehouse file held by the checkpoint's datasources before the tracer opens it.
        close_datasources(self._resolve_context().context)
        raw = checkpoint_result_dict(checkpoint_result)
        history = remember(raw, self) if self.record_history else None
        if checkpoint_result.success:
            return {"reports": [], "verdicts": [], "error": None, "history": history}
        result = self._trace(checkpoint_result, raw)
        return {**result, "history": history} if history is not None else result

    def _trace(self, checkpoint_result: CheckpointResult, raw: dict[str, Any]) -> dict[str, Any]:
        folder = Path(self.report_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        result_path = folder / f"{checkpoint_result.name}-{stamp}-validation.json"
        result_path.write_bytes(
            orjson.dumps(raw, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)
        )
        stem = folder / f"{checkpoint_result.name}-{stamp}-trace"
        try:
            reports, verdicts = run_tracer(raw, self, stem)
        except HeadwaterError as err:
            error_path = stem.with_name(stem.name + "-error.txt")
            error_path.write_text(f"{err}\n")
            lines = [
                f"{f.suite}/{f.expectation_type} {f.column}: not traced - {err}" for f in failures_of(raw)
            ]
            return {"reports": [str(result_path), str(error_path)], "verdicts": lines, "error": str(err)}
        return {"reports": [str(result_path), *reports], "verdicts": verdicts, "error": None}


def remember(raw: dict[str, Any], action: TraceRootCauseAction) -> dict[str, Any]:
    """Record the run's outcomes (and a snapshot when it passed) in the history; never raises a
    HeadwaterError: {"error": reason} instead, so the checkpoint and the gate after it carry on."""
    from headwater.history.checkpoint import remember_checkpoint
    from headwater.history.snapshot import SnapshotOptions

    snapshot = None
    if action.snapshot_on_success:
        snapshot = SnapshotOptions(
            project_dir=Path(action.project_dir),
            profiles_dir=Path(action.profiles_dir) if action.profiles_dir else None,
            target=action.target,
            warehouse_url=action.warehouse,
            history=action.history,
            budget_seconds=action.snapshot_budget_seconds,
        )
    try:
        return remember_checkpoint(raw, action.project_dir, action.history, snapshot).to_dict()
    except HeadwaterError as err:
        return {"error": str(err)}


def run_tracer(raw: dict[str, Any], action: TraceRootCauseAction, stem: Path) -> tuple[list[str], list[str]]:
    """Trace with `headwater.trace`; reports written as `<stem>.<format>`. Returns (paths, verdict lines)."""
    from headwater.report.trace import render_trace
    from headwater.trace import trace

    stem.parent.mkdir(parents=True, exist_ok=True)
    result = trace(
        raw,
        project_dir=action.project_dir,
        profiles_dir=action.profiles_dir,
        target=action.target,
        warehouse=action.warehouse,
    )
    paths = []
    for fmt in action.formats:
        path = stem.with_suffix("." + ("txt" if fmt == "text" else fmt))
        text = render_trace(result, fmt)
        path.write_text(text if text.endswith("\n") else text + "\n")
        paths.append(str(path))
    verdicts = []
    for failure in result.failures:
        top = failure.top
        said = top.summary if top is not None else failure.reason
        verdicts.append(f"{failure.suite}/{failure.expectation} {failure.column}: {failure.verdict} - {said}")
    return paths, verdicts
