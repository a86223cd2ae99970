"""TraceResult -> Markdown: one section per failure, root causes with their evidence and probe SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.trace.model import Failure, TraceResult

if TYPE_CHECKING:
    from headwater.report.model import Report


def _cell(value: object) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def render_failure(failure: Failure) -> list[str]:
    out = [f"## `{failure.relation}.{failure.column}` — {failure.check}", ""]
    out.append(f"- expectation: `{failure.expectation}`" + (f" (suite `{failure.suite}`)" if failure.suite else ""))
    out.append(f"- node: `{failure.node}`" if failure.node else f"- node: none matches the batch `{failure.relation}`")
    out.append(f"- verdict: **{failure.verdict.value}**" + (f" — {failure.reason}" if failure.reason else ""))
    out.append("")
    for rank, cause in enumerate(failure.root_causes, start=1):
        where = f"{cause.file}:{cause.line}" if cause.line else cause.file
        out += [
            f"### Root cause {rank}: {cause.mechanism.value} at `{cause.node}`",
            "",
            cause.summary,
            "",
            "| kind | column | expression | location | explains | at fault | downstream |",
            "|---|---|---|---|---|---|---|",
            f"| {cause.kind.value} | `{cause.column}` | `{_cell(cause.expression)}` | {_cell(where)} "
            f"| {cause.share:.0%} | {_cell(cause.evidence.failing_here)} "
            f"| {_cell(cause.evidence.failing_downstream)} |",
            "",
        ]
        if cause.evidence.detail:
            out.append(f"Evidence: {cause.evidence.detail}")
        if cause.decided_by:
            out.append(f"Decided by: {cause.decided_by}")
        if cause.evidence.sample_keys:
            out.append("Sample: " + ", ".join(f"`{k}`" for k in cause.evidence.sample_keys))
        if cause.evidence.sql:
            out += ["", "```sql", cause.evidence.sql, "```"]
        out.append("")
    if failure.timeline:
        out += ["### Timeline", "", "| when | what | node | |", "|---|---|---|---|"]
        for event in failure.timeline:
            out.append(
                f"| {event.at[:19]} | {event.kind} | `{event.node}` | {_cell(event.summary)}"
                + (f" **({event.mark})**" if event.mark else "")
                + " |"
            )
        out.append("")
    if failure.path:
        out += ["### Path", "", "| node | column | check | fails | observed | via |", "|---|---|---|---|---|---|"]
        for step in failure.path:
            fails = "yes" if step.failed else ("no" if step.failed is False else f"? {step.error}")
            out.append(
                f"| `{step.node}` | `{step.column}` | {_cell(step.check)} | {_cell(fails)} "
                f"| {_cell(step.observed)} | {step.via} |"
            )
        out.append("")
    if failure.probes:
        out += [f"<details><summary>{len(failure.probes)} probes</summary>", ""]
        for probe in failure.probes:
            error = f" — {probe.error}" if probe.error else ""
            out += [f"- {probe.purpose} ({probe.rows} rows, {probe.seconds:.3f} s){error}", ""]
            out += ["```sql", probe.sql, "```", ""]
        out += ["</details>", ""]
    return out


def render(result: TraceResult, report: Report | None = None) -> str:
    from headwater.report.build import build_report
    from headwater.report.incident_md import render_incident

    report = report or build_report(result)
    counts = f"{len(result.failures)} failure(s) · {result.probe_count} warehouse queries · {result.seconds:.2f} s"
    out = ["# headwater trace", "", f"{counts} · {result.warehouse}", ""]
    for incident in report.incidents:
        out += render_incident(incident)
    if report.incidents:
        out += ["## Failures in detail", ""]
    for failure in result.failures:
        out += render_failure(failure)
    return "\n".join(out)
