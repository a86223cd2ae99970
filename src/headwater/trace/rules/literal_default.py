"""A failing value that is a literal of the column's own SQL — a COALESCE fallback, a CASE branch — is
caused by that expression, not by whatever selects the branch (a join that misses, a NULL input): the
value would not fail had the expression not produced it. One instrumented scan counts the failing rows
holding each such literal. When the history says the model's code is unchanged since the last good state,
the literal is old news and the rule stands aside (the input that now selects it is what changed).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headwater.trace import causes as cause
from headwater.trace.checks import Check, value_fails
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.inputs import row_scope
from headwater.trace.instrument import OUT, ROWS, ref, with_rows
from headwater.trace.measures import count_if, failing_predicate
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause

MOST = 0.5  # the literals must hold at least this share of the failing rows


def literal_default(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    scope = row_scope(ctx, node, check)
    if scope is None:
        return None
    if (
        ctx.good is not None
        and not ctx.good.code_changed(node.unique_id, node.compiled_code)
        and ctx.good.node(node.unique_id) is not None
    ):
        return None
    literals = [lit for lit in fallback_literals(scope.output) if _fails(check, lit)]
    if not literals:
        return None
    predicate = failing_predicate(check, ref(OUT))
    if predicate is None:
        return None
    holds = exp.or_(*[_is(ref(OUT), lit) for lit in literals])
    measures = [
        exp.alias_(count_if(exp.paren(predicate.copy())), "hw_failing", quoted=True),
        exp.alias_(count_if(exp.and_(exp.paren(predicate.copy()), exp.paren(holds))), "hw_literal", quoted=True),
    ]
    query = with_rows(scope, {OUT: scope.output}, exp.select(*measures).from_(ROWS))
    result = ctx.warehouse.query(
        query, purpose=f"failing rows holding a literal of {ctx.label(node)}", relation=ctx.label(node)
    )
    row = result.first()
    failing, held = int(row.get("hw_failing") or 0), int(row.get("hw_literal") or 0)
    if not failing or held < MOST * failing:
        return None
    shown = ", ".join(lit.sql(dialect=ctx.dialect) for lit in literals)
    text = scope.output.sql(dialect=ctx.dialect)
    file, line = ctx.where_expression(node, literals[0], literals[0].sql(dialect=ctx.dialect))
    where = f"{file}:{line}" if line else file
    evidence = Evidence(
        outcome.failing,
        held,
        failing,
        (),
        result.probe.sql,
        f"{held:,} of {failing:,} failing rows hold {shown}, a value the expression itself writes",
    )
    summary = (
        f"`{node.name}.{scope.column}` gets {shown} from its own expression at {where} for {held:,} rows, "
        f"and {shown} fails {cause.bad_word(check).removeprefix('failing ')}"
    )
    found = RootCause(
        CauseKind.TRANSFORMATION,
        node.unique_id,
        ctx.label(node),
        scope.column,
        Mechanism.EXPRESSION,
        text,
        file,
        line,
        evidence,
        question.share * held / failing,
        summary,
    )
    return Finding((found,), final=held == failing)


def fallback_literals(output: exp.Expr) -> list[exp.Expr]:
    """Literals (NULL included) the expression can return as they are: COALESCE / IFNULL fallbacks, CASE
    THEN and ELSE values, IF branches; not the literals its conditions compare with.

    >>> import sqlglot
    >>> e = sqlglot.parse_one("coalesce(m, case when t > 5 then 'big' else 'small' end, 'none')")
    >>> [x.sql() for x in fallback_literals(e)]
    ["'big'", "'small'", "'none'"]
    """
    found: list[exp.Expr] = []

    def visit(node: exp.Expr) -> None:
        if isinstance(node, exp.Literal | exp.Null):
            found.append(node)
        elif isinstance(node, exp.Paren | exp.Cast):
            visit(node.this)
        elif isinstance(node, exp.Coalesce):
            for part in (node.this, *node.expressions):
                visit(part)
        elif isinstance(node, exp.Case):
            for branch in node.args.get("ifs") or ():
                visit(branch.args["true"])
            if node.args.get("default") is not None:
                visit(node.args["default"])
        elif isinstance(node, exp.If):
            visit(node.args["true"])
            if node.args.get("false") is not None:
                visit(node.args["false"])

    visit(output)
    return found


def _value(literal: exp.Expr) -> Any:
    if isinstance(literal, exp.Null):
        return None
    assert isinstance(literal, exp.Literal)
    return literal.this if literal.is_string else float(literal.this)


def _fails(check: Check, literal: exp.Expr) -> bool:
    """Whether a row holding this literal fails the check."""
    return bool(value_fails(check, _value(literal)))


def _is(column: exp.Expr, literal: exp.Expr) -> exp.Expr:
    if isinstance(literal, exp.Null):
        return exp.Is(this=column.copy(), expression=exp.Null())
    return exp.EQ(this=column.copy(), expression=literal.copy())
