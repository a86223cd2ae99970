"""dbt artifacts as typed data, and the table graph.

    >>> from headwater.dbt import load_artifacts, TableGraph
    >>> arts = load_artifacts(project_dir="dbt_project_example")  # doctest: +SKIP
    >>> node = arts.manifest.find_node("dim_customers")             # doctest: +SKIP
    >>> TableGraph(arts.manifest).select("+dim_customers")          # doctest: +SKIP

- `load_artifacts(project_dir=None, target_path=None, manifest_path=None, catalog_path=None,
  run_results_path=None, sources_path=None) -> Artifacts`: manifest (schema v7-v12, required), catalog,
  run_results and sources.json when present.
- `Manifest`: `nodes` (models, seeds, snapshots, analyses), `sources`, `exposures`, `tests`, all `Node`;
  `find_node(name | unique_id | source.table)`, `node_by_relation(db, schema, identifier)`, `dialect`.
- `Catalog.columns(unique_id)`, `RunResults.results[unique_id]`, `Sources.results[unique_id]`.
- `TableGraph(manifest)`: ancestors/descendants with depth, `select("+name tag:x")`, `tests_of(node)`,
  `topological_order()` (cycles reported as "Found a cycle: a --> b --> a").
"""

from typing import TYPE_CHECKING

from headwater.lazy import lazy_exports

if TYPE_CHECKING:
    from headwater.dbt.artifacts import Column, Contract, Manifest, ManifestMetadata, Node, TestInfo
    from headwater.dbt.catalog import Catalog, CatalogColumn, CatalogTable
    from headwater.dbt.files import resolve_target_path
    from headwater.dbt.graph import Cycle, TableGraph, UniqueId
    from headwater.dbt.loader import Artifacts, load_artifacts
    from headwater.dbt.results import RunResult, RunResults, SourceFreshness, Sources

__all__ = [
    "Artifacts",
    "Catalog",
    "CatalogColumn",
    "CatalogTable",
    "Column",
    "Contract",
    "Cycle",
    "Manifest",
    "ManifestMetadata",
    "Node",
    "RunResult",
    "RunResults",
    "SourceFreshness",
    "Sources",
    "TableGraph",
    "TestInfo",
    "UniqueId",
    "load_artifacts",
    "resolve_target_path",
]
_WHERE = (
    dict.fromkeys(("Column", "Contract", "Manifest", "ManifestMetadata", "Node", "TestInfo"), "artifacts")
    | dict.fromkeys(("Catalog", "CatalogColumn", "CatalogTable"), "catalog")
    | dict.fromkeys(("Cycle", "TableGraph", "UniqueId"), "graph")
    | dict.fromkeys(("Artifacts", "load_artifacts"), "loader")
    | dict.fromkeys(("RunResult", "RunResults", "SourceFreshness", "Sources"), "results")
    | {"resolve_target_path": "files"}
)
__getattr__ = lazy_exports(__name__, _WHERE, globals())
