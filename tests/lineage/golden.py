"""The one reader of tests/lineage/fixtures/*.sql (format: the header of lineage.sql; peers.sql adds `# source:`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp
from sqlglot.schema import MappingSchema

from headwater.lineage.analyze import analyze_model
from headwater.lineage.compact import RawLineage
from headwater.lineage.locate import Locator
from headwater.lineage.names import column_case, schema_key, stored

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Case:
    title: str
    sql: str = ""
    dialect: str = "duckdb"
    schema: dict[str, list[str]] = field(default_factory=dict)
    ephemeral: list[str] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)  # `# source:` where a peer's expectation comes from


def read_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    current: Case | None = None
    in_expect = False
    sql_lines: list[str] = []
    for line in [*path.read_text().splitlines(), "# title: <end>"]:
        if line.startswith("# title:"):
            if current is not None:
                current.sql = "\n".join(sql_lines).strip()
                cases.append(current)
            current, in_expect, sql_lines = Case(line.split(":", 1)[1].strip()), False, []
        elif current is None or not line.strip():
            continue
        elif line.startswith("# schema:"):
            table, _, cols = line.split(":", 1)[1].partition(":")
            current.schema[table.strip()] = [c.strip() for c in cols.split(",") if c.strip()]
        elif line.startswith("# dialect:"):
            current.dialect = line.split(":", 1)[1].strip()
        elif line.startswith("# ephemeral:"):
            current.ephemeral.append(line.split(":", 1)[1].strip())
        elif line.startswith("# source:"):
            current.sources.append(line.split(":", 1)[1].strip())
        elif line.startswith("# peer:"):
            continue  # prose: where headwater and the peer differ, and why
        elif line.startswith("# expect:"):
            in_expect = True
        elif in_expect:
            current.expected.add(" ".join(line.split()))
        else:
            sql_lines.append(line)
    return [c for c in cases if c.title != "<end>"]


def run_case(case: Case, fast: bool = True) -> RawLineage:
    """`fast`: the raw-tree pass first (qualify only as fallback); otherwise sqlglot's qualify only."""
    # `# schema:` columns are catalog columns: names as the warehouse stores them.
    schema = MappingSchema(dialect=case.dialect)
    spelling = column_case(case.dialect)
    for table, cols in case.schema.items():
        relation = exp.to_table(table, dialect=case.dialect)
        keys = {schema_key(c, spelling, case.dialect): "UNKNOWN" for c in cols}
        schema.add_table(relation, keys, dialect=case.dialect)
    known = {t.lower().split(".", 1)[1] for t in case.schema}
    columns = {t.lower().split(".", 1)[1]: tuple(stored(c, spelling) for c in cols) for t, cols in case.schema.items()}

    def resolve_table(table: exp.Table) -> str | None:
        name = f"{table.db}.{table.name}".lower()
        return name if name in known else None

    def resolve_ephemeral(name: str) -> str | None:
        # As build.py's resolver: dbt names are matched case-insensitively (Snowflake's qualify upper-cases
        # the `__dbt__cte__` CTE name).
        return f"model:{name.lower()}" if name.lower() in case.ephemeral else None

    return analyze_model(
        "model.test.m",
        case.sql,
        case.dialect,
        schema,
        resolve_table,
        resolve_ephemeral,
        Locator(case.sql, case.sql, case.dialect),
        table_columns=columns.get,
        fast=fast,
    )


def render(result: RawLineage) -> set[str]:
    lines: set[str] = set()
    for edge in (*result.edges, *result.row_edges):
        target = edge.target or "rows"
        if edge.kind == "unknown":
            lines.add(f"{target} <- ? unknown({edge.reason.split(':', 1)[0]})")
            continue
        source = f"{edge.source_node}.{edge.source_column}" if edge.source_node else "literal"
        kind = f"{edge.kind}[{edge.join_side}]" if edge.join_side else edge.kind
        note = f" ({edge.reason.split(':', 1)[0]})" if edge.reason else ""  # a resolved edge's note
        lines.add(f"{target} <- {source} {kind}{note}")
    return lines
