"""Manifests of schema v7-v11 load and give the same lineage as v12 (the real v12 manifest, rewritten).

Each older version is made from the example's v12 manifest by setting its `dbt_schema_version` and removing
the node keys that version did not have yet (per dbt's published manifest schemas: `contract` and
`constraints` came with v10 (dbt 1.5), `access`/`version`/`latest_version` with v10, `deprecation_date` with
v11, `time_spine`/`doc_blocks`/`functions` later)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from headwater.dbt.loader import load_artifacts
from headwater.lineage.build import build_lineage

TARGET = Path(__file__).resolve().parents[2] / "dbt_project_example" / "target"
LATER_KEYS = {
    7: ("contract", "constraints", "access", "version", "latest_version", "deprecation_date", "time_spine",
        "doc_blocks", "functions", "primary_key"),
    8: ("contract", "constraints", "access", "version", "latest_version", "deprecation_date", "time_spine",
        "doc_blocks", "functions", "primary_key"),
    9: ("access", "version", "latest_version", "deprecation_date", "time_spine", "doc_blocks", "functions"),
    10: ("deprecation_date", "time_spine", "doc_blocks", "functions"),
    11: ("time_spine", "doc_blocks", "functions"),
}


def _edges(target: Path) -> dict[str, object]:
    # the project is the example's, wherever the artifacts are: a python model's features come from its store
    artifacts = load_artifacts(project_dir=TARGET.parent, target_path=target, include_tests=False)
    graph = build_lineage(artifacts, use_cache=False)
    return {uid: (raw.columns, sorted(raw.edges)) for uid, raw in graph.raw.items()}


@pytest.mark.parametrize("version", sorted(LATER_KEYS))
def test_older_manifest_versions_load_for_real(version: int, tmp_path: Path) -> None:
    manifest = orjson.loads((TARGET / "manifest.json").read_bytes())
    manifest["metadata"]["dbt_schema_version"] = f"https://schemas.getdbt.com/dbt/manifest/v{version}.json"
    manifest["metadata"]["dbt_version"] = f"1.{version - 3}.0"
    for node in (*manifest["nodes"].values(), *manifest["sources"].values()):
        for key in LATER_KEYS[version]:
            node.pop(key, None)
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    (tmp_path / "catalog.json").write_bytes((TARGET / "catalog.json").read_bytes())
    loaded = load_artifacts(target_path=tmp_path)
    assert loaded.manifest.metadata.schema_version == version
    assert _edges(tmp_path) == _edges(TARGET)
