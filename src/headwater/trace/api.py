"""`headwater.trace(...)`: the public entry point. Normalises its loose inputs once, then walks each failure.

>>> import headwater
>>> result = headwater.trace("checkpoint_result.json", project_dir="dbt_project_example")  # doctest: +SKIP
>>> result.failures[0].top.summary                                                           # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlglot import exp

from headwater.errors import ConfigError, suggest
from headwater.trace.checks import (
    Check,
    DistinctContains,
    Schema,
    Unique,
    Untraceable,
    columns_of,
    describe,
    rename,
)
from headwater.trace.gx_map import check_from_question
from headwater.trace.last_good import load_last_good, of_project, path_timeline
from headwater.trace.measures import Outcome, failing_predicate
from headwater.trace.model import CauseKind, Failure, RootCause, TraceResult, Verdict

if TYPE_CHECKING:
    from headwater.dbt import Artifacts, Manifest, Node, UniqueId
    from headwater.lineage import LineageGraph
    from headwater.trace.context import Context
    from headwater.trace.gx_results import FailedExpectation
    from headwater.trace.memory import Memory
    from headwater.warehouse import Warehouse

_log = logging.getLogger(__name__)  # stage events (`extra={"event": ...}`) for headwater.feeds' logs, metrics, spans


@dataclass(frozen=True)
class TraceQuestion:
    """One failure to trace: a check on a node (from a GX result or asked directly)."""

    expectation: str
    node: UniqueId | str  # "" when the batch matches no node (`unmapped` says why)
    check: Check
    suite: str = ""
    reported_failing: int | None = None
    asked: bool = False  # a direct question: an unknown column is a usage error, not a failure to trace
    unmapped: str = ""  # why the GX batch matches no dbt node (`node` is then ""): reported as unknown
    relation: str = ""  # what the batch read, shown when `node` is ""


def trace(
    result: str | Path | Mapping[str, Any] | None = None,
    *,
    node: str | None = None,
    column: str | None = None,
    check: str | Check | None = None,
    args: Mapping[str, str] | None = None,
    project_dir: str | Path = ".",
    profiles_dir: str | Path | None = None,
    target: str | None = None,
    warehouse: str | None = None,
    target_path: str | Path | None = None,
    overrides: Mapping[str, str] | None = None,
    rows: int = 0,
    as_of: datetime | None = None,
    timeout_seconds: float = 300.0,
    history: str | None = None,
    state: str | Path | None = None,
    use_history: bool = True,
    context_root: str | Path | None = None,
) -> TraceResult:
    """Trace every failed expectation of a GX validation result (a file path or its parsed JSON), or one
    direct question (`node`, `column`, `check`, `args`), to its root causes upstream.

    The trace compares against the last good state when there is one: the history store (`history` URL,
    `$HEADWATER_HISTORY`, or the project's `.headwater/history.duckdb` when it exists; `use_history=False`
    ignores it) and `state`, a dbt target directory of the deployed run (code and schema only).

    Raises ConfigError (exit 2) for bad input, WarehouseError (exit 3) when the warehouse is unreachable.
    """
    from headwater.dbt import load_artifacts
    from headwater.lineage import build_lineage
    from headwater.warehouse import connect, from_profile, from_url

    started = time.perf_counter()
    project = Path(project_dir)
    config = (
        from_url(warehouse, timeout_seconds)
        if warehouse
        else from_profile(
            project, Path(profiles_dir) if profiles_dir else None, target, timeout_seconds=timeout_seconds
        )
    )
    state_dir = Path(state) if state is not None else None
    # Opening the warehouse (tens of ms for a large DuckDB file, a network round trip for PostgreSQL)
    # releases the GIL: do it while the artifacts and the lineage load. So does reading the history store
    # (a DuckDB open, then a few reads: most of its wall time on a 1,000-model store). A usage error still
    # wins over an unreachable warehouse (exit 2 before 3), and the artifacts' errors over the history's.
    with ThreadPoolExecutor(max_workers=2) as pool:
        opening = pool.submit(connect, config)
        # --state loads dbt artifacts, which pauses the garbage collector: kept on this thread, after lineage
        remembering = pool.submit(load_last_good, project, history, None, use_history) if state_dir is None else None
        try:
            artifacts = load_artifacts(project_dir=project, target_path=target_path, include_run_results=False)
            _stage("artifacts", started, nodes=len(artifacts.manifest.nodes))
            gx_root = Path(context_root) if context_root is not None else None
            asked = (node, column, check, args or {}, overrides or {}, gx_root)
            questions = _questions(artifacts.manifest, result, *asked)
            mark = time.perf_counter()
            # Only what the walk can reach: the failing nodes and their ancestors (a 1,000-model project
            # traces one failure without analysing the other chains).
            asked_nodes = [q.node for q in questions if q.node]
            lineage = build_lineage(artifacts, only=asked_nodes or None)
            _stage("lineage", mark, nodes=len(artifacts.manifest.nodes))
            name = artifacts.manifest.metadata.project_name
            if remembering is None:
                memory = load_last_good(project, history, state_dir, use_history, name)
            else:
                memory = of_project(remembering.result(), name)
        except BaseException:
            _close_when_open(opening)
            raise
        conn = opening.result()
    failures: list[Failure] = []
    with conn:
        for question in questions:
            mark = time.perf_counter()
            failures.append(_trace_one(artifacts, lineage, conn, question, rows, as_of, memory))
            _stage("verdict", mark, **_verdict_fields(failures[-1]))
    source = (
        str(result) if isinstance(result, str | Path) else ("validation result" if result is not None else "question")
    )
    from headwater.trace.incidents import incidents

    watching = _expectations_by_node(artifacts.manifest, result, overrides or {}, gx_root) if result is not None else ()
    grouped = incidents(failures, artifacts.manifest, watching)
    notes = (memory.note,) if memory.note else ()
    _stage("trace", started, failures=len(failures), incidents=len(grouped))
    return TraceResult(tuple(failures), config.describe(), time.perf_counter() - started, source, grouped, notes)


def _close_when_open(opening: Future[Any]) -> None:
    with contextlib.suppress(Exception):  # the error being raised already says what went wrong
        opening.result().close()


def _questions(
    manifest: Manifest,
    result: str | Path | Mapping[str, Any] | None,
    node: str | None,
    column: str | None,
    check: str | Check | None,
    args: Mapping[str, str],
    overrides: Mapping[str, str],
    context_root: Path | None = None,
) -> list[TraceQuestion]:
    from headwater.trace.gx_results import failed_expectations, read_validation_result

    if result is not None:
        if isinstance(result, Mapping):
            found = failed_expectations(result, context_root)
            if found is None:
                raise ConfigError("the validation result holds no GX `results`; pass a checkpoint or suite result")
        else:
            found = read_validation_result(Path(result), context_root)
        return [_question(manifest, f, overrides) for f in found]
    if node is None or check is None:
        raise ConfigError("pass a GX validation result file, or --node, --column and --check")
    target = manifest.find_node(node)
    parsed = check if not isinstance(check, str) else check_from_question(check, column or "", dict(args))
    if isinstance(check, str) and not column and parsed.name not in ("row_count", "schema", "untraceable"):
        raise ConfigError(f"--check {check} needs --column; pass the column of {target.name} to check")
    return [TraceQuestion(check if isinstance(check, str) else describe(parsed), target.unique_id, parsed, asked=True)]


def _expectations_by_node(
    manifest: Manifest, result: str | Path | Mapping[str, Any], overrides: Mapping[str, str], context_root: Path | None
) -> tuple[tuple[str, str], ...]:
    """(node, "suite: expectation(column)") of every expectation of the result, passed or failed, whose batch
    maps to a node: the GX side of an incident's blast radius."""
    from headwater.trace.gx_results import expectation_results
    from headwater.trace.mapping import UnmappedBatch, node_for_batch

    try:
        raw = result if isinstance(result, Mapping) else orjson.loads(Path(result).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return ()  # the questions were read from it already: nothing to add
    found: list[tuple[str, str]] = []
    for _, expectation in expectation_results(raw, context_root) or ():
        try:
            dialect = manifest.dialect or "duckdb"
            node = node_for_batch(manifest, expectation.batch, expectation.meta, overrides, dialect)
        except UnmappedBatch:
            continue
        column = expectation.kwargs.get("column") or expectation.kwargs.get("column_list") or ""
        found.append((node.unique_id, f"{expectation.suite}: {expectation.expectation_type}({column})"))
    return tuple(found)


def _question(manifest: Manifest, failed: FailedExpectation, overrides: Mapping[str, str]) -> TraceQuestion:
    """One failed expectation -> a TraceQuestion. A batch that matches no node is not a usage error of the whole
    run: that failure is reported `unknown` with the reason, the others are still traced."""
    from headwater.trace.mapping import UnmappedBatch, node_for_batch

    try:
        node = node_for_batch(manifest, failed.batch, failed.meta, overrides, manifest.dialect or "duckdb").unique_id
        unmapped = ""
    except UnmappedBatch as err:
        node, unmapped = "", str(err)
    return TraceQuestion(
        failed.expectation_type,
        node,
        failed.check,
        failed.suite,
        failed.unexpected_count,
        unmapped=unmapped,
        relation=failed.batch.describe(),
    )


def _trace_one(
    artifacts: Artifacts,
    lineage: LineageGraph,
    conn: Warehouse,
    question: TraceQuestion,
    rows: int,
    as_of: datetime | None,
    memory: Memory | None = None,
) -> Failure:
    from headwater.trace.context import Context
    from headwater.trace.engine import Walk
    from headwater.trace.provenance import provenance

    check = question.check
    if question.unmapped:
        return Failure(
            question.expectation,
            "",
            question.relation,
            ",".join(columns_of(check)),
            describe(check),
            Verdict.UNKNOWN,
            reason=question.unmapped,
            suite=question.suite,
        )
    ctx = Context(artifacts, lineage, conn, as_of)
    node = ctx.node(question.node)
    first_probe = len(conn.probes)
    check = _node_spelling(ctx, node, check)
    column = ",".join(columns_of(check))
    base = Failure(
        question.expectation,
        node.unique_id,
        ctx.label(node),
        column,
        describe(check),
        Verdict.UNKNOWN,
        suite=question.suite,
    )
    if isinstance(check, Untraceable):
        reason = f"{check.expectation_type}: " + (check.reason or "not an expectation headwater can re-run upstream")
        return replace(base, verdict=Verdict.UNTRACEABLE, reason=reason)
    if question.asked:
        _validate_columns(ctx, node, check)
    walk = Walk(ctx)
    outcome = walk.check(node, check, "failure")
    if memory is not None and outcome.failed:
        ctx.good = memory.good_for(check, node.unique_id, outcome)
    if outcome.failed is False:
        return replace(
            base,
            verdict=Verdict.NOT_REPRODUCED,
            path=tuple(walk.path),
            probes=tuple(conn.probes[first_probe:]),
            reason=f"{describe(check)} passes on {ctx.label(node)} now ({outcome.observed})",
        )
    causes = [_because(c, node.name, column, check, outcome) for c in walk.causes(node, check, outcome)]
    ranked = rank(causes, outcome.failing or question.reported_failing)
    known = [c for c in ranked if c.kind != CauseKind.UNKNOWN]
    if known:
        verdict, reason = Verdict.TRACED, ""
    elif ranked:
        verdict, reason = Verdict.UNKNOWN, ranked[0].evidence.detail or ranked[0].summary
    else:
        verdict = Verdict.UNKNOWN
        reason = outcome.error or "no ancestor reproduces the failure and no local mechanism explains it"
    samples = provenance(ctx, node, check, rows) if rows else ()
    events = path_timeline(memory, artifacts, node.unique_id, walk.path, column, ranked)
    return replace(
        base,
        verdict=verdict,
        root_causes=tuple(ranked),
        path=tuple(walk.path),
        probes=tuple(conn.probes[first_probe:]),
        reason=reason,
        rows=samples,
        timeline=events,
    )


def _because(cause: RootCause, node: str, column: str, check: Check, outcome: Outcome) -> RootCause:
    """Say which failure a source-side cause explains: "`dim_customers.email` fails not_null for 69 rows
    because `shop.customers.email` already fails not_null at the source raw.customers (…)"."""
    if cause.kind == CauseKind.TRANSFORMATION or cause.kind == CauseKind.UNKNOWN or not cause.summary:
        return cause
    if isinstance(check, Schema):
        failed = f"`{node}` fails its schema check ({outcome.observed})"
    else:
        failed = f"`{node}.{column}` fails {describe(check)}" + _count(check, outcome.failing)
    return replace(cause, summary=f"{failed} because {cause.summary}")


def _count(check: Check, failing: int | None) -> str:
    """ " for 1,204 rows": what `failing` counts depends on the check (rows, duplicate rows, missing values)."""
    if not failing:
        return ""
    if isinstance(check, Unique):
        return f" ({failing:,} duplicate rows)"
    if isinstance(check, DistinctContains):
        return f" ({failing:,} values missing or unexpected)"
    if failing_predicate(check, exp.column("x")) is None:
        return ""  # table-level checks (freshness, row count, drift…) have no failing rows
    return f" for {failing:,} rows"


def _node_spelling(ctx: Context, node: Node, check: Check) -> Check:
    """The check on the node's own spelling of its columns. A GX result's column is folded to lower case on
    reading (`gx_map`), which is the column where the dialect folds names, but not PostgreSQL's quoted
    `"MixedCase Ünï"` nor DuckDB's `"Ünï"` (DuckDB folds ASCII letters only): a column the node does not
    know by that name is the one it knows by the same name in another case, when there is exactly one (the
    warehouse's columns are read only when the lineage knows none: a column it lacks is a schema question)."""
    if isinstance(check, Schema):
        return check
    wanted = [c for c in columns_of(check) if c]
    known: tuple[str, ...] = ctx.lineage.columns_of(node.unique_id)
    if all(c in known for c in wanted):
        return check
    relation = ctx.relation(node)
    if not known and relation is not None:
        known = tuple(ctx.warehouse.columns(*relation) or ())
    mapping: dict[str, str] = {}
    for column in wanted:
        spelled = list(dict.fromkeys(k for k in known if k.lower() == column.lower()))
        if column not in known and len(spelled) == 1:
            mapping[column] = spelled[0]
    return rename(check, mapping) if mapping else check


def _validate_columns(ctx: Context, node: Node, check: Check) -> None:
    if check.name == "schema":
        return
    known = set(ctx.lineage.columns_of(node.unique_id))
    relation = ctx.relation(node)
    if relation is not None and not set(columns_of(check)) <= known:
        known |= set(ctx.warehouse.columns(*relation) or {})
    for column in columns_of(check):
        if known and column not in known:
            raise ConfigError(f"{node.name} has no column {column!r}.{suggest(column, sorted(known))}")


def rank(causes: list[RootCause], failing: int | None) -> list[RootCause]:
    """Merge duplicates (same node, column, mechanism) and sort by the share of the failure explained."""
    merged: dict[tuple[str, str, str], RootCause] = {}
    for cause in causes:
        key = (cause.node, cause.column, cause.mechanism.value)
        if key in merged:
            merged[key] = replace(merged[key], share=min(1.0, merged[key].share + cause.share))
        else:
            merged[key] = cause
    out = []
    for cause in merged.values():
        # "downstream" is where the expectation failed, whatever node the cause was diagnosed at
        evidence = replace(cause.evidence, failing_downstream=failing) if failing is not None else cause.evidence
        out.append(replace(cause, evidence=evidence, share=round(min(1.0, cause.share), 4)))
    return sorted(out, key=lambda c: (c.kind == CauseKind.UNKNOWN, -c.share))


def _stage(event: str, since: float, **fields: Any) -> None:
    """One stage done: a record on `headwater.trace.api` that headwater.feeds turns into a log line, metrics, a span."""
    seconds = round(time.perf_counter() - since, 6)
    _log.info("%s in %.3f s", event, seconds, extra={"event": event, "seconds": seconds, **fields})


def _verdict_fields(failure: Failure) -> dict[str, Any]:
    top = failure.root_causes[0] if failure.root_causes else None
    return {"expectation": failure.expectation, "node": failure.node, "column": failure.column,
            "verdict": failure.verdict.value, "mechanism": top.mechanism.value if top else None}  # fmt: skip
