"""Render a gate report as text, JSON, JUnit XML or GitHub workflow annotations (pure: strings out)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson

from headwater.contracts.gate import ContractResult, GateReport
from headwater.contracts.model import BlastRadius, ContractKind, Finding, Unevaluated, UpstreamCause
from headwater.lineage import Edge

FORMATS = ("text", "json", "junit", "github")
_STATUS_MARK = {"ok": "✓", "changed": "~", "unknown": "?", "broken": "✗"}


def _verdict(code: int) -> str:
    return {0: "pass", 1: "fail", 3: "unknown"}.get(code, "error")


def render(report: GateReport, fmt: str, code: int, project_dir: Path | None = None) -> str:
    if fmt == "json":
        return orjson.dumps(to_dict(report, code), option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "junit":
        return to_junit(report)
    if fmt == "github":
        return to_github(report, project_dir)
    return to_text(report, code)


# ---- text -------------------------------------------------------------------------------------------


def to_text(report: GateReport, code: int) -> str:
    broken = sum(1 for r in report.results if r.status == "broken")
    lines = [
        f"headwater gate: {len(report.results)} contract(s), {broken} broken "
        f"(actual schema from the {report.actual_source}) → {_verdict(code)}"
    ]
    for result in report.results:
        c = result.contract
        target = f" → {c.node_id}" if c.node_id else f" → {c.relation}"
        lines.append(f"{_STATUS_MARK[result.status]} {c.name}  [{c.origin.kind} {c.origin}{target}]")
        lines += [line for f in result.findings for line in _finding_lines(f)]
    if report.state_findings:
        lines.append("contract changes since --state:")
        for finding in report.state_findings:
            lines.append(f"  {finding.contract.name}:")
            lines += ["  " + line for line in _finding_lines(finding)]
    return "\n".join(lines) + "\n"


def _finding_lines(f: Finding) -> list[str]:
    if isinstance(f.change, Unevaluated):
        label = "UNKNOWN"
    else:
        label = "BREAKING" if f.change.breaking else "non-breaking"
    lines = [f"    {label} {f.change.category}: {f.change.reason}  ({f.location})"]
    if f.cause is not None:
        lines.append(f"      upstream cause: {f.cause.describe()}")
    if f.blast is not None:
        lines += blast_lines(f.blast, "      ")
    return lines


def blast_lines(blast: BlastRadius, indent: str) -> list[str]:
    """`blast radius: 2 models, 1 contract` and one indented line per kind that is hit (gate and diff)."""
    if blast.empty:
        return []
    lines = [f"{indent}blast radius: {blast.describe()}"]
    for label, items in (
        ("models", blast.models),
        ("exposures", blast.exposures),
        ("dbt tests", blast.tests),
        ("GX expectations", blast.gx_expectations),
        ("contracts", blast.contracts),
    ):
        if items:
            lines.append(f"{indent}  {label}: {', '.join(items)}")
    return lines


# ---- JSON -------------------------------------------------------------------------------------------


def edge_dict(edge: Edge) -> dict[str, Any]:
    return {
        "source": str(edge.source) if edge.source else None,
        "target": str(edge.target),
        "kind": str(edge.kind),
        "expression": edge.expression,
        "location": str(edge.location) if edge.location else None,
    }


def cause_dict(cause: UpstreamCause) -> dict[str, Any]:
    return {
        "node": cause.node,
        "column": cause.column,
        "category": cause.change.category,
        "reason": cause.change.reason,
        "first_model": cause.first_model,
        "path": [edge_dict(e) for e in cause.path],
        "through": list(cause.through),
        "mechanism": cause.mechanism or None,
        "file": cause.file or None,
        "line": cause.line,
        "summary": cause.describe(),
    }


def blast_dict(blast: BlastRadius) -> dict[str, Any]:
    return {
        "models": list(blast.models),
        "exposures": list(blast.exposures),
        "tests": list(blast.tests),
        "gx_expectations": list(blast.gx_expectations),
        "contracts": list(blast.contracts),
        "columns": [str(c) for c in blast.columns],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "category": f.change.category,
        "breaking": f.change.breaking,
        "unevaluated": isinstance(f.change, Unevaluated),
        "column": getattr(f.change, "column", None),
        "reason": f.change.reason,
        "location": f.location,
        "cause": cause_dict(f.cause) if f.cause else None,
        "blast_radius": blast_dict(f.blast) if f.blast else None,
    }


def result_dict(r: ContractResult) -> dict[str, Any]:
    c = r.contract
    return {
        "name": c.name,
        "kind": str(c.origin.kind),
        "file": c.origin.file,
        "line": c.origin.line,
        "node": c.node_id,
        "relation": c.relation,
        "status": r.status,
        "findings": [finding_dict(f) for f in r.findings],
    }


def to_dict(report: GateReport, code: int) -> dict[str, Any]:
    return {
        "verdict": _verdict(code),
        "exit_code": code,
        "actual_source": report.actual_source,
        "contracts": [result_dict(r) for r in report.results],
        "state_changes": [
            {"contract": f.contract.name, "node": f.contract.node_id, **finding_dict(f)}
            for f in report.state_findings
        ],
    }


# ---- JUnit ------------------------------------------------------------------------------------------


def to_junit(report: GateReport) -> str:
    """One testsuite, one testcase per contract: <failure> for breaks, <error> for what could not run."""
    results = list(report.results)
    failures = sum(1 for r in results if r.status == "broken")
    errors = sum(1 for r in results if r.status == "unknown")
    suite = ET.Element(
        "testsuite",
        name="headwater gate",
        tests=str(len(results) + len(report.state_findings)),
        failures=str(failures + sum(1 for f in report.state_findings if f.change.breaking)),
        errors=str(errors),
    )
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"{r.contract.origin.kind}.{r.contract.name}",
                             name=f"contract {r.contract.name}", file=r.contract.origin.file)  # fmt: skip
        _junit_findings(case, r.findings)
    for f in report.state_findings:
        case = ET.SubElement(suite, "testcase", classname=f"state.{f.contract.name}", name=f.change.reason)
        _junit_findings(case, (f,))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _junit_findings(case: ET.Element, findings: tuple[Finding, ...] | list[Finding]) -> None:
    breaking = [f for f in findings if f.change.breaking]
    unknown = [f for f in findings if isinstance(f.change, Unevaluated)]
    if breaking:
        failure = ET.SubElement(
            case, "failure", message=breaking[0].change.reason, type=breaking[0].change.category
        )
        failure.text = "\n".join(line.strip() for f in breaking for line in _finding_lines(f))
    elif unknown:
        error = ET.SubElement(case, "error", message=unknown[0].change.reason, type="unevaluated")
        error.text = "\n".join(f.change.reason for f in unknown)
    others = [f for f in findings if f not in breaking and f not in unknown]
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(f.change.reason for f in others)


# ---- GitHub -----------------------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation_file(f: Finding, project_dir: Path | None) -> str:
    file = Path(f.contract.origin.file)
    if f.contract.origin.kind is ContractKind.DBT and project_dir is not None and not file.is_absolute():
        file = project_dir / file
    try:
        return os.path.relpath(file)
    except ValueError:  # another drive on Windows
        return str(file)


def to_github(report: GateReport, project_dir: Path | None = None) -> str:
    """`::error file=…,line=…::` on the contract (or model) file for each break; warnings otherwise."""
    out = []
    for f in report.findings():
        level = "error" if f.change.breaking or isinstance(f.change, Unevaluated) else "warning"
        props = [f"file={_escape_property(_annotation_file(f, project_dir))}"]
        line = f.line or f.contract.origin.line
        if line:
            props.append(f"line={line}")
        props.append(f"title={_escape_property(f'contract {f.contract.name}: {f.change.category}')}")
        message = f.change.reason
        if f.cause is not None:
            message += f"\nupstream cause: {f.cause.describe()}"
        if f.blast is not None and not f.blast.empty:
            message += f"\nblast radius: {f.blast.describe()}"
        out.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
        out += _cause_annotation(f, project_dir)
    return "\n".join(out) + ("\n" if out else "")


def _cause_annotation(f: Finding, project_dir: Path | None) -> list[str]:
    """A notice on the model line where the break entered (e.g. the cast in a staging model)."""
    if f.cause is None:
        return []
    if f.cause.file:  # found by headwater.trace: the model line of the join, filter or cast
        file_name, line = f.cause.file, f.cause.line
    elif f.cause.path and f.cause.path[0].location is not None:
        location = f.cause.path[0].location
        file_name, line = location.file, None if location.compiled else location.line
    else:
        return []
    file = Path(file_name)
    if project_dir is not None and not file.is_absolute():
        file = project_dir / file
    props = [f"file={_escape_property(os.path.relpath(file))}"]
    if line:
        props.append(f"line={line}")
    title = _escape_property(f"upstream cause of contract {f.contract.name}")
    return [f"::notice {','.join(props)},title={title}::{_escape_data(f.cause.describe())}"]
