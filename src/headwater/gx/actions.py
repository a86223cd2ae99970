"""Checkpoint actions: trace failures to their root cause, and gate a pipeline on contract failures.

Both are GX `ValidationAction`s registered on `import headwater.gx` (types `headwater_trace_root_cause`
and `headwater_contract_gate`), so a file-context checkpoint that lists them reloads in a fresh process.
`headwater gx attach --trace --gate` adds them to an existing checkpoint.

How an orchestrator uses the gate: run the checkpoint in the pipeline step, nothing else. When an
expectation of severity `critical` (GX 1.x `severity`) or marked `meta: {contract: true}` fails, the run
raises `ContractGateError`: an uncaught exception makes the Python step exit non-zero, which fails the
Airflow task / Dagster op / CI job; the exception carries the failures (`err.failures`) for a message.

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


class ContractGateError(HeadwaterError):
    """A checkpoint run failed expectations the contract gate guards; `failures` lists them."""

    exit_code = EXIT_FAILED

    def __init__(self, failures: Sequence[FailedExpectation]) -> None:
        self.failures = tuple(failures)
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

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        outcome = summarise(checkpoint_result, None)
        blocking = gated_failures(outcome.failures, self.severities, self.meta_key)
        if blocking:
            raise ContractGateError(blocking)
        return {"gate": "passed", "failures": len(outcome.failures)}


class TraceRootCauseAction(ValidationAction):
    """On any failed expectation, run headwater's tracer and write its reports to `report_dir`.

    The action result: {"reports": [paths], "verdicts": ["<suite>/<expectation> <column>: <verdict> - ..."]}.
    """

    type: Literal["headwater_trace_root_cause"] = "headwater_trace_root_cause"
    name: str = "headwater_trace_root_cause"
    project_dir: str = "."
    profiles_dir: str | None = None
    target: str | None = None
    warehouse: str | None = None  # a URL (duckdb:///path, postgresql://...) instead of the dbt profile
    report_dir: str = "headwater_reports"
    formats: list[str] = ["json", "md", "text"]

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        if checkpoint_result.success:
            return {"reports": [], "verdicts": []}
        # Release the warehouse file held by the checkpoint's datasources before the tracer opens it.
        close_datasources(self._resolve_context().context)
        folder = Path(self.report_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        raw = checkpoint_result_dict(checkpoint_result)
        result_path = folder / f"{checkpoint_result.name}-{stamp}-validation.json"
        result_path.write_bytes(
            orjson.dumps(raw, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY, default=str)
        )
        reports, verdicts = run_tracer(raw, self, folder / f"{checkpoint_result.name}-{stamp}-trace")
        return {"reports": [str(result_path), *reports], "verdicts": verdicts}


def run_tracer(raw: dict[str, Any], action: TraceRootCauseAction, stem: Path) -> tuple[list[str], list[str]]:
    """Trace with `headwater.trace`; reports written as `<stem>.<format>`. Returns (paths, verdict lines)."""
    try:
        from headwater.report.trace import render_trace
        from headwater.trace import trace
    except ImportError:  # the tracer is optional here: fall back to the lineage of the failing columns
        return lineage_fallback(raw, action, stem)
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


def lineage_fallback(
    raw: dict[str, Any], action: TraceRootCauseAction, stem: Path
) -> tuple[list[str], list[str]]:
    """Without the tracer: the upstream lineage path of each failing column (no probes, no verdict)."""
    from headwater.dbt import load_artifacts
    from headwater.lineage import build_lineage
    from headwater.lineage.model import ColumnRef

    stem.parent.mkdir(parents=True, exist_ok=True)
    graph = build_lineage(load_artifacts(project_dir=action.project_dir))
    lines, verdicts = [], []
    for failure in failures_of(raw):
        table = failure.table.rpartition(".")[2]
        node = graph.node_id(table)
        edges = (
            graph.upstream(ColumnRef(node, (failure.column or "").lower()), rows=False)
            if failure.column
            else ()
        )
        path = " <- ".join(f"{e.source.node}.{e.source.column}" for e in edges if e.source is not None)
        verdicts.append(
            f"{failure.suite}/{failure.expectation_type} {failure.column}: lineage only - {path or 'no upstream'}"
        )
        lines.append(verdicts[-1])
    path_txt = stem.with_suffix(".txt")
    path_txt.write_text("\n".join(lines) + "\n")
    return [str(path_txt)], verdicts
