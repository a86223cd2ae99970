"""GX validation result JSON (plain, no great_expectations import) and batch -> dbt node mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.dbt import load_artifacts
from headwater.errors import ConfigError
from headwater.trace.checks import NotNull, Unique, Untraceable
from headwater.trace.gx_results import BatchRef, failed_expectations, read_validation_result
from headwater.trace.mapping import node_for_batch

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "jaffle_shop_expand"


def _suite(name: str, table: str, schema: str = "main") -> dict[str, object]:
    return {
        "success": False,
        "suite_name": name,
        "results": [
            {
                "success": True,
                "expectation_config": {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
            },
            {
                "success": False,
                "expectation_config": {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "email", "batch_id": "b"},
                },
                "result": {"unexpected_count": 12, "element_count": 100},
            },
            {"success": False, "expectation_config": {"type": "expect_column_pair_values_to_be_equal", "kwargs": {}}},
        ],
        "meta": {
            "batch_spec": {"table_name": table, "schema_name": schema},
            "active_batch_definition": {"data_asset_name": f"{schema}.{table}"},
        },
    }


def test_suite_result_failed_expectations_only() -> None:
    found = failed_expectations(_suite("customers", "customers"))
    assert found is not None
    assert found[0].check == NotNull("email")
    assert isinstance(found[1].check, Untraceable)
    assert found[0].unexpected_count == 12 and found[0].batch == BatchRef("main.customers", "main", "customers")
    assert "batch_id" not in found[0].kwargs


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda s: {"checkpoint": "marts", "validation_results": [s]}, id="headwater-checkpoint"),
        pytest.param(
            lambda s: {"run_results": {"vr-1": {"validation_result": s, "actions_results": {}}}}, id="gx-checkpoint"
        ),
        pytest.param(lambda s: s, id="suite-result"),
    ],
)
def test_checkpoint_shapes(wrap: object) -> None:
    found = failed_expectations(wrap(_suite("customers", "customers")))  # type: ignore[operator]
    assert found is not None and len(found) == 2


def test_describe_dict_shape() -> None:
    found = failed_expectations(
        {
            "validation_results": [
                {
                    "expectations": [
                        {
                            "expectation_type": "expect_column_values_to_be_unique",
                            "kwargs": {"column": "id"},
                            "success": False,
                        }
                    ]
                }
            ]
        }
    )
    assert found is not None and found[0].check == Unique(("id",))


def test_not_a_result_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="no GX validation result"):
        read_validation_result(path)
    path.write_text("{broken")
    with pytest.raises(ConfigError, match="not JSON"):
        read_validation_result(path)


@pytest.fixture(scope="module")
def manifest():  # type: ignore[no-untyped-def]
    return load_artifacts(manifest_path=CORPUS / "manifest.json", catalog_path=CORPUS / "catalog.json").manifest


def test_batch_maps_to_node_by_relation_case_insensitive(manifest) -> None:  # type: ignore[no-untyped-def]
    model = next(n for n in manifest.models() if n.relation_name)
    node = node_for_batch(manifest, BatchRef(table=model.identifier.upper(), schema=model.schema.upper()))
    assert node.unique_id == model.unique_id


def test_query_asset_maps_by_the_table_it_reads(manifest) -> None:  # type: ignore[no-untyped-def]
    model = next(n for n in manifest.models() if n.relation_name)
    query = f"select * from {model.schema}.{model.identifier} where 1 = 1"
    assert node_for_batch(manifest, BatchRef(query=query)).unique_id == model.unique_id


def test_override_and_unknown(manifest) -> None:  # type: ignore[no-untyped-def]
    model = next(n for n in manifest.models() if n.relation_name)
    assert (
        node_for_batch(manifest, BatchRef(asset="crm_feed"), overrides={"crm_feed": model.name}).unique_id
        == model.unique_id
    )
    with pytest.raises(ConfigError, match="--map"):
        node_for_batch(manifest, BatchRef(table="no_such_table_anywhere", schema="zzz"))
