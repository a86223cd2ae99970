"""TraceResult -> JSON, the documented stable shape (docs/trace.md, docs/report.md). `version` (the trace's
shape) and `report_version` (the forensic report under `report`) bump on a breaking change."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson

from headwater.report.build import build_report
from headwater.report.model import REPORT_VERSION, IncidentReport, Report
from headwater.trace.model import Failure, TraceResult, Verdict

SCHEMA_VERSION = 1


def report_dict(report: Report) -> dict[str, Any]:
    """The report model as JSON: dataclass fields as they are, plus each incident's fishbone."""
    data = asdict(report)
    data["incidents"] = [_incident(i) for i in report.incidents]
    return data


def _incident(incident: IncidentReport) -> dict[str, Any]:
    data = asdict(incident)
    data["fishbone"] = {c.value: [asdict(x) for x in found] for c, found in incident.by_category()}
    return data


def to_dict(result: TraceResult, report: Report | None = None) -> dict[str, Any]:
    failures = [_failure(f) for f in result.failures]
    counts = {v.value: sum(1 for f in result.failures if f.verdict == v) for v in Verdict}
    return {
        "version": SCHEMA_VERSION,
        "report_version": REPORT_VERSION,
        "source": result.source,
        "warehouse": result.warehouse,
        "seconds": round(result.seconds, 3),
        "exit_code": result.exit_code,
        "summary": {"failures": len(result.failures), **counts, "probes": result.probe_count},
        "notes": list(result.notes),
        "incidents": [
            {
                "cause": {
                    "node": i.cause.node,
                    "column": i.cause.column,
                    "mechanism": i.cause.mechanism.value,
                    "file": i.cause.file,
                    "line": i.cause.line,
                    "summary": i.cause.summary,
                },
                "failures": list(i.failures),
                "downstream": list(i.downstream),
                "exposures": list(i.exposures),
                "checks": list(i.checks),
            }
            for i in result.incidents
        ],
        "failures": failures,
        "report": report_dict(report or build_report(result)),
    }


def _failure(failure: Failure) -> dict[str, Any]:
    return {
        "expectation": failure.expectation,
        "suite": failure.suite,
        "node": failure.node,
        "relation": failure.relation,
        "column": failure.column,
        "check": failure.check,
        "verdict": failure.verdict.value,
        "reason": failure.reason,
        "root_causes": [
            {
                "kind": c.kind.value,
                "node": c.node,
                "relation": c.relation,
                "column": c.column,
                "mechanism": c.mechanism.value,
                "expression": c.expression,
                "file": c.file,
                "line": c.line,
                "join_side": c.join_side,
                "share": c.share,
                "summary": c.summary,
                "decided_by": c.decided_by,
                "evidence": {**asdict(c.evidence), "sample_keys": list(c.evidence.sample_keys)},
            }
            for c in failure.root_causes
        ],
        "path": [asdict(step) for step in failure.path],
        "timeline": [asdict(event) for event in failure.timeline],
        "probes": [
            {
                "sql": p.sql,
                "rows": p.rows,
                "seconds": round(p.seconds, 4),
                "purpose": p.purpose,
                "relation": p.relation,
                "error": p.error,
            }
            for p in failure.probes
        ],
        "rows": [
            {
                "key": r.key,
                "row": r.row,
                "upstream": [
                    {"node": u.node, "relation": u.relation, "key": u.key, "values": u.values} for u in r.upstream
                ],
            }
            for r in failure.rows
        ],
    }


def render(result: TraceResult, report: Report | None = None) -> str:
    return orjson.dumps(to_dict(result, report), option=orjson.OPT_INDENT_2, default=str).decode()
