"""Warehouse targets from URLs and from dbt profiles, resolved the way dbt resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.errors import ConfigError
from headwater.warehouse.config import from_profile, from_url

PROFILE = """
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('SHOP_DB', 'shop.duckdb') }}"
    pg:
      type: postgres
      host: 127.0.0.1
      port: "{{ env_var('PG_PORT', '5432') | as_number }}"
      user: "{{ env_var('PG_USER') }}"
      password: ""
      dbname: test
      schema: analytics
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(PROFILE)
    return tmp_path


def test_duckdb_path_is_relative_to_the_project(project: Path) -> None:
    config = from_profile(project, environ={})
    assert config.kind == "duckdb"
    assert config.path == str(project / "shop.duckdb")


def test_env_var_is_rendered(project: Path) -> None:
    assert from_profile(project, environ={"SHOP_DB": "/data/x.duckdb"}).path == "/data/x.duckdb"
    pg = from_profile(project, target="pg", environ={"PG_USER": "root", "PG_PORT": "5433"})
    assert (pg.kind, pg.user, pg.port, pg.dbname, pg.schema) == ("postgres", "root", 5433, "test", "analytics")


def test_missing_env_var_names_it(project: Path) -> None:
    with pytest.raises(ConfigError, match="PG_USER"):
        from_profile(project, target="pg", environ={})


def test_profiles_dir_precedence(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("profiles")
    (other / "profiles.yml").write_text(PROFILE.replace("shop.duckdb", "other.duckdb"))
    # --profiles-dir beats DBT_PROFILES_DIR beats the project directory
    assert from_profile(project, other, environ={}).path.endswith("other.duckdb")
    assert from_profile(project, environ={"DBT_PROFILES_DIR": str(other)}).path.endswith("other.duckdb")
    assert from_profile(project, environ={}).path.endswith("shop.duckdb")


def test_unknown_target_suggests_the_closest(project: Path) -> None:
    with pytest.raises(ConfigError, match="Did you mean 'dev'"):
        from_profile(project, target="deev", environ={})


def test_missing_profiles_file(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: x\nprofile: x\n")
    with pytest.raises(ConfigError, match=r"no profiles\.yml"):
        from_profile(tmp_path, profiles_dir=tmp_path, environ={})


@pytest.mark.parametrize(
    ("url", "kind", "where"),
    [
        ("duckdb:///warehouse.duckdb", "duckdb", "warehouse.duckdb"),
        ("duckdb:////tmp/abs.duckdb", "duckdb", "/tmp/abs.duckdb"),
        ("postgresql://root:secret@db.example:6543/test", "postgres", "db.example"),
        ("spark://local[2]", "spark", "local[2]"),
    ],
)
def test_urls(url: str, kind: str, where: str) -> None:
    config = from_url(url)
    assert config.kind == kind
    assert where in (config.path or config.host)
    assert "secret" not in config.describe()


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="duckdb"):
        from_url("duckbd:///x.duckdb")


def test_spark_session_profile_and_the_example_postgres_target(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: s\nprofile: s\n")
    (tmp_path / "profiles.yml").write_text(
        "s:\n  target: dev\n  outputs:\n    dev: {type: spark, method: session, schema: marts, host: x}\n"
        "    odbc: {type: spark, method: odbc, schema: marts, host: x}\n"
    )
    config = from_profile(tmp_path, environ={})
    assert (config.kind, config.dialect, config.schema) == ("spark", "spark", "marts")
    with pytest.raises(ConfigError, match="spark"):
        from_profile(tmp_path, target="odbc", environ={})
    example = Path(__file__).resolve().parents[2] / "dbt_project_example"
    environ = {"HEADWATER_PG_DBNAME": "shopdb", "HEADWATER_PG_PORT": "6543"}
    pg = from_profile(example, target="postgres", environ=environ)
    assert (pg.kind, pg.host, pg.port, pg.user, pg.dbname) == ("postgres", "127.0.0.1", 6543, "root", "shopdb")
