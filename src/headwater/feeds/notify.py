"""`headwater trace --notify URL`: the incident summary posted as JSON to a webhook.

The body carries a Slack-compatible `text` (Slack, Mattermost, Teams workflows and most chat webhooks show
it as the message) and, under `headwater`, the structured incidents and summary of the trace JSON
(`headwater.report.trace_json`, same field names and `version`). A post that fails is returned as a
`NotifyOutcome` with the reason: the caller reports it, the trace result and its exit code stand.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import orjson

from headwater.report.trace_json import to_dict
from headwater.trace.model import Failure, TraceResult, Verdict

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class NotifyOutcome:
    url: str
    ok: bool
    status: int | None = None
    error: str = ""


def payload(result: TraceResult) -> dict[str, Any]:
    """The webhook body: `text` for people, `headwater` for machines."""
    data = to_dict(result)
    return {
        "text": summary_text(result),
        "headwater": {
            "version": data["version"],
            "source": data["source"],
            "exit_code": data["exit_code"],
            "summary": data["summary"],
            "incidents": data["incidents"],
            "unexplained": [_unexplained(f) for f in result.failures if f.verdict != Verdict.TRACED],
        },
    }


def summary_text(result: TraceResult) -> str:
    """One line per incident, root cause first; then what could not be traced."""
    failed = len(result.failures)
    head = f"headwater: {failed} failed check{'s' if failed != 1 else ''}, {len(result.incidents)} incident(s)"
    lines = [head]
    for number, incident in enumerate(result.incidents, 1):
        cause = incident.cause
        where = f" ({cause.file}:{cause.line})" if cause.line else (f" ({cause.file})" if cause.file else "")
        broken = len(incident.failures)
        lines.append(f"{number}. {cause.summary or cause.mechanism.value}{where}; breaks {broken} check(s)")
    for failure in result.failures:
        if failure.verdict != Verdict.TRACED:
            check = f"{failure.relation}.{failure.column} {failure.check}"
            lines.append(f"- {check}: {failure.verdict.value}, {failure.reason}")
    return "\n".join(lines)


def _unexplained(failure: Failure) -> dict[str, str]:
    return {
        "node": failure.node,
        "relation": failure.relation,
        "column": failure.column,
        "check": failure.check,
        "verdict": failure.verdict.value,
        "reason": failure.reason,
    }


def post(url: str, body: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> NotifyOutcome:
    """POST `body` as JSON; never raises for a network or HTTP failure (the outcome says what happened)."""
    request = urllib.request.Request(
        url,
        data=orjson.dumps(body, default=str),
        headers={"Content-Type": "application/json", "User-Agent": "headwater"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return NotifyOutcome(url, 200 <= response.status < 300, response.status)
    except urllib.error.HTTPError as err:
        return NotifyOutcome(url, False, err.code, f"HTTP {err.code} {err.reason}")
    except (urllib.error.URLError, OSError, ValueError) as err:
        return NotifyOutcome(url, False, None, str(getattr(err, "reason", err)))
