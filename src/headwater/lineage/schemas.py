"""The columns of every node, for qualifying SQL: catalog.json first, then YAML, then inferred lineage.

The sqlglot `MappingSchema` is built ONCE per run and extended table by table in topological order (a dict
passed to `qualify()` would be converted into a new schema for every model). It is created lazily, so a
run served entirely from the cache never imports sqlglot.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headwater.dbt.artifacts import Manifest, Node, raw_nodes
from headwater.dbt.files import csv_header, project_root
from headwater.dbt.loader import Artifacts
from headwater.lineage.cache import node_key

if TYPE_CHECKING:
    from sqlglot.schema import MappingSchema

Columns = tuple[tuple[str, str], ...]  # (name, data type or "")


class SchemaBook:
    """Columns per node. Priority: catalog.json; for models, the columns their own SQL produces (inferred
    by lineage, when complete); a seed's CSV header; YAML-declared columns (often only the documented ones)."""

    def __init__(self, artifacts: Artifacts) -> None:
        self.manifest: Manifest = artifacts.manifest
        self.dialect = sqlglot_dialect(self.manifest.dialect)
        self.catalog = artifacts.catalog
        self._root = project_root(artifacts.project_dir, artifacts.target_path)
        self.project_root = self._root  # public: python models resolve their model store against it
        # Filled on first use per node (a warm run answered from the cache summary reads none of them).
        self._declared: dict[str, Columns | None] = {}  # from catalog, a seed's CSV header, or YAML
        self.inferred: dict[str, Columns] = {}  # from this run's lineage
        self.origin: dict[str, str] = {}
        self._signatures: dict[str, str] = {}
        self._names: dict[str, tuple[str, ...]] = {}
        self._schema: MappingSchema | None = None
        self._added: set[str] = set()
        self._case: str | None = None
        # Every file outside manifest.json and catalog.json this book read, with what it found: (path, CSV
        # header or None). A run keyed by the artifacts' bytes alone holds only while these read the same.
        self.files_read: dict[str, tuple[str, ...] | None] = {}
        self.stores: dict[str, str] = {}  # python models' model stores and their stamps (filled by `run_key`)

    def declared(self, node_id: str) -> Columns | None:
        """Columns from catalog.json, else a seed's CSV header, else YAML; None when none declares them."""
        if node_id in self._declared:
            return self._declared[node_id]
        node = self.manifest.get(node_id)
        found: Columns | None = None
        if node is not None:
            cat_cols = self.catalog.column_types(node_id) if self.catalog is not None else None
            header = self._seed_header(node) if not cat_cols and node.resource_type == "seed" else None
            if cat_cols:
                found, self.origin[node_id] = cat_cols, "catalog"
            elif header:
                found, self.origin[node_id] = header, "csv"
            elif node.columns:
                found = tuple((c.name, c.data_type or "") for c in node.columns.values())
                self.origin[node_id] = "yaml"
        self._declared[node_id] = found
        return found

    def from_catalog(self, node_id: str) -> bool:
        self.declared(node_id)
        return self.origin.get(node_id) in ("catalog", "csv")

    def columns(self, node_id: str) -> Columns | None:
        declared = self.declared(node_id)
        if self.origin.get(node_id) in ("catalog", "csv"):
            return declared
        return self.inferred.get(node_id) or declared

    @property
    def case(self) -> str:
        """How the dialect treats the case of column names (`names.column_case`), looked up on first use."""
        if self._case is None:
            from headwater.lineage.names import column_case

            self._case = column_case(self.dialect)
        return self._case

    def column_names(self, node_id: str) -> tuple[str, ...] | None:
        """Canonical column names (`headwater.lineage.names`: lower case unless the dialect keeps a quoted
        name's case), in order, or None when the node's columns are unknown."""
        names = self._names.get(node_id)
        if names is None:
            cols = self.columns(node_id)
            if cols is None:
                return None
            names = self._names[node_id] = self._canonical(node_id, cols)
        return names

    def _seed_header(self, node: Node) -> Columns | None:
        path = _seed_csv(self._root, node)
        if path is None:
            return None
        names = csv_header(path)
        self.files_read[str(path.resolve())] = names
        return tuple((name, "") for name in names) if names else None

    def declared_names(self, node_id: str) -> tuple[str, ...]:
        """Canonical names of the declared columns (catalog, CSV header or YAML), () when none are."""
        cols = self.declared(node_id)
        return self._canonical(node_id, cols, inferred=False) if cols else ()

    def _canonical(self, node_id: str, cols: Columns, inferred: bool = True) -> tuple[str, ...]:
        from headwater.lineage.names import INSENSITIVES, fold, stored, written

        origin = self.origin.get(node_id)
        case = self.case
        if case in INSENSITIVES:  # most dialects: every name folded to lower case
            found = [fold(n, case) for n, _ in cols]
        elif origin == "inferred" and inferred:
            found = [n for n, _ in cols]  # lineage's own output names: canonical already
        elif origin == "catalog":
            found = [stored(n, case) for n, _ in cols]  # as the warehouse keeps them
        else:  # YAML and CSV headers: written unquoted, unless the YAML says the name is exact
            exact = self._exact(node_id)
            found = [written(n, n in exact, case) for n, _ in cols]
        return tuple(dict.fromkeys(found))

    def _exact(self, node_id: str) -> frozenset[str]:
        """YAML columns named by their exact stored name: `quote: true`, or a name that is no plain identifier
        (`Order ID`, `x"); --`: it cannot be meant as unquoted SQL)."""
        from sqlglot import exp

        node = self.manifest.get(node_id)
        cols = node.columns.values() if node is not None else ()
        return frozenset(c.name for c in cols if c.quote or not exp.SAFE_IDENTIFIER_RE.match(c.name))

    def infer(self, node_id: str, names: tuple[str, ...]) -> None:
        if not self.from_catalog(node_id) and names and "*" not in names:
            self.inferred[node_id] = tuple((n, "") for n in names)
            self.origin[node_id] = "inferred"

    def signature(self, node_id: str) -> str:
        sig = self._signatures.get(node_id)
        if sig is None:
            node = self.manifest.get(node_id)
            cols = self.columns(node_id) or ()
            relation = node.relation_name or "" if node is not None else ""
            sig = node_key([node_id, relation, *(f"{n}:{t}" for n, t in cols)])
            self._signatures[node_id] = sig
        return sig

    def run_key(self, *extra: str) -> str:
        """One key over everything the lineage of the whole manifest depends on: every node's SQL, checksum,
        relation and refs, its YAML columns, seeds' CSV headers and the whole catalog (the per-node keys
        depend on these alone, inferred columns included, since inference is a function of them). Equal
        keys mean an identical result. Hashes the catalog's JSON rather than building every node's columns."""
        import hashlib

        import orjson

        rows: list[object] = []
        for table in (self.manifest.sources, self.manifest.nodes):
            raw = raw_nodes(table)
            if raw is not None:  # nodes not built yet: hash their raw dicts instead of building them
                rows.extend(self._raw_row(uid, data) for uid, data in raw.items())
                continue
            rows.extend(
                (
                    n.unique_id, n.resource_type, n.name, n.database, n.schema, n.identifier, n.relation_name,
                    n.materialized, n.language, n.checksum, n.compiled_code, n.depends_on,
                    [(c.name, c.data_type) for c in n.columns.values()],
                    self.declared(n.unique_id) if n.resource_type == "seed" else None,  # a CSV header, maybe
                )
                for n in table.values()
            )
        # A python model's lineage also reads its meta options and its model store: see `registry_key`.
        from headwater.lineage.python_models import model_store, registry_key

        raw = raw_nodes(self.manifest.nodes)
        python_ids = (
            [uid for uid, d in raw.items() if d.get("language") == "python"] if raw is not None  # nodes not built
            else [n.unique_id for n in self.manifest.nodes.values() if n.language == "python"]
        )
        python = []
        for uid in python_ids:
            node = self.manifest.nodes[uid]
            python.append(registry_key(node, self.project_root))
            store = model_store(node, self.project_root)
            if store is not None:
                self.stores[store[0]] = store[2]
        catalog = self.catalog.raw_tables() if self.catalog is not None else None
        return hashlib.blake2b(
            orjson.dumps([self.dialect, *extra, rows, python, catalog]), digest_size=16
        ).hexdigest()

    def _raw_row(self, uid: str, data: Mapping[str, Any]) -> tuple[object, ...]:
        """A built node's row, read from its raw manifest dict as `dbt.nodes.node_from_dict` reads it (same key)."""
        rtype = data.get("resource_type", "")
        checksum = data.get("checksum") or {}
        return (
            uid, rtype, data.get("name", ""), data.get("database"), data.get("schema"),
            data.get("identifier") or data.get("alias"), data.get("relation_name"),
            (data.get("config") or {}).get("materialized"), data.get("language") or "sql",
            checksum.get("checksum", "") if isinstance(checksum, dict) else str(checksum),
            data.get("compiled_code", data.get("compiled_sql")), (data.get("depends_on") or {}).get("nodes") or (),
            [(c.get("name") or name, c.get("data_type")) for name, c in (data.get("columns") or {}).items()],
            self.declared(uid) if rtype == "seed" else None,  # a CSV header, maybe
        )

    def mapping_schema(self, parents: tuple[str, ...]) -> MappingSchema:
        """The shared schema, with every parent's relation added (once)."""
        if self._schema is None:
            from sqlglot.schema import MappingSchema

            self._schema = MappingSchema(dialect=self.dialect)
        for parent in parents:
            if parent not in self._added:
                node = self.manifest.get(parent)
                cols = self.columns(parent)
                if node is not None and cols:  # not yet known: added once lineage has inferred them
                    self._added.add(parent)
                    self._add(node, cols)
        return self._schema

    def _add(self, node: Node, cols: Columns) -> None:
        from sqlglot import exp
        from sqlglot.errors import SqlglotError

        assert self._schema is not None
        if not node.relation_name:
            return
        try:
            table = exp.to_table(node.relation_name, dialect=self.dialect)
            self._schema.add_table(table, self._schema_columns(node.unique_id, cols), dialect=self.dialect)
        except (SqlglotError, ValueError):
            # A relation of another nesting depth (schema.table among db.schema.table) cannot join the
            # schema; its columns are then unknown to qualify, and `select *` over it becomes UNKNOWN.
            pass


    def _schema_columns(self, node_id: str, cols: Columns) -> dict[str, str]:
        """Column keys for the `MappingSchema`: a stored name whose case the dialect keeps is quoted."""
        from headwater.lineage.names import schema_key, to_stored

        origin, case = self.origin.get(node_id), self.case
        if origin == "catalog":
            return {schema_key(n, case, self.dialect): t or "UNKNOWN" for n, t in cols}
        if origin == "inferred":
            return {schema_key(to_stored(n, case), case, self.dialect): t or "UNKNOWN" for n, t in cols}
        exact = self._exact(node_id)  # the other YAML names are SQL as written (sqlglot folds them)
        return {schema_key(n, case, self.dialect) if n in exact else n: t or "UNKNOWN" for n, t in cols}


def _seed_csv(root: Path | None, node: Node) -> Path | None:
    """A seed's CSV file, when the project is at hand."""
    if root is None or not node.original_file_path.endswith(".csv"):
        return None
    return root / node.original_file_path


# Built-in dialects of sqlglot 30 (its `Dialects` enum): a warm run, answered from the cache summary, knows
# its dialect without importing sqlglot at all (~0.1 s of CPU). Any other name asks sqlglot;
# tests/lineage/test_fast_paths.py checks that every one is a dialect of the installed sqlglot.
BUILTIN_DIALECTS = frozenset({
    "athena", "bigquery", "clickhouse", "databricks", "doris", "dremio", "drill", "druid", "duckdb", "dune",
    "exasol", "fabric", "hive", "materialize", "mysql", "oracle", "postgres", "presto", "redshift", "risingwave",
    "snowflake", "solr", "spark", "spark2", "sqlite", "starrocks", "teradata", "trino", "tsql",
})  # fmt: skip


def sqlglot_dialect(name: str) -> str:
    """The dialect itself when sqlglot knows it, else "" (sqlglot's generic SQL)."""
    if name in BUILTIN_DIALECTS:
        return name
    from sqlglot.dialects.dialect import Dialect, Dialects

    if name in Dialects._value2member_map_:
        return name  # a built-in dialect: known without importing its module (a warm run never needs it)
    try:
        Dialect.get_or_raise(name)
    except ValueError:
        return ""
    return name
