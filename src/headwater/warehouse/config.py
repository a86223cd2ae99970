"""Where the warehouse is: a dbt profile target or a URL, normalised once into a WarehouseConfig.

Profiles are resolved as dbt resolves them: `--profiles-dir`, then `DBT_PROFILES_DIR`, then the project
directory, then `~/.dbt`; `env_var()` in profiles.yml is rendered; a DuckDB `path` is relative to the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from headwater.errors import ConfigError, suggest

DEFAULT_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class WarehouseConfig:
    """A read-only connection target. `kind` is "duckdb", "postgres" or "spark" (a SparkSession: `host` is its
    master, e.g. local[2]); `dialect` is the sqlglot dialect."""

    kind: str
    path: str = ""  # DuckDB file
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""
    schema: str = ""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def dialect(self) -> str:
        return {"duckdb": "duckdb", "spark": "spark"}.get(self.kind, "postgres")

    def describe(self) -> str:
        """Where, without the password (for messages)."""
        if self.kind == "duckdb":
            return f"duckdb:///{self.path}"
        if self.kind == "spark":
            return f"spark://{self.host}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def from_url(url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> WarehouseConfig:
    """`duckdb:///relative/or/absolute.duckdb`, `duckdb:////abs.duckdb`, `postgresql://user:pw@host:port/db`."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "spark":  # spark://local[2]: the active SparkSession, else a local one with that master
        return WarehouseConfig(kind="spark", host=url.split("://", 1)[1] or "local[2]", timeout_seconds=timeout_seconds)
    parsed = urlparse(url)
    if scheme == "duckdb":
        # duckdb:///a.duckdb -> "a.duckdb" (relative); duckdb:////tmp/a.duckdb -> "/tmp/a.duckdb"
        path = unquote(url.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError(f"--warehouse {url!r} names no DuckDB file; use duckdb:///path/to/file.duckdb")
        return WarehouseConfig(kind="duckdb", path=path, timeout_seconds=timeout_seconds)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        return WarehouseConfig(
            kind="postgres",
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            dbname=parsed.path.lstrip("/"),
            timeout_seconds=timeout_seconds,
        )
    raise ConfigError(
        f"--warehouse {url!r} has an unsupported scheme {scheme!r}; use duckdb:///file, postgresql://… or spark://…"
        + suggest(scheme, ["duckdb", "postgresql", "spark"])
    )


def _yaml(text: str) -> Any:
    """Safe YAML, parsed by libyaml when PyYAML has it (about 10x faster: it is on every trace's path)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def profiles_dir_for(project_dir: Path, profiles_dir: Path | None, environ: Mapping[str, str]) -> Path:
    """The directory holding profiles.yml, in dbt's order of precedence."""
    candidates: list[Path] = []
    if profiles_dir is not None:
        candidates.append(profiles_dir)
    elif environ.get("DBT_PROFILES_DIR"):
        candidates.append(Path(environ["DBT_PROFILES_DIR"]))
    else:
        candidates += [project_dir, Path.home() / ".dbt"]
    for folder in candidates:
        if (folder / "profiles.yml").is_file():
            return folder
    where = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"no profiles.yml found in {where}; pass --profiles-dir or --warehouse URL")


def _render(value: Any, environ: Mapping[str, str]) -> Any:
    """Render Jinja (env_var, as_number, …) in every string of a profile, as dbt does."""
    if isinstance(value, dict):
        return {k: _render(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, environ) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    import jinja2

    def env_var(name: str, default: str | None = None) -> str:
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"profiles.yml uses env_var({name!r}) but it is not set; export it or add a default")

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = env_var
    env.filters["as_number"] = lambda v: float(v) if "." in str(v) else int(v)
    env.filters["as_bool"] = lambda v: str(v).lower() in ("1", "true", "yes")
    env.filters["as_text"] = str
    rendered = env.from_string(value).render()
    return rendered


def from_profile(
    project_dir: Path,
    profiles_dir: Path | None = None,
    target: str | None = None,
    environ: Mapping[str, str] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> WarehouseConfig:
    """The warehouse of a dbt project's profile target."""
    environ = os.environ if environ is None else environ
    project_file = project_dir / "dbt_project.yml"
    if not project_file.is_file():
        raise ConfigError(f"no dbt_project.yml in {project_dir}; pass --project-dir of a dbt project")
    project = _yaml(project_file.read_text()) or {}
    profile_name = str(_render(project.get("profile", ""), environ))
    folder = profiles_dir_for(project_dir, profiles_dir, environ)
    profiles = _yaml((folder / "profiles.yml").read_text()) or {}
    if profile_name not in profiles:
        raise ConfigError(
            f"profile {profile_name!r} is not in {folder / 'profiles.yml'}" + suggest(profile_name, profiles)
        )
    profile = profiles[profile_name] or {}
    outputs = profile.get("outputs") or {}
    target_name = target or environ.get("DBT_TARGET") or str(_render(profile.get("target", "dev"), environ))
    if target_name not in outputs:
        raise ConfigError(
            f"target {target_name!r} is not in profile {profile_name!r} (targets: {', '.join(outputs) or 'none'})."
            + suggest(target_name, outputs)
        )
    output: dict[str, Any] = _render(outputs[target_name], environ)
    kind = str(output.get("type", "")).lower()
    if kind == "duckdb":
        path = str(output.get("path", ""))
        if not path or path == ":memory:":
            raise ConfigError(f"target {target_name!r} is an in-memory DuckDB; pass --warehouse duckdb:///file")
        resolved = Path(path) if Path(path).is_absolute() else project_dir / path
        return WarehouseConfig(kind="duckdb", path=str(resolved), timeout_seconds=timeout_seconds)
    if kind in ("postgres", "postgresql"):
        return WarehouseConfig(
            kind="postgres",
            host=str(output.get("host", "127.0.0.1")),
            port=int(output.get("port", 5432)),
            user=str(output.get("user", "")),
            password=str(output.get("password", output.get("pass", ""))),
            dbname=str(output.get("dbname", output.get("database", ""))),
            schema=str(output.get("schema", "")),
            timeout_seconds=timeout_seconds,
        )
    if kind == "spark" and str(output.get("method", "")).lower() == "session":
        return WarehouseConfig(kind="spark", host="local[2]", schema=str(output.get("schema", "")),
                               timeout_seconds=timeout_seconds)
    raise ConfigError(
        f"target {target_name!r} has adapter type {kind!r}; headwater reads duckdb, postgres and spark (session) "
        "(pass --warehouse URL for another)"
    )
