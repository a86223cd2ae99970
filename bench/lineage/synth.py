"""Synthetic dbt manifest + catalog with realistic shapes, for benchmarking `headwater lineage --stats`.

Layers: sources -> staging (`select * from src` CTE + renames/casts) -> intermediate (CTE chains, joins,
UNION ALL) -> marts (aggregates, windows, LEFT JOINs). Usage: `python bench/lineage/synth.py 1000 OUT_DIR`.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson

DB = "bench"


def _rel(schema: str, name: str) -> str:
    return f'"{DB}"."{schema}"."{name}"'


def _node(uid: str, name: str, schema: str, sql: str, deps: list[str], cols: list[str], kind: str = "model") -> dict:  # type: ignore[type-arg]
    return {
        "unique_id": uid, "resource_type": kind, "name": name, "package_name": "bench", "database": DB,
        "schema": schema, "alias": name, "identifier": name, "relation_name": _rel(schema, name),
        "original_file_path": f"models/{schema}/{name}.sql", "path": f"{schema}/{name}.sql",
        "fqn": ["bench", schema, name], "checksum": {"name": "sha256", "checksum": str(abs(hash(sql)))},
        "config": {"materialized": "table", "tags": []},
        "raw_code": sql, "compiled_code": sql, "language": "sql", "depends_on": {"nodes": deps, "macros": []},
        "columns": {}, "tags": [],
    }


def generate(n_models: int, seed: int = 7) -> tuple[dict, dict]:  # type: ignore[type-arg]
    rnd = random.Random(seed)
    nodes: dict[str, dict] = {}  # type: ignore[type-arg]
    sources: dict[str, dict] = {}  # type: ignore[type-arg]
    catalog: dict[str, dict] = {}  # type: ignore[type-arg]
    columns: dict[str, list[str]] = {}
    n_src = max(3, n_models // 10)
    for i in range(n_src):
        uid = f"source.bench.raw.t{i}"
        cols = ["id", "fk", "amount", "status", "created_at", *[f"attr_{j}" for j in range(rnd.randint(3, 12))]]
        sources[uid] = {
            "unique_id": uid, "resource_type": "source", "name": f"t{i}", "source_name": "raw", "package_name": "bench",
            "database": DB, "schema": "raw", "identifier": f"t{i}", "relation_name": _rel("raw", f"t{i}"),
            "original_file_path": "models/sources.yml", "fqn": ["bench", "raw", f"t{i}"], "columns": {}, "config": {},
        }
        columns[uid] = cols
    staging: list[str] = []
    upstream: list[str] = []
    for i in range(n_models):
        layer = "stg" if i < n_models * 0.3 else ("int" if i < n_models * 0.7 else "fct")
        name = f"{layer}_{i}"
        uid = f"model.bench.{name}"
        if layer == "stg":
            src = f"source.bench.raw.t{i % n_src}"
            s_cols = columns[src]
            renames = ",\n        ".join(
                f"cast({c} as varchar) as {c}_txt" if k % 3 == 0 else f"{c} as {c}_{k}"
                for k, c in enumerate(s_cols[5:])
            )
            sql = (
                f"with source as (\n    select * from {_rel('raw', f't{i % n_src}')}\n),\n\nrenamed as (\n    select\n"
                f"        id as {name}_id,\n        fk,\n        amount / 100.0 as amount,\n"
                "        status,\n        created_at,\n"
                f"        {renames}\n    from source\n    where status <> 'deleted'\n)\n\nselect * from renamed"
            )
            deps, out_cols = [src], [f"{name}_id", "fk", "amount", "status", "created_at"]
            out_cols += [f"{c}_txt" if k % 3 == 0 else f"{c}_{k}" for k, c in enumerate(s_cols[5:])]
            staging.append(uid)
        else:
            a, b = rnd.sample(upstream, 2)
            a_id, b_id = columns[a][0], columns[b][0]
            shape = rnd.random()
            if layer == "int" and shape < 0.25:  # UNION ALL
                sql = (
                    f"with a as (\n    select {a_id} as id, fk, amount, status from {nodes[a]['relation_name']}\n),\n"
                    f"b as (\n    select {b_id} as id, fk, amount, status from {nodes[b]['relation_name']}\n)\n"
                    "select id, fk, amount, status from a\nunion all\nselect id, fk, amount, status from b"
                )
                out_cols = ["id", "fk", "amount", "status"]
            elif layer == "int":  # CTE chain + join
                extra = [c for c in columns[b][1:] if c not in columns[a]][:6]
                picks = ",\n        ".join(f"b.{c}" for c in extra) or "b.amount as b_amount"
                sql = (
                    f"with a as (\n    select * from {nodes[a]['relation_name']}\n),\n"
                    f"b as (\n    select * from {nodes[b]['relation_name']}\n),\n"
                    f"joined as (\n    select\n        a.*,\n        {picks},\n"
                    "        coalesce(a.amount, 0) + coalesce(b.amount, 0) as total\n"
                    f"    from a\n    left join b on a.fk = b.{b_id}\n)\n\nselect * from joined"
                )
                out_cols = list(dict.fromkeys([*columns[a], *(extra or ["b_amount"]), "total"]))
            else:  # marts: aggregate + window
                sql = (
                    f"with base as (\n    select * from {nodes[a]['relation_name']}\n),\n"
                    "agg as (\n    select\n        fk,\n        count(*) as n,\n        sum(amount) as amount_sum,\n"
                    "        max(status) as last_status\n    from base\n    group by fk\n    having count(*) > 0\n)\n\n"
                    "select\n    fk,\n    n,\n    amount_sum,\n    last_status,\n"
                    "    row_number() over (partition by last_status order by amount_sum desc) as rank_in_status\n"
                    "from agg"
                )
                out_cols = ["fk", "n", "amount_sum", "last_status", "rank_in_status"]
            deps = sorted({a, b}) if "b." in sql or "union" in sql else [a]
        nodes[uid] = _node(uid, name, layer, sql, deps, out_cols)
        columns[uid] = out_cols
        if layer != "fct":
            upstream.append(uid)
    for uid, cols in columns.items():
        catalog[uid] = {
            "unique_id": uid,
            "metadata": {
                "type": "BASE TABLE",
                "database": DB,
                "schema": uid.split(".")[2] if uid.startswith("source") else nodes[uid]["schema"],
                "name": uid.rsplit(".", 1)[1],
            },
            "columns": {c: {"name": c, "type": "VARCHAR", "index": k + 1} for k, c in enumerate(cols)},
        }
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "dbt_version": "1.11.0",
            "adapter_type": "duckdb",
            "project_name": "bench",
        },
        "nodes": nodes, "sources": sources, "exposures": {}, "macros": {}, "docs": {}, "metrics": {}, "groups": {},
        "selectors": {}, "disabled": {}, "parent_map": {}, "child_map": {}, "group_map": {}, "saved_queries": {},
        "semantic_models": {}, "unit_tests": {},
    }
    cat = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": {k: v for k, v in catalog.items() if k.startswith("model.")},
        "sources": {k: v for k, v in catalog.items() if k.startswith("source.")},
        "errors": None,
    }
    return manifest, cat


def main() -> None:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    manifest, catalog = generate(n)
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    (out / "catalog.json").write_bytes(orjson.dumps(catalog))
    print(f"{out}: {n} models, {len(manifest['sources'])} sources")


if __name__ == "__main__":
    main()
