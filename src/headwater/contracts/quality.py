"""Data rules evaluated in the warehouse: ODCS library metrics plus required / unique / primaryKey.

All count-style rules of one table become one aggregate SELECT (one scan); duplicates and custom SQL
rules are one query each. Queries go through `headwater.warehouse` (read-only, guarded, recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from headwater.contracts.model import (
    ActualTable,
    ContractChange,
    NullableWhereRequired,
    QualityFailed,
    QualityRule,
    TableContract,
    Unevaluated,
    UniquenessLost,
)
from headwater.errors import WarehouseError

if TYPE_CHECKING:
    from headwater.warehouse import Warehouse

# Rules made from column flags rather than written as quality rules: failures get their own category.
REQUIRED = "required"
UNIQUE = "unique"
PRIMARY_KEY = "primaryKey"


def implicit_rules(contract: TableContract, actual: ActualTable) -> tuple[QualityRule, ...]:
    """`required` → no NULLs (skipped when the warehouse already declares the column NOT NULL);
    `unique` / `primaryKey` → no duplicates."""
    rules = []
    for spec in contract.columns:
        found = actual.column(spec.name)
        if found is None:
            continue
        required = spec.required or spec.primary_key or "not_null" in spec.constraints
        if required and found.nullable is not False:
            rules.append(QualityRule("nullValues", "mustBe", 0, found.name, name=REQUIRED, line=spec.line))
        if spec.unique or spec.primary_key or {"unique", "primary_key"} & set(spec.constraints):
            name = PRIMARY_KEY if spec.primary_key or "primary_key" in spec.constraints else UNIQUE
            rules.append(QualityRule("duplicateValues", "mustBe", 0, found.name, name=name, line=spec.line))
    return tuple(rules)


def passes(rule: QualityRule, observed: float) -> bool:
    t = rule.threshold
    match rule.operator:
        case "mustBe":
            return observed == float(t)
        case "mustNotBe":
            return observed != float(t)
        case "mustBeGreaterThan":
            return observed > float(t)
        case "mustBeGreaterOrEqualTo":
            return observed >= float(t)
        case "mustBeLessThan":
            return observed < float(t)
        case "mustBeLessOrEqualTo":
            return observed <= float(t)
        case "mustBeBetween":
            return float(t[0]) <= observed <= float(t[1])
        case "mustNotBeBetween":
            return not float(t[0]) <= observed <= float(t[1])
    return False


def _condition(rule: QualityRule, column: exp.Expression) -> exp.Condition | None:
    """The per-row condition a count rule counts; None for whole-table rowCount."""
    if rule.metric == "nullValues":
        return exp.Is(this=column, expression=exp.Null())
    if rule.metric == "missingValues":
        values = list(rule.arguments.get("missingValues") or [None])
        literals = [_literal(v) for v in values if v is not None]
        cond: exp.Condition = exp.Is(this=column, expression=exp.Null())
        if literals:
            cond = exp.or_(cond, column.isin(*literals))
        return cond
    if rule.metric == "invalidValues":
        valid = rule.arguments.get("validValues")
        pattern = rule.arguments.get("pattern")
        not_null = exp.Not(this=exp.Is(this=column, expression=exp.Null()))
        if valid:
            return exp.and_(not_null, exp.Not(this=column.isin(*[_literal(v) for v in valid])))
        if pattern:
            text = exp.cast(column, "text")
            return exp.and_(
                not_null, exp.Not(this=exp.RegexpLike(this=text, expression=exp.Literal.string(pattern)))
            )
        return None
    return None


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def evaluate_quality(
    warehouse: Warehouse, contract: TableContract, actual: ActualTable, rules: Sequence[QualityRule]
) -> tuple[ContractChange, ...]:
    """Run every rule whose column exists; a query the warehouse rejects makes its rules Unevaluated."""
    table = warehouse.table(contract.database, contract.schema, contract.identifier or contract.name)
    counted: list[tuple[QualityRule, exp.Expression]] = []
    changes: list[ContractChange] = []
    for rule in rules:
        found = actual.column(rule.column) if rule.column else None
        if rule.column and found is None:
            continue  # the missing column is already a ColumnRemoved
        column_name = found.name if found else None
        column = exp.column(column_name, quoted=True) if column_name else exp.Star()
        if rule.metric == "duplicateValues":
            names = [
                str(n) for n in rule.arguments.get("properties") or ([column_name] if column_name else [])
            ]
            changes += _run_one(warehouse, rule, _duplicates_query(table, names), actual)
        elif rule.metric == "sql":
            query = str(rule.arguments["query"]).replace("{object}", table.sql(warehouse.dialect))
            query = query.replace(
                "{property}", exp.column(column_name or "", quoted=True).sql(warehouse.dialect)
            )
            changes += _run_one(warehouse, rule, query, actual)
        elif rule.metric == "rowCount":
            counted.append((rule, exp.Count(this=exp.Star())))
        else:
            cond = _condition(rule, column)
            if cond is None:
                changes.append(
                    Unevaluated(rule.describe(), "the rule has no validValues or pattern", rule.column)
                )
                continue
            hit = exp.Sum(this=exp.If(this=cond, true=exp.Literal.number(1), false=exp.Literal.number(0)))
            counted.append((rule, hit))
    if counted:
        changes += _run_counts(warehouse, table, counted, actual)
    return tuple(changes)


def _duplicates_query(table: exp.Table, columns: Sequence[str]) -> exp.Expression:
    """Rows beyond the first of each key: sum(n - 1) over groups with n > 1."""
    keys = [exp.column(c, quoted=True) for c in columns]
    groups = (
        exp.select(exp.Count(this=exp.Star()).as_("n"))
        .from_(table)
        .group_by(*keys)
        .having(exp.Count(this=exp.Star()) > 1)
    )
    total = exp.func("coalesce", exp.Sum(this=exp.column("n") - 1), exp.Literal.number(0))
    return exp.select(total.as_("duplicates")).from_(groups.subquery("d"))


def _run_one(
    warehouse: Warehouse, rule: QualityRule, query: str | exp.Expression, actual: ActualTable
) -> list[ContractChange]:
    try:
        result = warehouse.query(query, purpose=f"contract rule {rule.describe()}", relation=actual.relation)
    except WarehouseError as err:
        return [Unevaluated(rule.describe(), str(err), rule.column)]
    value = result.rows[0][0] if result.rows else None
    if value is None and rule.metric != "sql":
        value = 0
    if not isinstance(value, int | float) and value is not None:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return [Unevaluated(rule.describe(), f"the query returned {value!r}, not a number", rule.column)]
    if value is None:
        return [Unevaluated(rule.describe(), "the query returned no value", rule.column)]
    return _judge(rule, float(value), None)


def _run_counts(
    warehouse: Warehouse,
    table: exp.Table,
    counted: list[tuple[QualityRule, exp.Expression]],
    actual: ActualTable,
) -> list[ContractChange]:
    selects = [exp.Count(this=exp.Star()).as_("row_count")]
    selects += [expr.as_(f"m{i}") for i, (_, expr) in enumerate(counted)]
    query = exp.select(*selects).from_(table)
    try:
        result = warehouse.query(query, purpose="contract quality rules", relation=actual.relation)
    except WarehouseError as err:
        return [Unevaluated(rule.describe(), str(err), rule.column) for rule, _ in counted]
    row = result.rows[0]
    total = int(row[0] or 0)
    changes: list[ContractChange] = []
    for (rule, _), value in zip(counted, row[1:], strict=True):
        changes += _judge(rule, float(value or 0), total)
    return changes


def _judge(rule: QualityRule, count: float, total: int | None) -> list[ContractChange]:
    observed = count
    if rule.unit == "percent" and rule.metric != "rowCount" and total is not None:
        observed = 100.0 * count / total if total else 0.0
    if passes(rule, observed):
        return []
    if rule.name == REQUIRED:
        return [NullableWhereRequired(rule.column or "", int(count))]
    if rule.name in (UNIQUE, PRIMARY_KEY):
        return [UniquenessLost(rule.column or "", int(count), rule.name == PRIMARY_KEY)]
    return [QualityFailed(rule, observed, rule.column)]
