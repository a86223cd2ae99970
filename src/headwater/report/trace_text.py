"""TraceResult -> text that fits one screen: each failure, its root cause in one sentence, then the path.
The probes' SQL is in the JSON and Markdown reports (and `--format text --sql`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.report.names import readable
from headwater.trace.model import Failure, PathStep, TraceResult, Verdict

if TYPE_CHECKING:
    from rich.text import Text

    from headwater.report.model import IncidentReport, Report

_MARK = {
    Verdict.TRACED: "✓ traced",
    Verdict.UNKNOWN: "? unknown",
    Verdict.NOT_REPRODUCED: "= passes now",
    Verdict.UNTRACEABLE: "- untraceable",
}


def _short(node: str) -> str:
    parts = node.split(".")
    return ".".join(parts[-2:]) if parts[0] == "source" else parts[-1]


def _step(step: PathStep) -> str:
    state = "✗" if step.failed else ("✓" if step.failed is False else "?")
    count = f" {step.failing:,}" if step.failing and step.failed else ""
    return f"{_short(step.node)}.{step.column.split(',')[0] if ',' in step.column else step.column} {state}{count}"


def render_failure(failure: Failure, sql: bool = False, max_causes: int = 3) -> list[str]:
    subject = _short(failure.node) if failure.node else failure.relation  # "" when the batch matched no node
    asked = f"  ({failure.expectation})" if failure.expectation not in failure.check else ""
    lines = [f"{subject}.{failure.column or '*'}  {failure.check}{asked}  [{_MARK[failure.verdict]}]"]
    top = failure.top
    said_below = top is not None and failure.reason in (top.evidence.detail, top.summary)
    if failure.verdict != Verdict.TRACED and not said_below:
        lines.append(f"  {failure.reason}")  # the unknown root cause below says it already otherwise
    for rank, cause in enumerate(failure.root_causes[:max_causes], start=1):
        where = f"{cause.file}:{cause.line}" if cause.line else cause.file
        lines.append(f"  {rank}. {cause.summary}")
        what = f"{cause.kind.value} · {cause.mechanism.value} · {_short(cause.node)}.{cause.column}"
        lines.append(f"     {what} · {where} · explains {cause.share:.0%}")
        if cause.decided_by:
            lines.append(f"     decided by {cause.decided_by}")
        if cause.evidence.sample_keys:
            lines.append(f"     e.g. {'; '.join(cause.evidence.sample_keys[:3])}")
        if sql and cause.evidence.sql:
            lines.append(f"     probe: {cause.evidence.sql}")
    if len(failure.root_causes) > max_causes:
        lines.append(f"  … {len(failure.root_causes) - max_causes} more root causes (see --format json)")
    for event in failure.timeline[:6]:
        mark = f" [{event.mark}]" if event.mark else ""
        about = f" {_short(event.node)}" if event.node else ""
        lines.append(f"  {event.at[:16]}  {event.kind}{about}{mark}: {event.summary}")
    if failure.path:
        shown = [_step(s) for s in failure.path[:8]]
        more = f" … (+{len(failure.path) - 8})" if len(failure.path) > 8 else ""
        lines.append("  path: " + " → ".join(shown) + more)
    for row in failure.rows[:3]:
        ups = ", ".join(f"{_short(u.node)}[{u.key}]" for u in row.upstream[:4])
        lines.append(f"  row {row.key} ← {ups or 'no upstream row found'}")
    return lines


def render_incident(incident: IncidentReport, sql: bool = False) -> list[str]:
    """An incident in a few lines: the sentence, where, the whys, what was ruled out, the fix, the check."""
    reach = f"{len(incident.downstream)} downstream nodes" + (
        f", exposures {', '.join(_short(e) for e in incident.exposures)}" if incident.exposures else ""
    )
    lines = [
        f"incident {incident.number}: {incident.mechanism} at {incident.label}.{incident.column} ({incident.location})"
        f" · {len(incident.failed_checks)} failed check(s): {'; '.join(incident.failed_checks)} · {reach}",
        f"  root cause: {incident.root_cause}",
    ]
    if incident.evidence.detail:
        samples = incident.evidence.sample_keys
        said = bool(samples) and samples[0] in incident.evidence.detail  # the detail already quotes them
        keys = f" (e.g. {'; '.join(samples[:3])})" if samples and not said else ""
        lines.append(f"  evidence: {incident.evidence.detail}{keys}")
    if sql and incident.evidence.sql:
        lines.append(f"  evidence sql: {' '.join(incident.evidence.sql.split())}")
    lines += [f"  why {w.number}: {w.question} {w.answer}" for w in incident.whys[:5]]
    bones = [
        f"{category.value}: " + ", ".join(f"{c.subject} {c.verdict.value}" for c in found)
        for category, found in incident.by_category()
        if found
    ]
    lines.append("  examined: " + " | ".join(bones))
    lines.append(f"  fix at {incident.fix.location}: {incident.fix.change}")
    prevention = incident.prevention
    if prevention.check:
        lines.append(
            f"  prevent: {readable(prevention.check)} on {_short(prevention.node)}.{prevention.column}"
            " (`--suggest DIR` writes it for GX, dbt and ODCS)"
        )
    return lines


def render(result: TraceResult, sql: bool = False, report: Report | None = None) -> str:
    from headwater.report.build import build_report

    report = report or build_report(result)
    lines: list[str] = []
    for incident in report.incidents:
        lines += render_incident(incident, sql)
    if report.incidents:
        lines.append("")
    for failure in result.failures:
        lines += render_failure(failure, sql)
        lines.append("")
    lines += [f"note: {note}" for note in result.notes]
    traced = sum(1 for f in result.failures if f.verdict == Verdict.TRACED)
    lines.append(
        f"{len(result.failures)} failure(s), {traced} traced · {result.probe_count} warehouse queries"
        f" · {result.seconds:.2f} s"
    )
    return "\n".join(lines)


# what a person at a terminal looks for first: the incident line, the root cause, file:line, pass/fail marks
_STYLES = (
    (r"(?m)^incident \d+: .*$", "bold"),
    (r"(?m)^  root cause: ", "bold red"),
    (r"(?m)^  (why \d+|evidence|examined|fix at|prevent):", "bold"),
    (r"[\w./-]+\.(?:sql|ya?ml|py):\d+", "cyan"),
    (r"✗( [\d,]+)?|\[\? unknown\]", "red"),
    (r"✓ traced|✓", "green"),
)


def styled(text: str) -> Text:
    """The text report with rich styles (the words are those of `render`, unchanged)."""
    import re

    from rich.text import Text

    out = Text(text)
    for pattern, style in _STYLES:
        out.highlight_regex(re.compile(pattern), style)
    return out


def print_styled(text: str) -> None:
    """For a terminal: the styled report on stdout, lines as long as they are (no re-wrapping)."""
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(styled(text))
