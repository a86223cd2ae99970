"""dbt contract findings point at the YAML line that declares the model / column (manifest `patch_path`)."""

from __future__ import annotations

from pathlib import Path

from headwater.contracts.dbt_contracts import contract_of
from headwater.contracts.dbt_yaml import declared_lines, locate
from headwater.dbt import Column, Contract, Node

EXAMPLE = Path(__file__).parents[2] / "dbt_project_example"


def line_of(path: Path, text: str, after: int = 0) -> int:
    """1-based number of the first line at or after `after` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if i + 1 >= after and text in line)


def test_model_and_column_lines_in_the_example_yaml() -> None:
    yml = EXAMPLE / "models" / "marts" / "_marts.yml"
    node = Node("model.headwater_example.dim_customers", "model", "dim_customers",
                patch_path="models/marts/_marts.yml")  # fmt: skip
    model_line, columns = declared_lines(yml.read_text(encoding="utf-8"), node)
    assert model_line == line_of(yml, "- name: dim_customers")
    # `email` is declared by several models: the one under dim_customers is found.
    assert columns["email"] == line_of(yml, "- name: email", after=model_line)
    assert columns["customer_id"] == line_of(yml, "- name: customer_id", after=model_line)


def test_source_table_lines() -> None:
    yml = EXAMPLE / "models" / "staging" / "_sources.yml"
    node = Node("source.headwater_example.shop.products", "source", "products", source_name="shop",
                patch_path="models/staging/_sources.yml")  # fmt: skip
    table_line, columns = declared_lines(yml.read_text(encoding="utf-8"), node)
    assert table_line == line_of(yml, "- name: products")
    assert columns["product_name"] == line_of(yml, "{name: product_name", after=table_line)


def test_locate_points_the_contract_at_the_yaml() -> None:
    node = Node("model.headwater_example.dim_customers", "model", "dim_customers",
                original_file_path="models/marts/dim_customers.sql", patch_path="models/marts/_marts.yml",
                columns={"email": Column("email", data_type="varchar")}, contract=Contract(enforced=True))  # fmt: skip
    located = locate(contract_of(node), node, EXAMPLE)
    assert located.origin.file == "models/marts/_marts.yml" and located.origin.line
    assert located.columns[0].line and located.columns[0].line > located.origin.line
    # Without the project (artifacts only), the .sql path from the manifest stays.
    assert locate(contract_of(node), node, EXAMPLE / "nowhere").origin.file.endswith(".sql")


def test_broken_yaml_is_not_an_error_here() -> None:
    node = Node("model.p.m", "model", "m", patch_path="x.yml")
    assert declared_lines("models: [\n  - name: m\n", node) == (None, {})
