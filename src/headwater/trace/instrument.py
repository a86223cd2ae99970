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

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.eliminate_ctes import eliminate_ctes

from headwater.trace.checks import Check, NotNull
from headwater.trace.measures import failing_predicate
from headwater.trace.scope import JoinInfo, Scope
from headwater.warehouse import Warehouse

ROWS = "hw_rows"


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
    samples: tuple[dict[str, Any], ...] = ()  # the smallest and the largest failing values
    sql: str = ""


def _q(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _count_if(condition: exp.Expr) -> exp.Expr:
    return exp.func("sum", exp.case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0)))


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
    return eliminate_ctes(outer)  # type: ignore[no-any-return]


def classify(
    warehouse: Warehouse,
    scope: Scope,
    check: Check,
    translatable: list[bool],
    label: str,
    sample_columns: dict[str, exp.Expr] | None = None,
) -> Classified | None:
    """Classify the failing rows of `check` on the scope's output. None for a check with no row predicate."""
    predicate = failing_predicate(check, _q("hw_out"))
    if predicate is None:
        return None
    inputs = scope.inputs()
    joins = relevant_joins(scope)
    projections: dict[str, exp.Expr] = {"hw_out": scope.output}
    for i, column in enumerate(inputs):
        projections[f"hw_in_{i}"] = column
    for join in joins:
        for k, (driving, joined) in enumerate(join.pairs):
            projections[f"hw_jd_{join.index}_{k}"] = driving
            projections[f"hw_jj_{join.index}_{k}"] = joined
    for name, expression in (sample_columns or {}).items():
        projections.setdefault(f"hw_key_{name}", expression)

    # One pass over the instrumented rows: every measure is conditioned on the failing predicate, so passing
    # rows are counted in the same scan (no second reading of the model's joins).
    failing = exp.paren(predicate.copy())

    def among_failing(condition: exp.Expr) -> exp.Expr:
        return exp.and_(failing.copy(), exp.paren(condition))

    def failing_value(name: str) -> exp.Expr:
        return exp.case().when(failing.copy(), _q(name)).else_(exp.Null())

    passing_rows = exp.or_(exp.not_(failing.copy()), _is_null(failing.copy()))
    measures: list[exp.Expr] = [
        exp.alias_(_count_if(failing.copy()), "hw_failing", quoted=True),
        exp.alias_(_count_if(passing_rows.copy()), "hw_passing", quoted=True),
    ]
    all_inputs_present = exp.and_(*[_not_null(_q(f"hw_in_{i}")) for i in range(len(inputs))]) if inputs else None
    # A row whose joined side is missing is the join's doing, not its input's: count it once, there.
    misses = [_miss_condition(join) for join in joins]
    matched = exp.not_(exp.or_(*[m.copy() for m in misses])) if misses else None
    for i in range(len(inputs)):
        value = _q(f"hw_in_{i}")
        if isinstance(check, NotNull) or not translatable[i]:
            bad = _is_null(value.copy()) if isinstance(check, NotNull) else None
        else:
            bad = failing_predicate(check, value.copy())
        if bad is not None:
            bad = exp.and_(bad, matched.copy()) if matched is not None else bad
            measures.append(exp.alias_(_count_if(among_failing(bad)), f"hw_bad_{i}", quoted=True))
        if not isinstance(check, NotNull) and not translatable[i]:
            # Through an expression: the passing rows' range of this input, for `derived_input_check`.
            passing_value = exp.case().when(passing_rows.copy(), value.copy()).else_(exp.Null())
            measures.append(exp.alias_(exp.func("min", passing_value), f"hw_plo__{i}", quoted=True))
            measures.append(exp.alias_(exp.func("max", passing_value.copy()), f"hw_phi__{i}", quoted=True))
    for join in joins:
        miss = among_failing(_miss_condition(join))
        measures.append(exp.alias_(_count_if(miss), f"hw_miss_{join.index}", quoted=True))
        first_key = _q(f"hw_jd_{join.index}_0")
        keys = exp.Count(this=exp.Distinct(expressions=[exp.case().when(miss.copy(), first_key).else_(exp.Null())]))
        measures.append(exp.alias_(keys, f"hw_misskeys_{join.index}", quoted=True))
    if isinstance(check, NotNull) and all_inputs_present is not None:
        measures.append(exp.alias_(_count_if(among_failing(all_inputs_present)), "hw_nulled", quoted=True))
    # Samples ride along in the same scan: the smallest and largest value of each input, key and unmatched
    # join key among the failing rows (a LIMIT query would scan the model's joins a second time).
    sampled = [name for name in projections if name.startswith(("hw_in_", "hw_key_"))]
    for name in sampled:
        measures.append(exp.alias_(exp.func("min", failing_value(name)), f"hw_lo__{name}", quoted=True))
        measures.append(exp.alias_(exp.func("max", failing_value(name)), f"hw_hi__{name}", quoted=True))
    for join in joins:
        unmatched = exp.case().when(among_failing(_miss_condition(join)), _q(f"hw_jd_{join.index}_0")).else_(exp.Null())
        measures.append(exp.alias_(exp.func("min", unmatched), f"hw_mlo_{join.index}", quoted=True))
        measures.append(exp.alias_(exp.func("max", unmatched.copy()), f"hw_mhi_{join.index}", quoted=True))
    outer = exp.select(*measures).from_(ROWS)
    query = with_rows(scope, projections, outer)
    result = warehouse.query(query, purpose=f"instrumented {label}", relation=label)
    row = result.first()

    def ints(prefix: str) -> dict[int, int]:
        return {int(k[len(prefix):]): int(v or 0) for k, v in row.items() if k.startswith(prefix) and k[len(prefix):].isdigit()}

    samples = tuple({name: row.get(f"hw_{end}__{name}") for name in sampled} for end in ("lo", "hi"))
    miss_keys = {
        join.index: tuple(dict.fromkeys(str(row[f"hw_{end}_{join.index}"]) for end in ("mlo", "mhi") if row.get(f"hw_{end}_{join.index}") is not None))
        for join in joins
    }
    return Classified(
        failing=int(row.get("hw_failing") or 0),
        passing=int(row.get("hw_passing") or 0),
        input_bad=ints("hw_bad_"),
        passing_range={i: (row[f"hw_plo__{i}"], row[f"hw_phi__{i}"]) for i in range(len(inputs)) if f"hw_plo__{i}" in row},
        join_miss=ints("hw_miss_"),
        join_miss_keys=ints("hw_misskeys_"),
        join_miss_samples=miss_keys,
        nulled=int(row.get("hw_nulled") or 0),
        samples=samples,
        sql=result.probe.sql,
    )


def _miss_condition(join: JoinInfo) -> exp.Expr:
    """The joined side has no match: all its keys NULL while the driving side's keys are not."""
    joined_null = exp.and_(*[_is_null(_q(f"hw_jj_{join.index}_{k}")) for k in range(len(join.pairs))])
    driving_set = exp.and_(*[_not_null(_q(f"hw_jd_{join.index}_{k}")) for k in range(len(join.pairs))])
    if join.side == "right":
        joined_null, driving_set = (
            exp.and_(*[_is_null(_q(f"hw_jd_{join.index}_{k}")) for k in range(len(join.pairs))]),
            exp.and_(*[_not_null(_q(f"hw_jj_{join.index}_{k}")) for k in range(len(join.pairs))]),
        )
    return exp.and_(joined_null, driving_set)
