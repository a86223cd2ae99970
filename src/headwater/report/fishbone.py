"""What was ruled out, fishbone-style: every candidate examined on the way to the cause, in its category
(data, code, schema, volume/freshness, model), with the probe or the comparison with the last good state that
cleared or convicted it. Derived from the trace's own steps; nothing knows a project's names."""

from __future__ import annotations

from headwater.report.model import Candidate, Category, Hop, Verdict
from headwater.report.names import location, readable, short
from headwater.trace.model import Failure, Mechanism, RootCause

_SCHEMA_CHECKS = ("schema", "columns", "type")
_VOLUME_CHECKS = ("row_count", "freshness", "drift", "most common value", "distinct")


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
    # a failing input compared with the last good state is decided by that comparison, not carried
    compared = {(h.node, h.column) for h in path if h.result == "ruled out"}
    for hop in path:
        subject = f"{hop.label}.{hop.column}"
        if hop.result == "fails" and not hop.is_cause and (hop.node, hop.column) in compared:
            continue
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
        found.append(
            Candidate(
                category,
                f"{short(cause.node)}.{cause.column}",
                Verdict.CONVICTED,
                f"{cause.mechanism.value} at {location(cause)}: {cause.evidence.detail}",
                cause.evidence.sql,
            )
        )
    found += _comparisons(failure, cause)
    return tuple(Candidate(c.category, readable(c.subject), c.verdict, readable(c.how), c.sql) for c in found)


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
            verdict = (
                Verdict.CONVICTED
                if event.node == cause.node and cause.mechanism != Mechanism.SOURCE_DATA
                else Verdict.NOT_EXAMINED
            )
            found.append(
                Candidate(
                    Category.CODE,
                    f"code of {short(event.node)}",
                    verdict,
                    f"{event.summary} (since the last good state)",
                )
            )
    elif compared:
        found.append(
            Candidate(
                Category.CODE,
                "code on the path",
                Verdict.CLEARED,
                "no model on the path changed since the last good state",
            )
        )
    else:
        found.append(
            Candidate(
                Category.CODE,
                "code on the path",
                Verdict.NOT_EXAMINED,
                "no last good state to compare with (run `headwater snapshot` after a good build)",
            )
        )
    schema_probes = [p for p in failure.probes if p.purpose.startswith("schema")]
    if decided.startswith("schema") or cause.mechanism == Mechanism.SCHEMA_CHANGE:
        found.append(
            Candidate(
                Category.SCHEMA,
                f"columns of {short(cause.node)}",
                Verdict.CONVICTED,
                decided or cause.evidence.detail,
                cause.evidence.sql,
            )
        )
    elif schema_probes:
        probe = schema_probes[0]
        found.append(
            Candidate(
                Category.SCHEMA,
                "columns and types on the path",
                Verdict.CLEARED,
                f"{probe.purpose}: {probe.rows} relations read, no column missing or retyped",
                probe.sql,
            )
        )
    if decided.startswith("data"):
        found.append(
            Candidate(Category.DATA, f"profile of {short(cause.node)}.{cause.column}", Verdict.CONVICTED, decided)
        )
    for event in failure.timeline:
        if event.kind == "schema" and cause.mechanism != Mechanism.SCHEMA_CHANGE and not decided.startswith("schema"):
            found.append(
                Candidate(
                    Category.SCHEMA,
                    f"columns of {short(event.node)}" if event.node else "schema",
                    Verdict.NOT_EXAMINED,
                    f"{event.summary} (since the last good state)",
                )
            )
        if event.kind in ("volume", "profile"):
            found.append(
                Candidate(
                    Category.VOLUME if event.kind == "volume" else Category.DATA,
                    f"{short(event.node)}" if event.node else "warehouse",
                    Verdict.NOT_EXAMINED,
                    f"{event.kind} changed: {event.summary}",
                )
            )
    if not any(e.kind == "volume" for e in failure.timeline) and not any(c.category == Category.VOLUME for c in found):
        verdict = Verdict.CLEARED if compared else Verdict.NOT_EXAMINED
        how = (
            "no row count or load change recorded on the path since the last good state"
            if compared
            else "no last good state to compare row counts with"
        )
        found.append(Candidate(Category.VOLUME, "row counts on the path", verdict, how))
    return found
