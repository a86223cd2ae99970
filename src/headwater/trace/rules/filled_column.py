"""A column that compiles to a bare NULL because a macro fills in a source column that no longer exists
(`fivetran_utils.fill_staging_columns`, `dbt_utils.star` with defaults…): the model's SQL is fine, the
source lost the column. Named a schema change at the source when the source declares the column (YAML) or
had it in the last good state, and its relation lacks it now."""

from __future__ import annotations

from sqlglot import exp

from headwater.dbt import Node
from headwater.trace.checks import NotNull
from headwater.trace.context import Context
from headwater.trace.finding import Finding, Question
from headwater.trace.inputs import defining_scope
from headwater.trace.model import CauseKind, Evidence, Mechanism, RootCause


def filled_column(ctx: Context, question: Question) -> Finding | None:
    node, check, outcome = question.node, question.check, question.outcome
    if not isinstance(check, NotNull) or ctx.is_leaf(node) or "{{" not in (node.raw_code or ""):
        return None
    scope = defining_scope(ctx, node, check.column)
    if scope is None or not _bare_null(scope.output):
        return None
    for source in ctx.parents(node):
        relation = ctx.relation(source)
        if source.resource_type != "source" or relation is None:
            continue
        now = ctx.warehouse.columns(*relation) or {}
        then = ctx.good.columns(source.unique_id) if ctx.good is not None else None
        knew = check.column in source.columns or (then is not None and check.column in then)
        if check.column in now or not knew:
            continue
        return Finding((_gone(ctx, node, source, check.column, outcome.failing, outcome.total,
                              ctx.warehouse.columns_sql(*relation), question.share),))
    return None


def _bare_null(output: exp.Expr) -> bool:
    """NULL, or a cast of NULL: the macro wrote a placeholder, not an expression over a column."""
    while isinstance(output, exp.Cast | exp.TryCast | exp.Paren):
        output = output.this
    return isinstance(output, exp.Null)


def _gone(ctx: Context, node: Node, source: Node, column: str, failing: int | None, total: int | None, sql: str,
          share: float) -> RootCause:
    said = "declares" if column in source.columns else f"had in {ctx.good.origin if ctx.good else 'the good state'}"
    detail = (f"`{node.name}.{column}` compiles to NULL: a macro fills in `{column}`, which {source.display_name} "
              f"{said} and {ctx.label(source)} no longer has")
    return RootCause(CauseKind.SCHEMA, source.unique_id, ctx.label(source), column, Mechanism.SCHEMA_CHANGE, "",
                     source.original_file_path, ctx.yaml_line(source, column),
                     Evidence(failing, failing, total, (), sql, detail), share,
                     f"the source column `{source.display_name}.{column}` is gone from {ctx.label(source)}; "
                     f"the macro in {node.original_file_path} fills it with NULL in `{node.name}`",
                     decided_by="" if column in source.columns else "schema: catalog of the last good state")
