"""An incident of the report as a Markdown ticket: summary, evidence, timeline, five whys, what was ruled out,
fix, prevention (the detail of each failure follows in `trace_md`)."""

from __future__ import annotations

import orjson

from headwater.report.model import IncidentReport
from headwater.report.names import readable


def _cell(value: object) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def render_incident(incident: IncidentReport) -> list[str]:
    ev = incident.evidence
    out = [
        f"## Incident {incident.number}: {incident.mechanism} at `{incident.label}.{incident.column}`",
        "",
        f"**Summary.** {incident.root_cause}",
        "",
        f"- where: `{incident.location}` ({incident.kind})",
        f"- failed checks: {', '.join(f'`{c}`' for c in incident.failed_checks)}",
        f"- blast radius: {len(incident.downstream)} downstream nodes"
        + (f" ({', '.join(f'`{d}`' for d in incident.downstream)})" if incident.downstream else "")
        + (f"; exposures {', '.join(f'`{e}`' for e in incident.exposures)}" if incident.exposures else "")
        + (f"; {len(incident.readers)} checks read it" if incident.readers else ""),
        "",
        "### Evidence",
        "",
        f"{ev.detail}" + (f" — rows at fault here: {ev.failing_here}" if ev.failing_here is not None else ""),
    ]
    if ev.sample_keys:
        out.append("Sample keys: " + ", ".join(f"`{k}`" for k in ev.sample_keys))
    if ev.decided_by:
        out.append(f"Decided by: {ev.decided_by}")
    if ev.sql:
        out += ["", "Re-run:", "", "```sql", ev.sql, "```"]
    out.append("")
    if incident.timeline or incident.diff:
        out += ["### Timeline", "", "| when | what | node | |", "|---|---|---|---|"]
        for event in incident.timeline:
            mark = f" **({event.mark})**" if event.mark else ""
            out.append(f"| {event.at[:19]} | {event.kind} | `{event.node}` | {_cell(event.summary)}{mark} |")
        out += ["", *[f"- changed: {_cell(line)}" for line in incident.diff], ""]
    out += ["### Five whys", ""]
    out += [f"{w.number}. **{w.question}** {w.answer}" for w in incident.whys]
    out += ["", "### Ruled out", "", "| category | candidate | verdict | how |", "|---|---|---|---|"]
    for category, found in incident.by_category():
        for candidate in found:
            verdict, how = candidate.verdict.value, _cell(candidate.how)
            out.append(f"| {category.value} | `{candidate.subject}` | {verdict} | {how} |")
        if not found:
            out.append(f"| {category.value} | — | not examined | no probe or comparison of this kind on the path |")
    out += ["", "### Fix", "", f"At `{incident.fix.location}`: {incident.fix.change}", "", "### Prevention", ""]
    prevention = incident.prevention
    if prevention.check:
        out.append(
            f"`{readable(prevention.check)}` on `{prevention.node}` column `{prevention.column}` would have failed"
            " at the cause. `headwater trace --suggest DIR` writes these files."
        )
    if prevention.reason:
        out.append(f"Note: {prevention.reason}.")
    if prevention.gx is not None:
        gx = orjson.dumps(prevention.gx, option=orjson.OPT_INDENT_2).decode()
        out += ["", "GX expectation (add to the suite):", "", "```json", gx, "```"]
    if prevention.dbt_yaml:
        out += [
            "",
            "dbt test (merge into the properties file that declares the node):",
            "",
            "```yaml",
            prevention.dbt_yaml.rstrip(),
            "```",
        ]
    if prevention.odcs is not None:
        out += [
            "",
            "ODCS quality rule (on the property):",
            "",
            "```json",
            orjson.dumps(prevention.odcs).decode(),
            "```",
        ]
    out.append("")
    return out
