"""Run a model's own compiled SQL, instrumented, to decide who made failing rows bad.

The defining SELECT of the failing column is re-run with its FROM, JOINs and WHERE intact, projecting the
output expression, the input columns it reads and the join keys of both sides. Failing output rows are then
classified in SQL:

- `input_bad[i]`: input i already fails (NULL for not_null; the same predicate through passthrough/cast;
  a value never seen in passing rows through any other expression) -> go further up;
- `join_miss[j]`: the joined side of outer join j found no match -> the join is the cause;
- `nulled`: the output is NULL although every input is not (a cast or an expression nulls it out);
- the rest: the expression itself produced the bad value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.eliminate_ctes import eliminate_ctes

from headwater.trace.checks import Check, NotNull
from headwater.trace.measures import count_if, failing_predicate
from headwater.trace.scope import JoinInfo, Scope
from headwater.warehouse import Warehouse

ROWS = "hw_rows"  # the CTE of the instrumented defining SELECT
OUT = "hw_out"  # its output expression

# The instrumented SELECT's column aliases are made and read here only (rules ask through these functions).


def input_alias(i: int) -> str:
    """The i-th input column of the output expression (`Scope.inputs()[i]`)."""
    return f"hw_in_{i}"


def filter_alias(i: int) -> str:
    """The i-th WHERE conjunct, as a boolean column."""
    return f"hw_f_{i}"


def key_alias(name: str) -> str:
    """A key column of the model, carried along for sample keys."""
    return f"hw_key_{name}"


def _join_alias(side: str, join: int, k: int) -> str:
    return f"hw_j{side}_{join}_{k}"


def ref(alias: str) -> exp.Column:
    """A quoted reference to an alias of the instrumented rows."""
    return exp.column(exp.to_identifier(alias, quoted=True))


@dataclass(frozen=True)
class Classified:
    failing: int
    passing: int
    input_bad: dict[int, int] = field(default_factory=dict)
    passing_range: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # inputs through an expression
    join_miss: dict[int, int] = field(default_factory=dict)
    join_miss_keys: dict[int, int] = field(default_factory=dict)
    nulled: int = 0
    join_miss_samples: dict[int, tuple[str, ...]] = field(default_factory=dict)
    input_samples: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # smallest, largest failing input
    key_samples: tuple[str, ...] = ()  # `key=value` of the failing rows with the smallest and largest key
    sql: str = ""

    def sample_of(self, i: int) -> Any:
        """A failing row's value of input i (None when every failing row has it NULL)."""
        return next((v for v in self.input_samples.get(i, ()) if v is not None), None)


_q = ref


def _is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e, expression=exp.Null())


def _not_null(e: exp.Expr) -> exp.Expr:
    return exp.not_(_is_null(e))


def relevant_joins(scope: Scope) -> list[JoinInfo]:
    """Joins whose joined side feeds the output, directly or through the key of a later join."""
    tables = {c.table.lower() for c in scope.inputs() if c.table}
    if not tables and scope.joins:
        return []
    relevant: list[JoinInfo] = []
    for join in reversed(scope.joins):
        if join.alias.lower() in tables and join.is_outer and join.pairs:
            relevant.append(join)
            tables |= {c.table.lower() for d, _ in join.pairs for c in d.find_all(exp.Column) if c.table}
    return list(reversed(relevant))


def with_rows(scope: Scope, projections: dict[str, exp.Expr], outer: exp.Select, keep_where: bool = True) -> exp.Select:
    """`outer` (which reads FROM hw_rows) with the instrumented defining SELECT attached as a CTE."""
    inner = scope.with_projections(projections, keep_where=keep_where)
    ctes = list(inner.args["with_"].expressions) if inner.args.get("with_") else []
    inner.set("with_", None)
    ctes.append(exp.CTE(this=inner, alias=exp.TableAlias(this=exp.to_identifier(ROWS, quoted=True))))
    outer.set("with_", exp.With(expressions=ctes))
    return eliminate_ctes(outer)


def classify(
    warehouse: Warehouse,
    scope: Scope,
    check: Check,
    translatable: list[bool],
    label: str,
    sample_columns: dict[str, exp.Expr] | None = None,
) -> Classified | None:
    """Classify the failing rows of `check` on the scope's output. None for a check with no row predicate."""
    predicate = failing_predicate(check, _q(OUT))
    if predicate is None:
        return None
    inputs = scope.inputs()
    joins = relevant_joins(scope)
    projections: dict[str, exp.Expr] = {OUT: scope.output}
    for i, column in enumerate(inputs):
        projections[input_alias(i)] = column
    for join in joins:
        for k, (driving, joined) in enumerate(join.pairs):
            projections[_join_alias("d", join.index, k)] = driving
            projections[_join_alias("j", join.index, k)] = joined
    key_names = {key_alias(name): name for name in sample_columns or {}}
    for name, expression in (sample_columns or {}).items():
        projections.setdefault(key_alias(name), expression)

    # One pass over the instrumented rows: every measure is conditioned on the failing predicate, so passing
    # rows are counted in the same scan (no second reading of the model's joins).
    failing = exp.paren(predicate.copy())

    def among_failing(condition: exp.Expr) -> exp.Expr:
        return exp.and_(failing.copy(), exp.paren(condition))

    def failing_value(name: str) -> exp.Expr:
        return exp.case().when(failing.copy(), _q(name)).else_(exp.Null())

    passing_rows = exp.or_(exp.not_(failing.copy()), _is_null(failing.copy()))
    measures: list[exp.Expr] = [
        exp.alias_(count_if(failing.copy()), "hw_failing", quoted=True),
        exp.alias_(count_if(passing_rows.copy()), "hw_passing", quoted=True),
    ]
    all_inputs_present = exp.and_(*[_not_null(_q(input_alias(i))) for i in range(len(inputs))]) if inputs else None
    # A row whose joined side is missing is the join's doing, not its input's: count it once, there.
    misses = [_miss_condition(join) for join in joins]
    matched = exp.not_(exp.or_(*[m.copy() for m in misses])) if misses else None
    for i in range(len(inputs)):
        value = _q(input_alias(i))
        if isinstance(check, NotNull) or not translatable[i]:
            bad = _is_null(value.copy()) if isinstance(check, NotNull) else None
        else:
            bad = failing_predicate(check, value.copy())
        if bad is not None:
            bad = exp.and_(bad, matched.copy()) if matched is not None else bad
            measures.append(exp.alias_(count_if(among_failing(bad)), f"hw_bad_{i}", quoted=True))
        if not isinstance(check, NotNull) and not translatable[i]:
            # Through an expression: the passing rows' range of this input, for `derived_input_check`.
            passing_value = exp.case().when(passing_rows.copy(), value.copy()).else_(exp.Null())
            measures.append(exp.alias_(exp.func("min", passing_value), f"hw_plo__{i}", quoted=True))
            measures.append(exp.alias_(exp.func("max", passing_value.copy()), f"hw_phi__{i}", quoted=True))
    for join in joins:
        miss = among_failing(_miss_condition(join))
        measures.append(exp.alias_(count_if(miss), f"hw_miss_{join.index}", quoted=True))
        first_key = _q(_join_alias("d", join.index, 0))
        keys = exp.Count(this=exp.Distinct(expressions=[exp.case().when(miss.copy(), first_key).else_(exp.Null())]))
        measures.append(exp.alias_(keys, f"hw_misskeys_{join.index}", quoted=True))
    if isinstance(check, NotNull) and all_inputs_present is not None:
        measures.append(exp.alias_(count_if(among_failing(all_inputs_present)), "hw_nulled", quoted=True))
    # Samples ride along in the same scan: the smallest and largest value of each input, key and unmatched
    # join key among the failing rows (a LIMIT query would scan the model's joins a second time).
    sampled = [*(input_alias(i) for i in range(len(inputs))), *(k for k in key_names if k in projections)]
    for name in sampled:
        measures.append(exp.alias_(exp.func("min", failing_value(name)), f"hw_lo__{name}", quoted=True))
        measures.append(exp.alias_(exp.func("max", failing_value(name)), f"hw_hi__{name}", quoted=True))
    for join in joins:
        first = _q(_join_alias("d", join.index, 0))
        unmatched = exp.case().when(among_failing(_miss_condition(join)), first).else_(exp.Null())
        measures.append(exp.alias_(exp.func("min", unmatched), f"hw_mlo_{join.index}", quoted=True))
        measures.append(exp.alias_(exp.func("max", unmatched.copy()), f"hw_mhi_{join.index}", quoted=True))
    outer = exp.select(*measures).from_(ROWS)
    query = with_rows(scope, projections, outer)
    result = warehouse.query(query, purpose=f"instrumented {label}", relation=label)
    row = result.first()

    def ints(prefix: str) -> dict[int, int]:
        return {
            int(k[len(prefix) :]): int(v or 0)
            for k, v in row.items()
            if k.startswith(prefix) and k[len(prefix) :].isdigit()
        }

    extremes = tuple({name: row.get(f"hw_{end}__{name}") for name in sampled} for end in ("lo", "hi"))
    key_samples = tuple(
        ", ".join(f"{key_names[k]}={v}" for k, v in extreme.items() if k in key_names and v is not None)
        for extreme in extremes
    )
    miss_keys = {
        join.index: tuple(
            dict.fromkeys(
                str(row[f"hw_{end}_{join.index}"])
                for end in ("mlo", "mhi")
                if row.get(f"hw_{end}_{join.index}") is not None
            )
        )
        for join in joins
    }
    return Classified(
        failing=int(row.get("hw_failing") or 0),
        passing=int(row.get("hw_passing") or 0),
        input_bad=ints("hw_bad_"),
        passing_range={
            i: (row[f"hw_plo__{i}"], row[f"hw_phi__{i}"]) for i in range(len(inputs)) if f"hw_plo__{i}" in row
        },
        join_miss=ints("hw_miss_"),
        join_miss_keys=ints("hw_misskeys_"),
        join_miss_samples=miss_keys,
        nulled=int(row.get("hw_nulled") or 0),
        input_samples={i: tuple(e.get(input_alias(i)) for e in extremes) for i in range(len(inputs))},
        key_samples=tuple(k for k in dict.fromkeys(key_samples) if k),
        sql=result.probe.sql,
    )


def _miss_condition(join: JoinInfo) -> exp.Expr:
    """The joined side has no match: all its keys NULL while the driving side's keys are not."""
    missing, present = ("d", "j") if join.side == "right" else ("j", "d")
    side_null = exp.and_(*[_is_null(_q(_join_alias(missing, join.index, k))) for k in range(len(join.pairs))])
    other_set = exp.and_(*[_not_null(_q(_join_alias(present, join.index, k))) for k in range(len(join.pairs))])
    return exp.and_(side_null, other_set)


def outside_passing_range(warehouse: Warehouse, scope: Scope, check: Check, i: int, low: Any, high: Any) -> int:
    """Failing rows whose input i lies outside the range the passing rows' input i spans."""
    predicate = failing_predicate(check, ref(OUT))
    assert predicate is not None
    value = ref(input_alias(i))
    outside = exp.and_(
        exp.paren(predicate),
        exp.or_(
            exp.LT(this=value.copy(), expression=exp.convert(low)),
            exp.GT(this=value.copy(), expression=exp.convert(high)),
        ),
    )
    outer = exp.select(count_if(outside)).from_(ROWS)
    projections = {OUT: scope.output, input_alias(i): scope.inputs()[i]}
    result = warehouse.query(
        with_rows(scope, projections, outer), purpose="inputs outside the passing range", relation=scope.column
    )
    return int(result.rows[0][0] or 0)


def never_passing_values(warehouse: Warehouse, scope: Scope, check: Check, i: int) -> tuple[tuple[Any, ...], int]:
    """The values of input i that only failing rows have (up to 50, most failing first), and how many
    failing rows hold one of them."""
    predicate = failing_predicate(check, ref(OUT))
    assert predicate is not None
    failing = exp.paren(predicate)
    value = ref(input_alias(i))
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    groups = (
        exp.select(
            value.copy(),
            exp.alias_(exp.func("sum", exp.case().when(failing.copy(), one).else_(zero)), "hw_f", quoted=True),
            exp.alias_(exp.func("sum", exp.case().when(failing.copy(), zero).else_(one)), "hw_p", quoted=True),
        )
        .from_(ROWS)
        .where(_not_null(value.copy()))
        .group_by(value.copy())
    )
    outer = (
        exp.select(
            value.copy(),
            ref("hw_f"),
            exp.alias_(exp.Window(this=exp.func("sum", ref("hw_f"))), "hw_total", quoted=True),
        )
        .from_(groups.subquery("hw_groups"))
        .where(exp.and_(ref("hw_p").eq(zero), exp.GT(this=ref("hw_f"), expression=zero)))
        .order_by(exp.Ordered(this=ref("hw_f"), desc=True))
        .limit(50)
    )
    projections = {OUT: scope.output, input_alias(i): scope.inputs()[i]}
    rows = warehouse.query(
        with_rows(scope, projections, outer), purpose="input values never passing", relation=scope.column
    ).rows
    return tuple(r[0] for r in rows), (int(rows[0][2]) if rows else 0)


def _missed_keys(join: JoinInfo) -> tuple[dict[str, exp.Expr], exp.Expr, Callable[[exp.Expr], exp.Expr]]:
    """What the join-miss probes share: the join's keys as projections of the instrumented rows, the miss
    condition over them, and COUNT(DISTINCT driving key) of the rows that meet a condition."""
    projected: dict[str, exp.Expr] = {}
    for k, (driving, joined) in enumerate(join.pairs):
        projected[_join_alias("d", join.index, k)] = driving
        projected[_join_alias("j", join.index, k)] = joined
    key = ref(_join_alias("d", join.index, 0))

    def distinct(condition: exp.Expr) -> exp.Expr:
        return exp.Count(this=exp.Distinct(expressions=[exp.case().when(condition, key.copy()).else_(exp.Null())]))

    return projected, _miss_condition(join), distinct


@dataclass(frozen=True)
class Upstream:
    """Where the rows of a join's joined side come from: a SELECT (a CTE of the model, or the defining SELECT
    of the model it reads) with the WHERE conjuncts that drop rows on the way."""

    select: exp.Select
    with_: exp.With | None
    key: exp.Expr  # the joined key as that SELECT computes it
    conjuncts: tuple[exp.Expr, ...]


@dataclass(frozen=True)
class MissedUpstream:
    missed: int  # distinct driving keys the join misses
    present: int  # of those, present upstream before the WHERE
    dropped: tuple[int, ...]  # of those, dropped by each conjunct
    sql: str


def missed_keys_upstream(
    warehouse: Warehouse, scope: Scope, join: JoinInfo, upstream: Upstream, label: str
) -> MissedUpstream:
    """One scan: the distinct keys a join misses, how many of them the joined side has before its WHERE,
    and how many each WHERE conjunct drops."""
    before = upstream.select.copy()
    before.set("where", None)
    projections = [exp.alias_(upstream.key.copy(), "hw_k", quoted=True)]
    projections += [exp.alias_(c.copy(), filter_alias(i), quoted=True) for i, c in enumerate(upstream.conjuncts)]
    before.set("expressions", projections)
    for arg in ("group", "having", "qualify", "order", "limit", "offset", "distinct"):
        before.set(arg, None)
    if upstream.with_ is not None:
        before.set("with_", upstream.with_.copy())

    def keys(condition: exp.Expr | None) -> exp.Expr:
        query = exp.select(ref("hw_k")).from_(before.copy().subquery("hw_up"))
        return exp.Subquery(this=query.where(condition) if condition is not None else query)

    projected, miss, distinct = _missed_keys(join)
    key = ref(_join_alias("d", join.index, 0))
    measures = [
        exp.alias_(distinct(miss.copy()), "hw_missed", quoted=True),
        exp.alias_(
            distinct(exp.and_(miss.copy(), exp.In(this=key.copy(), query=keys(None)))), "hw_present", quoted=True
        ),
    ]
    for i in range(len(upstream.conjuncts)):
        drops = exp.not_(exp.func("coalesce", ref(filter_alias(i)), exp.false()))
        measures.append(
            exp.alias_(
                distinct(exp.and_(miss.copy(), exp.In(this=key.copy(), query=keys(drops)))), f"hw_drop_{i}", quoted=True
            )
        )
    result = warehouse.query(
        with_rows(scope, projected, exp.select(*measures).from_(ROWS)),
        purpose=f"join misses upstream in {label}",
        relation=label,
    )
    row = result.first()
    dropped = tuple(int(row.get(f"hw_drop_{i}") or 0) for i in range(len(upstream.conjuncts)))
    return MissedUpstream(int(row.get("hw_missed") or 0), int(row.get("hw_present") or 0), dropped, result.probe.sql)


def keys_from_inputs(origin: Upstream, bare: exp.Expr, wanted: exp.Query) -> exp.Select:
    """The key values `origin` computes (its `key` expression, upstream of a join) from the rows whose input
    `bare` is one of `wanted`: what the key would match had the expression left it bare. A subquery for
    `missed_keys_matching`; the origin's own CTEs go inside it, so they shadow nothing of the probe's."""
    rows = origin.select.copy()
    projections = [exp.alias_(origin.key.copy(), "hw_k", quoted=True), exp.alias_(bare.copy(), "hw_in", quoted=True)]
    rows.set("expressions", projections)
    for arg in ("group", "having", "qualify", "order", "limit", "offset", "distinct"):
        rows.set(arg, None)
    rows.set("with_", origin.with_.copy() if origin.with_ is not None else None)
    matching = exp.In(this=ref("hw_in"), query=exp.Subquery(this=wanted))
    return exp.select(ref("hw_k")).from_(rows.subquery("hw_up")).where(matching)


def missed_keys_matching(
    warehouse: Warehouse, scope: Scope, join: JoinInfo, candidate: exp.Expr, keys: exp.Query, label: str
) -> tuple[int, int, str]:
    """One scan: the distinct keys a join misses, and how many of them would match if the driving side
    compared `candidate` (an expression of the model's row, e.g. the bare column under `lower(...)`) with
    `keys` (the joined side's key values). Returns (missed, matching, sql)."""
    projected, miss, distinct = _missed_keys(join)
    projected["hw_candidate"] = candidate

    matches = exp.In(this=ref("hw_candidate"), query=exp.Subquery(this=keys))
    measures = [
        exp.alias_(distinct(miss.copy()), "hw_missed", quoted=True),
        exp.alias_(distinct(exp.and_(miss.copy(), matches)), "hw_matching", quoted=True),
    ]
    result = warehouse.query(
        with_rows(scope, projected, exp.select(*measures).from_(ROWS)),
        purpose=f"join misses by key expression in {label}",
        relation=label,
    )
    row = result.first()
    return int(row.get("hw_missed") or 0), int(row.get("hw_matching") or 0), result.probe.sql
