"""What changed in the SQL that defines one column between two compiled versions of a model: its select
expression, a join (side or condition), a WHERE conjunct, the GROUP BY. Pure sqlglot, no warehouse."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from headwater.trace.scope import Scope, locate


@dataclass(frozen=True)
class Difference:
    part: str  # "expression", "join", "filter", "group"
    before: str  # SQL text then ("" when the part is new)
    after: str  # SQL text now ("" when the part is gone)
    node: exp.Expr | None  # the part in the current tree, to say where it is written


def _text(expression: exp.Expr | None, dialect: str) -> str:
    return expression.sql(dialect=dialect) if expression is not None else ""


def _joins(scope: Scope, dialect: str) -> list[tuple[str, exp.Expr | None]]:
    return [(f"{j.side.upper()} JOIN {j.alias} ON {_text(j.on, dialect)}", j.on) for j in scope.joins]


def _filters(scope: Scope, dialect: str) -> list[tuple[str, exp.Expr | None]]:
    """WHERE conjuncts of the defining SELECT and of the CTEs it reads (a filter before a join counts)."""
    found: list[tuple[str, exp.Expr | None]] = [(_text(f, dialect), f) for f in scope.filters]
    if scope.with_ is not None:
        for cte in scope.with_.expressions:
            where = cte.this.args.get("where") if isinstance(cte.this, exp.Select) else None
            if where is not None:
                found.append((f"{cte.alias_or_name}: {_text(where.this, dialect)}", where.this))
    return found


def scope_difference(before_sql: str, after_sql: str, dialect: str, column: str) -> Difference | None:
    """The first part of `column`'s defining SELECT that differs (expression, joins, filters, group by)."""
    after = locate(after_sql, dialect, column)
    if after is None:
        return None
    before = locate(before_sql, dialect, column)
    if before is None:
        return Difference("expression", "", _text(after.output, dialect), after.output)
    if _text(before.output, dialect) != _text(after.output, dialect):
        return Difference("expression", _text(before.output, dialect), _text(after.output, dialect), after.output)
    for part, old, new in (
        ("join", _joins(before, dialect), _joins(after, dialect)),
        ("filter", _filters(before, dialect), _filters(after, dialect)),
    ):
        old_texts = {t for t, _ in old}
        added = [(t, e) for t, e in new if t not in old_texts]
        if added:
            gone = [t for t, _ in old if t not in {t for t, _ in new}]
            return Difference(part, gone[0] if gone else "", added[0][0], added[0][1])
        if len(old) > len(new):
            gone = [t for t, _ in old if t not in {t for t, _ in new}]
            return Difference(part, gone[0], "", None)
    group_before = _text(before.select.args.get("group"), dialect)
    group_after = _text(after.select.args.get("group"), dialect)
    if group_before != group_after:
        return Difference("group", group_before, group_after, after.select.args.get("group"))
    return None
