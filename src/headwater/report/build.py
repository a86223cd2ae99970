"""TraceResult -> Report: the one model every format draws from (`headwater.report.model`).

Everything here is derived from the trace's own steps, generically: the path's probes give the hops and the
Five Whys, the probes and the comparisons with the last good state give what was ruled out, the root cause's
mechanism gives the fix. Nothing knows a project's table or column names.
"""

from __future__ import annotations

import re

from headwater.report.model import (
    Bar,
    Candidate,
    Category,
    Chart,
    Evidence,
    Fix,
    Hop,
    IncidentReport,
    Report,
    Unexplained,
    Verdict,
    Why,
)
from headwater.report.suggest import prevention_for
from headwater.trace.model import Failure, Incident, Mechanism, PathStep, RootCause, TraceResult
from headwater.trace.model import Verdict as TraceVerdict

# "email: null_share 0.00% -> 3.45%", "customer_id: mean 996.593 -> 22896.6" in a cause's `decided_by`
_MOVED = re.compile(r"(?P<col>[\w.]+): (?P<metric>\w+) (?P<then>-?[\d.,]+)(?P<pct>%?) -> (?P<now>-?[\d.,]+)%?")
_SCHEMA_CHECKS = ("schema", "columns", "type")
_VOLUME_CHECKS = ("row_count", "freshness", "drift", "most common value", "distinct")


def short(node: str) -> str:
    """`model.p.fct_orders` -> `fct_orders`; `source.p.shop.orders` -> `shop.orders`."""
    parts = node.split(".")
    return ".".join(parts[-2:]) if parts[0] == "source" else parts[-1]


def location(cause: RootCause) -> str:
    return f"{cause.file}:{cause.line}" if cause.file and cause.line else (cause.file or cause.relation)


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
    cause_at = max((i for i, s in enumerate(steps) if s.node == cause.node and s.failed and s.via != "history"),
                   default=-1)
    return tuple(
        Hop(s.node, short(s.node), s.column, s.check, _result(s), s.failing, s.total, s.observed, s.via, s.sql,
            is_cause=i == cause_at)
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
        rows = _rows(hop.failing, hop.total)
        question = f"Why does `{hop.label}.{hop.column}` fail {hop.check}" + (f" for {rows}?" if rows else "?")
        if number < len(chain):
            up = chain[number]
            how = f" (carried over the {up.via} edge)" if up.via not in ("failure", "") else ""
            answer = f"Because `{up.label}.{up.column}` fails {up.check} for {_rows(up.failing, up.total)}{how}."
        else:
            answer = f"Because {_sentence(_reason(cause.summary))}"
        whys.append(Why(number, question, answer, hop.node))
    if chain[-1].node != cause.node:  # the cause was diagnosed past the last re-run check (a join, a diff)
        last = chain[-1]
        whys.append(Why(len(whys) + 1, f"Why does `{last.label}.{last.column}` fail there?",
                        f"Because {_sentence(_reason(cause.summary))}", cause.node))
        whys[-2] = Why(whys[-2].number, whys[-2].question, f"Because the failure starts at `{short(cause.node)}`.",
                       whys[-2].node)
    return tuple(whys)


def _reason(summary: str) -> str:
    """The cause's sentence without its restatement of the failure ("`x` fails … because …")."""
    head, sep, rest = summary.partition(" because ")
    return rest if sep and head.startswith("`") and " fails " in head else summary


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _category_of(check: str, node: str) -> Category:
    lowered = check.lower()
    if any(word in lowered for word in _SCHEMA_CHECKS):
        return Category.SCHEMA
    if any(word in lowered for word in _VOLUME_CHECKS):
        return Category.VOLUME
    return Category.DATA if node.startswith(("source.", "seed.", "snapshot.")) else Category.MODEL


_CAUSE_CATEGORY = {
    Mechanism.SOURCE_DATA: Category.DATA,
    Mechanism.SCHEMA_CHANGE: Category.SCHEMA,
    Mechanism.DRIFT: Category.VOLUME,
    Mechanism.STALE: Category.VOLUME,
}


def candidates(failure: Failure, cause: RootCause, path: tuple[Hop, ...]) -> tuple[Candidate, ...]:
    """Every suspect examined, fishbone-style: each hop's probe, each comparison with the last good state."""
    found: list[Candidate] = []
    for hop in path:
        subject = f"{hop.label}.{hop.column}"
        if hop.result == "ruled out":
            found.append(Candidate(_category_of(hop.check, hop.node), subject, Verdict.RULED_OUT, hop.observed))
        elif hop.is_cause:
            category = _CAUSE_CATEGORY.get(cause.mechanism, _category_of(hop.check, hop.node))
            how = f"{hop.check}: {hop.observed}; {cause.mechanism.value} at {location(cause)}"
            found.append(Candidate(category, subject, Verdict.CONVICTED, how, cause.evidence.sql or hop.sql))
        elif hop.result == "fails":
            how = f"{hop.check}: {hop.observed} (its input fails the same rows)"
            found.append(Candidate(_category_of(hop.check, hop.node), subject, Verdict.CARRIED, how, hop.sql))
        else:
            verdict = Verdict.CLEARED if hop.result == "passes" else Verdict.NOT_EXAMINED
            how = f"{hop.check}: {hop.observed or hop.result}"
            found.append(Candidate(_category_of(hop.check, hop.node), subject, verdict, how, hop.sql))
    if not any(h.is_cause for h in path):
        category = _CAUSE_CATEGORY.get(cause.mechanism, Category.MODEL)
        found.append(Candidate(category, f"{short(cause.node)}.{cause.column}", Verdict.CONVICTED,
                               f"{cause.mechanism.value} at {location(cause)}: {cause.evidence.detail}",
                               cause.evidence.sql))
    found += _comparisons(failure, cause)
    return tuple(found)


def _comparisons(failure: Failure, cause: RootCause) -> list[Candidate]:
    """The comparisons with the last good state (code, schema, data), and the schema probe."""
    found: list[Candidate] = []
    decided = cause.decided_by
    code_events = [e for e in failure.timeline if e.kind == "code"]
    compared = bool(failure.timeline) or bool(decided)
    if decided.startswith("code"):
        found.append(Candidate(Category.CODE, f"code of {short(cause.node)}", Verdict.CONVICTED, decided))
    elif code_events:
        for event in code_events:
            verdict = Verdict.CONVICTED if event.node == cause.node and cause.mechanism != Mechanism.SOURCE_DATA \
                else Verdict.NOT_EXAMINED
            found.append(Candidate(Category.CODE, f"code of {short(event.node)}", verdict,
                                   f"{event.summary} (since the last good state)"))
    elif compared:
        found.append(Candidate(Category.CODE, "code on the path", Verdict.CLEARED,
                               "no model on the path changed since the last good state"))
    else:
        found.append(Candidate(Category.CODE, "code on the path", Verdict.NOT_EXAMINED,
                               "no last good state to compare with (run `headwater snapshot` after a good build)"))
    schema_probes = [p for p in failure.probes if p.purpose.startswith("schema")]
    if decided.startswith("schema") or cause.mechanism == Mechanism.SCHEMA_CHANGE:
        found.append(Candidate(Category.SCHEMA, f"columns of {short(cause.node)}", Verdict.CONVICTED,
                               decided or cause.evidence.detail, cause.evidence.sql))
    elif schema_probes:
        probe = schema_probes[0]
        found.append(Candidate(Category.SCHEMA, "columns and types on the path", Verdict.CLEARED,
                               f"{probe.purpose}: {probe.rows} relations read, no column missing or retyped",
                               probe.sql))
    if decided.startswith("data"):
        found.append(Candidate(Category.DATA, f"profile of {short(cause.node)}.{cause.column}", Verdict.CONVICTED,
                               decided))
    for event in failure.timeline:
        if event.kind in ("volume", "profile"):
            found.append(Candidate(Category.VOLUME if event.kind == "volume" else Category.DATA,
                                   f"{short(event.node)}" if event.node else "warehouse", Verdict.NOT_EXAMINED,
                                   f"{event.kind} changed: {event.summary}"))
    if not any(e.kind == "volume" for e in failure.timeline) and not any(
        c.category == Category.VOLUME for c in found
    ):
        verdict = Verdict.CLEARED if compared else Verdict.NOT_EXAMINED
        how = ("no row count or load change recorded on the path since the last good state" if compared
               else "no last good state to compare row counts with")
        found.append(Candidate(Category.VOLUME, "row counts on the path", verdict, how))
    return found


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
    change = template.format(column=cause.column, relation=cause.relation, expression=cause.expression or "?",
                             detail=cause.evidence.detail or cause.decided_by or "see the evidence")
    return Fix(location(cause), change[0].upper() + change[1:] + ".")


def diff_lines(failure: Failure, cause: RootCause) -> tuple[str, ...]:
    lines = [f"{short(e.node) if e.node else 'project'}: {e.summary}" for e in failure.timeline
             if e.kind in ("code", "schema") and (not e.node or e.node == cause.node)]
    if cause.decided_by and not cause.decided_by.startswith("data"):
        lines.append(cause.decided_by)
    return tuple(lines)


def charts(cause: RootCause, chain: list[Hop]) -> tuple[Chart, ...]:
    found: list[Chart] = []
    shares = [Bar(f"{h.label}.{h.column}", h.failing / h.total) for h in chain if h.failing is not None and h.total]
    if shares:
        found.append(Chart("failing share per hop", "%", tuple(shares)))
    for match in _MOVED.finditer(cause.decided_by):
        then, now = (float(match[g].replace(",", "")) for g in ("then", "now"))
        pct = bool(match["pct"])
        unit = "%" if pct else match["metric"]
        bars = (Bar("last good", then / 100 if pct else then), Bar("now", now / 100 if pct else now))
        found.append(Chart(f"{match['col']}: {match['metric']} before / after", unit, bars))
    return tuple(found)


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
        root_cause=_sentence(cause.summary),
        mechanism=cause.mechanism.value,
        kind=cause.kind.value,
        node=cause.node,
        label=short(cause.node),
        column=cause.column,
        location=location(cause),
        failed_checks=incident.failures,
        evidence=Evidence(ev.failing_downstream, ev.failing_here, ev.total_here, ev.sample_keys, ev.sql, ev.detail,
                          cause.decided_by),
        path=path,
        timeline=failure.timeline,
        diff=diff_lines(failure, cause),
        whys=five_whys(failure, cause, path),
        ruled_out=candidates(failure, cause, path),
        downstream=incident.downstream,
        exposures=incident.exposures,
        fix=fix_for(cause),
        prevention=prevention_for(cause, chain[-1] if chain else None),
        charts=charts(cause, chain),
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
    return Report(incidents, unexplained, len(result.failures), traced, result.probe_count, round(result.seconds, 3),
                  result.source, result.warehouse, result.notes)
