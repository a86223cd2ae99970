"""A column that compiles to a bare NULL because a macro fills in a source column that no longer exists
(`fivetran_utils.fill_staging_columns`, `dbt_utils.star` with defaults…): the model's SQL is fine, the
source lost the column. Named a schema change at the source when the source declares the column (YAML) or
had it in the last good state, and its relation lacks it now; when the macro reads a model (a `select *` of
the source), that model is asked where the column went (a one-column schema question)."""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.trace.checks import NotNull, Schema
from headwater.trace.context import Context
from headwater.trace.finding import Ascend, Finding, Question
from headwater.trace.inputs import defining_scope
from headwater.trace.measures import Outcome
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause
from headwater.trace.scope import Scope


def filled_column(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, NotNull) or ctx.is_leaf(node) or "{{" not in (node.raw_code or ""):
        return None
    scope = defining_scope(ctx, node, check.column)
    filled = _filled_name(scope) if scope is not None else None
    if filled is None:
        return None
    ascend: list[Ascend] = []
    for parent in ctx.parents(node):
        relation = ctx.relation(parent)
        if relation is None:
            continue
        now = ctx.warehouse.columns(*relation) or {}
        if filled in now:
            continue
        if parent.resource_type != "source":
            # the model the macro reads (a `select *` of the source, say) lacks the column: ask where it went
            gone = Outcome(Schema((filled,)), True, 1, None, f"missing {filled}", ctx.warehouse.columns_sql(*relation))
            ascend.append(Ascend(parent, Schema((filled,)), gone, question.share, "filled with NULL"))
            continue
        then = ctx.good.columns(parent.unique_id) if ctx.good is not None else None
        if filled in parent.columns or (then is not None and filled in then):
            sql = ctx.warehouse.columns_sql(*relation)
            return Finding((_gone(ctx, node, parent, filled, outcome.failing, outcome.total, sql, question.share),))
    return Finding(ascend=tuple(ascend)) if ascend else None


def _filled_name(scope: Scope) -> str | None:
    """The name under which the column is a bare NULL, following plain column references back through the
    model's CTEs (`final` selects `name as task_name` from `fields`, where `cast(null as text) as name`)."""
    output: exp.Expr = scope.output
    select = scope.select
    for _ in range(20):
        if _bare_null(output):
            return _name_of(select, output)
        if not isinstance(output, exp.Column):
            return None
        from_ = select.args.get("from_")
        table = output.table or (from_.this.name if from_ is not None and isinstance(from_.this, exp.Table) else "")
        cte = next(
            (
                c.this
                for c in (scope.with_.expressions if scope.with_ else ())
                if c.alias_or_name.lower() == table.lower() and isinstance(c.this, exp.Select)
            ),
            None,
        )
        if cte is None:
            return None
        found = next((p for p in cte.expressions if p.alias_or_name.lower() == output.name.lower()), None)
        if found is None:
            return None
        select, output = cte, found.unalias() if isinstance(found, exp.Alias) else found
    return None


def _name_of(select: exp.Select, output: exp.Expr) -> str | None:
    for projection in select.expressions:
        inner = projection.unalias() if isinstance(projection, exp.Alias) else projection
        if inner is output or inner == output:
            return str(projection.alias_or_name).lower()
    return None


def _bare_null(output: exp.Expr) -> bool:
    """NULL, or a cast of NULL: the macro wrote a placeholder, not an expression over a column."""
    while isinstance(output, exp.Cast | exp.TryCast | exp.Paren):
        output = output.this
    return isinstance(output, exp.Null)


def _gone(
    ctx: Context, node: Node, source: Node, column: str, failing: int | None, total: int | None, sql: str, share: float
) -> RootCause:
    said = "declares" if column in source.columns else f"had in {ctx.good.origin if ctx.good else 'the good state'}"
    detail = (
        f"`{node.name}.{column}` compiles to NULL: a macro fills in `{column}`, which {source.display_name} "
        f"{said} and {ctx.label(source)} no longer has"
    )
    return RootCause(
        CauseKind.SCHEMA,
        source.unique_id,
        ctx.label(source),
        column,
        Mechanism.SCHEMA_CHANGE,
        "",
        source.original_file_path,
        ctx.yaml_line(source, column),
        Evidence(failing, failing, total, (), sql, detail),
        share,
        f"the source column `{source.display_name}.{column}` is gone from {ctx.label(source)}; "
        f"the macro in {node.original_file_path} fills it with NULL in `{node.name}`",
        decided_by="" if column in source.columns else "schema: catalog of the last good state",
    )
