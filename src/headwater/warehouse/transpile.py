"""The one step from the SQL a dbt project was compiled in to the SQL this warehouse runs.

A manifest compiled for one engine (DuckDB in CI, say) can be traced on another where the same tables live
(a Spark cluster): the compiled SQL is parsed in the manifest's dialect and every probe is rendered in the
warehouse's (`guard.render`). What does not carry over is the database part of three-part names: dbt writes
its target's database (`"warehouse"."staging"."stg_x"`, the DuckDB file's name), which the other engine has
no catalog for. `relocate` drops a catalog that does not resolve here, so the name falls back to
`schema.table` in the session's current catalog, the way `Warehouse.table` names relations.

    >>> import sqlglot
    >>> tree = sqlglot.parse_one('select * from "warehouse"."staging"."t" join "main"."s"."u" using (id)')
    >>> relocate(tree, frozenset({"main"})).sql("spark")
    'SELECT * FROM `staging`.`t` JOIN `main`.`s`.`u` USING (id)'
"""

from __future__ import annotations

from sqlglot import exp


def relocate(tree: exp.Expr, catalogs: frozenset[str]) -> exp.Expr:
    """`tree` with the catalog of every table that names none of `catalogs` (lower-case) removed. The tree
    is copied only when something changes: most probes name their relations through `Warehouse.table`."""
    foreign = [t for t in tree.find_all(exp.Table) if t.catalog and t.catalog.lower() not in catalogs]
    if not foreign:
        return tree
    copied = tree.copy()
    for table in copied.find_all(exp.Table):
        if table.catalog and table.catalog.lower() not in catalogs:
            table.set("catalog", None)
    return copied

