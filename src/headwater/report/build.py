"""TraceResult -> Report: the one model every format draws from (`headwater.report.model`).

Everything here is derived from the trace's own steps, generically: the path's probes give the hops and the
Five Whys, the probes and the comparisons with the last good state give what was ruled out, the root cause's
mechanism gives the fix. Nothing knows a project's table or column names.
"""

from __future__ import annotations

import re

from headwater.report.fishbone import candidates
from headwater.report.model import (
    Bar,
    Chart,
    Evidence,
    Fix,
    Hop,
    IncidentReport,
    Report,
    Unexplained,
    Why,
)
from headwater.report.names import location, readable, short
from headwater.report.suggest import prevention_for
from headwater.trace.model import Failure, Incident, Mechanism, PathStep, RootCause, TimelineEvent, TraceResult
from headwater.trace.model import Verdict as TraceVerdict

# "email: null_share 0.00% -> 3.45%", "customer_id: mean 996.593 -> 22896.6" in a cause's `decided_by`
_MOVED = re.compile(r"(?P<col>[\w.]+): (?P<metric>\w+) (?P<then>-?[\d.,]+)(?P<pct>%?) -> (?P<now>-?[\d.,]+)%?")
# "… the same way in snapshot S (95.0% of rows then, 97.7% now)": a check's failing share, then and now
_THEN_NOW = re.compile(r"\((?P<then>[\d.]+)% of rows then, (?P<now>[\d.]+)% now\)")


def _rows(failing: int | None, total: int | None) -> str:
    if failing is None:
        return ""
    return f"{failing:,} of {total:,} rows" if total else f"{failing:,} rows"


def _result(step: PathStep) -> str:
    if step.via == "history":
        return "ruled out"
    return "fails" if step.failed else ("passes" if step.failed is False else "could not run")


def hops(failure: Failure, cause: RootCause) -> tuple[Hop, ...]:
    steps = list(failure.path)
    cause_at = max(
        (i for i, s in enumerate(steps) if s.node == cause.node and s.failed and s.via != "history"), default=-1
    )
    return tuple(
        Hop(
            s.node,
            short(s.node),
            s.column,
            s.check,
            _result(s),
            s.failing,
            s.total,
            s.observed,
            s.via,
            s.sql,
            is_cause=i == cause_at,
        )
        for i, s in enumerate(steps)
    )


def failing_chain(path: tuple[Hop, ...]) -> list[Hop]:
    """The hops the failure travelled: failing steps in the order walked, one per node and column, up to the
    cause's node (the walk may also visit siblings that pass; those are candidates, not hops)."""
    chain: list[Hop] = []
    seen: set[tuple[str, str]] = set()
    for hop in path:
        if hop.result != "fails" or (hop.node, hop.column) in seen:
            continue
        seen.add((hop.node, hop.column))
        chain.append(hop)
        if hop.is_cause:
            break
    return chain


def five_whys(failure: Failure, cause: RootCause, path: tuple[Hop, ...]) -> tuple[Why, ...]:
    """One why per hop, from the failed check down to the cause; the last answer is the root cause."""
    chain = failing_chain(path)
    if not chain:
        subject = f"{short(failure.node) if failure.node else failure.relation}.{failure.column}"
        return (Why(1, f"Why does `{subject}` fail {failure.check}?", _sentence(cause.summary), cause.node),)
    whys: list[Why] = []
    for number, hop in enumerate(chain, start=1):
        question = f"Why does `{hop.label}.{hop.column}` fail {_fails(hop)}?"
        if number < len(chain):
            up = chain[number]
            if "join" in up.via:  # the key of this model's join: its rows find nothing to join to
                answer = f"Because its join key `{up.label}.{up.column}` fails {_fails(up)}: those rows find no match."
            else:
                how = f" (carried over the {up.via} edge)" if up.via not in ("failure", "") else ""
                answer = f"Because `{up.label}.{up.column}` fails {_fails(up)}{how}."
        else:
            answer = f"Because {_sentence(readable(_reason(cause.summary)))}"
        whys.append(Why(number, readable(question), readable(answer), hop.node))
    if chain[-1].node != cause.node:  # the cause was diagnosed past the last re-run check (a join, a diff)
        last = chain[-1]
        whys.append(
            Why(
                len(whys) + 1,
                f"Why does `{last.label}.{last.column}` fail there?",
                f"Because {_sentence(readable(_reason(cause.summary)))}",
                cause.node,
            )
        )
        whys[-2] = Why(
            whys[-2].number, whys[-2].question, f"Because the failure starts at `{short(cause.node)}`.", whys[-2].node
        )
    return tuple(whys)


def _fails(hop: Hop) -> str:
    """ "not_null for 219 of 10,000 rows": the check and, when the probe counted them, its rows."""
    rows = _rows(hop.failing, hop.total)
    return f"{hop.check} for {rows}" if rows else hop.check


def _reason(summary: str) -> str:
    """The cause's sentence without its restatement of the failure ("`x` fails … because …")."""
    head, sep, rest = summary.partition(" because ")
    return rest if sep and head.startswith("`") and " fails " in head else summary


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


_FIXES = {
    Mechanism.SOURCE_DATA: "correct the loading of `{column}` into `{relation}` ({detail}); until then quarantine "
    "the rows the evidence SQL returns, and declare the check below on the source",
    Mechanism.JOIN_MISS: "the join `{expression}` finds no match for some keys: load the missing keys into the "
    "joined side, or make the join's intent explicit (an INNER JOIN, or a documented default)",
    Mechanism.FAN_OUT: "join on a key that is unique on the joined side: `{expression}` repeats keys",
    Mechanism.CAST_FAILURE: "widen the cast `{expression}` to a type that holds every value ({detail})",
    Mechanism.FILTER: "remove or narrow the WHERE conjunct `{expression}`: it drops the rows the check misses",
    Mechanism.EXPRESSION: "correct the expression `{expression}` ({detail})",
    Mechanism.SCHEMA_CHANGE: "align `{relation}.{column}` with what the models read ({detail}): restore the column "
    "or update the models and the YAML that declare it",
    Mechanism.DRIFT: "find why the distribution of `{column}` moved ({detail}); re-baseline only if it is legitimate",
    Mechanism.STALE: "reload `{relation}` and repair its schedule ({detail})",
    Mechanism.MODEL_CHANGE: "serve the previous model version again, then fix and retrain the new one ({detail})",
    Mechanism.UNKNOWN: "not determined: {detail}",
}


def fix_for(cause: RootCause) -> Fix:
    template = _FIXES.get(cause.mechanism, _FIXES[Mechanism.UNKNOWN])
    change = template.format(
        column=cause.column,
        relation=cause.relation,
        expression=cause.expression or "?",
        detail=cause.evidence.detail or cause.decided_by or "see the evidence",
    )
    return Fix(location(cause), change[0].upper() + change[1:] + ".")


def diff_lines(failure: Failure, cause: RootCause) -> tuple[str, ...]:
    lines = [
        f"{short(e.node) if e.node else 'project'}: {e.summary}"
        for e in failure.timeline
        if e.kind in ("code", "schema") and (not e.node or e.node == cause.node)
    ]
    if cause.decided_by and not cause.decided_by.startswith("data"):
        lines.append(cause.decided_by)
    return tuple(lines)


def charts(cause: RootCause, chain: list[Hop], path: tuple[Hop, ...] = ()) -> tuple[Chart, ...]:
    """The numbers worth a picture: the failing share along the path, and before/after where the history has
    them (a profile that moved, a check that failed the same way in the last good state)."""
    found: list[Chart] = []
    shares = [Bar(f"{h.label}.{h.column}", h.failing / h.total) for h in chain if h.failing is not None and h.total]
    if shares:
        found.append(Chart("failing share per hop", "%", tuple(shares)))
    for hop in path:
        if hop.result == "ruled out" and (moved := _THEN_NOW.search(hop.observed)):
            bars = (Bar("last good", float(moved["then"]) / 100), Bar("now", float(moved["now"]) / 100))
            found.append(Chart(f"{hop.label}.{hop.column}: failing share before / after", "%", bars))
    for match in _MOVED.finditer(cause.decided_by):
        then, now = (float(match[g].replace(",", "")) for g in ("then", "now"))
        pct = bool(match["pct"])
        unit = "%" if pct else match["metric"]
        bars = (Bar("last good", then / 100 if pct else then), Bar("now", now / 100 if pct else now))
        found.append(Chart(f"{match['col']}: {match['metric']} before / after", unit, bars))
    return tuple(found)


def _when(event: TimelineEvent) -> tuple[bool, str]:
    """Oldest first, what changed since the last snapshot ("now") last: the order a reader follows a story."""
    return event.at == "now", event.at


def _failure_of(result: TraceResult, incident: Incident) -> Failure:
    for failure in result.failures:
        if failure.top == incident.cause:
            return failure
    for failure in result.failures:
        if f"{failure.relation}.{failure.column} {failure.check}" in incident.failures:
            return failure
    return result.failures[0]


def incident_report(number: int, result: TraceResult, incident: Incident) -> IncidentReport:
    failure, cause = _failure_of(result, incident), incident.cause
    path = hops(failure, cause)
    chain = failing_chain(path)
    ev = cause.evidence
    return IncidentReport(
        number=number,
        root_cause=_sentence(readable(cause.summary)),
        mechanism=cause.mechanism.value,
        kind=cause.kind.value,
        node=cause.node,
        label=short(cause.node),
        column=cause.column,
        location=location(cause),
        failed_checks=incident.failures,
        evidence=Evidence(
            ev.failing_downstream, ev.failing_here, ev.total_here, ev.sample_keys, ev.sql, ev.detail, cause.decided_by
        ),
        path=path,
        timeline=tuple(sorted(failure.timeline, key=_when)),
        diff=diff_lines(failure, cause),
        whys=five_whys(failure, cause, path),
        ruled_out=candidates(failure, cause, path),
        downstream=incident.downstream,
        exposures=incident.exposures,
        fix=fix_for(cause),
        prevention=prevention_for(cause, chain[-1] if chain else None),
        charts=charts(cause, chain, path),
        readers=incident.checks,
    )


def build_report(result: TraceResult) -> Report:
    incidents = tuple(incident_report(n, result, i) for n, i in enumerate(result.incidents, start=1))
    explained = {f for i in result.incidents for f in i.failures}
    unexplained = tuple(
        Unexplained(f"{f.relation}.{f.column}", f.check, f.verdict.value, f.reason)
        for f in result.failures
        if f"{f.relation}.{f.column} {f.check}" not in explained
    )
    traced = sum(1 for f in result.failures if f.verdict == TraceVerdict.TRACED)
    return Report(
        incidents,
        unexplained,
        len(result.failures),
        traced,
        result.probe_count,
        round(result.seconds, 3),
        result.source,
        result.warehouse,
        result.notes,
    )
