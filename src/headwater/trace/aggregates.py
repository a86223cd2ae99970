"""The input rows behind failing groups: a grouped SELECT is re-run twice in one query, once grouped (which
groups fail the check) and once ungrouped (the input rows of those groups), joined on the group keys, so the
NULLs among the inputs of the failing groups are counted (`coalesce(sum(x), 0) >= 1` fails where every `x` of
the group is NULL)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.eliminate_ctes import eliminate_ctes

from headwater.trace.checks import Check
from headwater.trace.instrument import OUT, input_alias
from headwater.trace.measures import failing_predicate
from headwater.trace.scope import Scope
from headwater.warehouse import Warehouse

ROWS, GROUPS = "hw_rows", "hw_groups"


@dataclass(frozen=True)
class GroupInputs:
    groups: int  # failing groups
    rows: int  # their input rows
    nulls: dict[int, int]  # per input of the output expression: NULL among those rows
    sql: str


def group_keys(select: exp.Select) -> list[exp.Expr] | None:
    """The GROUP BY expressions, positions (`group by 1, 2`) and projection aliases resolved."""
    group = select.args.get("group")
    if group is None or not group.expressions:
        return None
    projections = {p.alias_or_name.lower(): p.unalias() for p in select.expressions if isinstance(p, exp.Alias)}
    keys: list[exp.Expr] = []
    for key in group.expressions:
        if isinstance(key, exp.Literal) and key.is_int:
            position = int(key.this)
            if not 0 < position <= len(select.expressions):
                return None
            chosen = select.expressions[position - 1]
            keys.append(chosen.unalias() if isinstance(chosen, exp.Alias) else chosen)
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in projections:
            keys.append(projections[key.name.lower()])
        else:
            keys.append(key)
    return keys


def null_inputs_of_failing_groups(warehouse: Warehouse, scope: Scope, check: Check, label: str) -> GroupInputs | None:
    predicate = failing_predicate(check, exp.column(OUT, table=GROUPS, quoted=True))
    keys = group_keys(scope.select)
    if predicate is None or keys is None:
        return None
    inputs = scope.inputs()
    rows = scope.select.copy()
    rows.set(
        "expressions",
        [exp.alias_(k.copy(), f"hw_g_{i}", quoted=True) for i, k in enumerate(keys)]
        + [exp.alias_(c.copy(), input_alias(i), quoted=True) for i, c in enumerate(inputs)],
    )
    groups = scope.select.copy()
    groups.set(
        "expressions",
        [exp.alias_(k.copy(), f"hw_g_{i}", quoted=True) for i, k in enumerate(keys)]
        + [exp.alias_(scope.output.copy(), OUT, quoted=True)],
    )
    for select in (rows, groups):
        for arg in ("order", "limit", "offset", "with_", "qualify"):
            select.set(arg, None)
    rows.set("group", None)
    rows.set("having", None)
    joined = exp.and_(
        *[
            exp.NullSafeEQ(
                this=exp.column(f"hw_g_{i}", table=ROWS, quoted=True),
                expression=exp.column(f"hw_g_{i}", table=GROUPS, quoted=True),
            )
            for i in range(len(keys))
        ]
    )
    measures: list[exp.Expr] = [
        exp.alias_(
            exp.Count(
                this=exp.Distinct(
                    expressions=[
                        exp.Tuple(
                            expressions=[exp.column(f"hw_g_{i}", table=GROUPS, quoted=True) for i in range(len(keys))]
                        )
                    ]
                )
            ),
            "hw_groups",
            quoted=True,
        ),
        exp.alias_(exp.Count(this=exp.Star()), "hw_n", quoted=True),
    ]
    for i in range(len(inputs)):
        null = exp.Is(this=exp.column(input_alias(i), table=ROWS, quoted=True), expression=exp.Null())
        measures.append(
            exp.alias_(
                exp.func("sum", exp.case().when(null, exp.Literal.number(1)).else_(exp.Literal.number(0))),
                f"hw_null_{i}",
                quoted=True,
            )
        )
    outer = (
        exp.select(*measures)
        .from_(exp.to_table(ROWS, quoted=True))
        .join(exp.to_table(GROUPS, quoted=True), on=joined)
        .where(predicate)
    )
    ctes = list(scope.with_.expressions) if scope.with_ is not None else []
    ctes = [c.copy() for c in ctes]
    ctes += [
        exp.CTE(this=rows, alias=exp.TableAlias(this=exp.to_identifier(ROWS, quoted=True))),
        exp.CTE(this=groups, alias=exp.TableAlias(this=exp.to_identifier(GROUPS, quoted=True))),
    ]
    outer.set("with_", exp.With(expressions=ctes))
    result = warehouse.query(eliminate_ctes(outer), purpose=f"inputs of failing groups in {label}", relation=label)
    row = result.first()
    return GroupInputs(
        int(row.get("hw_groups") or 0),
        int(row.get("hw_n") or 0),
        {i: int(row.get(f"hw_null_{i}") or 0) for i in range(len(inputs))},
        result.probe.sql,
    )
