"""Column-level lineage of a dbt project, built from the compiled SQL of every model with sqlglot.

    >>> from headwater.dbt import load_artifacts
    >>> from headwater.lineage import build_lineage, ColumnRef
    >>> graph = build_lineage(load_artifacts(project_dir="dbt_project_example"))   # doctest: +SKIP
    >>> uid = graph.node_id("dim_customers")                                         # doctest: +SKIP
    >>> for edge in graph.edges_into(ColumnRef(uid, "email")):                       # doctest: +SKIP
    ...     print(edge.kind, edge.source, edge.expression, edge.location)

API (stable; other packages rely on it)
- `build_lineage(artifacts, cache_dir=None, use_cache=True, workers=1) -> LineageGraph`. Models and
  snapshots are analysed in topological order; results are cached in `cache_dir` (default
  `<target>/headwater/`), keyed by each model's checksum + compiled SQL + its parents' schemas, next to
  a summary keyed by one hash over every node's inputs: when nothing changed, `stats()` comes from the
  summary and per-model results are read only when edges are asked for. A corrupt/foreign cache is ignored.
  `headwater lineage --stats` looks first at `inputs.json` (`lineage/memo.py`): the statistics of the last
  run on the very same manifest/catalog bytes (and seed CSVs, model stores), answered without parsing them.
  `workers=None` forks one analysis process per CPU (the CLI does);
  `always_qualify=True` runs sqlglot's `qualify()` on every model (a cross-check; slower).
  `edge_text=False` (a caller that reads only `stats()`, like `--stats`) leaves the edges' SQL text and
  lines empty, unless a cache is written (it stores them).
- `LineageGraph`:
  - `model(unique_id) -> ModelLineage` (columns, edges, dialect, error); sources/seeds give no edges.
  - `columns_of(unique_id) -> tuple[str, ...]`, `node_id(name_or_id_or_source.table)`. Column names are
    lower-cased, except where the dialect keeps a quoted name's case (`headwater.lineage.names`: PostgreSQL
    and Snowflake `"Amount"` stay `Amount`, distinct from `amount`; Snowflake's `"amount"` is `"amount"`).
  - `edges_into(ColumnRef) -> tuple[Edge, ...]`: the VALUE edges into that column (passthrough, rename,
    cast, expression, aggregate, window, unknown) followed by the ROW edges of its model.
  - `edges_from(ColumnRef)`, `upstream(ref, depth=None, rows=True)`, `downstream(ref, depth=None,
    rows=True)`: breadth-first walks returning every edge met; `depth` counts hops between nodes.
  - `stats() -> LineageStats` (`to_dict()` is the JSON of `headwater lineage --stats`);
    `is_resolved(ref)`: every value path of the column ends at a source/seed/external column or a literal.
    `--stats` JSON: models, columns, resolved, unknown, unresolved_upstream, coverage, unknown_reasons,
    row_unknown(_reasons), models_failed, edges, external, external_relations, seconds, cache_hits/misses.
    `external` counts the resolved columns with a value path ending at an external relation (below) and
    `external_relations` lists those relations, so coverage that rests on undeclared tables is visible.
- Edges (see `headwater.lineage.model`):
  - A value edge's `source` is the LEAF column it comes from in another node (CTEs and subqueries in
    between are collapsed); its `kind` is the strongest step on the way (aggregate > window > expression >
    cast > rename/passthrough), and `expression`/`location` are that step's SQL text and line.
    `source=None` with kind EXPRESSION is a literal (or `count(*)`, `now()`).
  - Row edges: how rows reach a model's output. Each JOIN ON key, WHERE/HAVING/QUALIFY column and GROUP BY
    key of any scope the model reads rows from is one edge of kind JOIN/FILTER/GROUP, repeated for EVERY
    output column of the model (target = that column), with the whole condition as `expression`.
    `join_side` of a JOIN edge is the join's type: "left", "right", "full", "inner" or "cross".
  - An ephemeral model is a node of its own: a `__dbt__cte__<name>` CTE is the ephemeral node's columns.
  - A relation the SQL reads that is no source, model or seed of the manifest (`from public.lookup`) is
    an EXTERNAL leaf node `external.<parts as written, lower-cased>` (e.g. `external.public.lookup`),
    registered in `manifest.externals` (resource_type "external", so `manifest.get()` knows it). Its
    columns are only those the SQL names through it (`s2.name` over `select * from public.lookup`); they
    are never guessed, and `select *` straight from it stays UNKNOWN ("unknown columns").
  - UNKNOWN edges (`source=None`) say why in `reason`, as "<category>: <detail>"; categories: jinja
    remnant, unparseable SQL, unqualifiable SQL, unanalysable SQL, not a select, python model, no compiled
    SQL, unknown columns, unresolved column, missing column, udf, unnest/lateral, table
    function. A UDF's argument keeps its own EXPRESSION edge next to the UNKNOWN one. A row condition on
    something unknown is an UNKNOWN edge carrying the condition's text.
    When a whole model cannot be analysed, `ModelLineage.error` says why and every column gets UNKNOWN.
  - A resolved edge may carry a note in `reason`: "quoted string: ..." on a literal that is a double-quoted
    string in a dialect where double quotes delimit strings (MySQL-family, BigQuery, Spark/Databricks)
    and that exactly names a column of a source (the dialect's reading is kept; the note says so).
  - `location.line` is a line of the model file (raw SQL); when the expression was not found there,
    `location.compiled` is True and the line is in the compiled SQL.
"""

from typing import TYPE_CHECKING

from headwater.lazy import lazy_exports

if TYPE_CHECKING:
    from headwater.lineage.build import build_lineage
    from headwater.lineage.graph import LineageGraph
    from headwater.lineage.model import ColumnRef, Edge, EdgeKind, ModelLineage, SourceLocation
    from headwater.lineage.stats import LineageStats

__all__ = [
    "ColumnRef",
    "Edge",
    "EdgeKind",
    "LineageGraph",
    "LineageStats",
    "ModelLineage",
    "SourceLocation",
    "build_lineage",
]
_WHERE = {"build_lineage": "build", "LineageGraph": "graph", "LineageStats": "stats"} | dict.fromkeys(
    ("ColumnRef", "Edge", "EdgeKind", "ModelLineage", "SourceLocation"), "model"
)
__getattr__ = lazy_exports(__name__, _WHERE, globals())
