"""Shortcuts of the lineage run that must give what the long way gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlglot.dialects.dialect import Dialects

from headwater.lineage.schemas import BUILTIN_DIALECTS, sqlglot_dialect


def test_every_builtin_dialect_is_one_of_the_installed_sqlglot() -> None:
    installed = set(Dialects._value2member_map_)
    assert installed >= BUILTIN_DIALECTS, sorted(BUILTIN_DIALECTS - installed)
    assert all(sqlglot_dialect(name) == name for name in installed)  # the rest through sqlglot itself


def test_a_warm_stats_run_never_imports_sqlglot(example_template: Path, tmp_path: Path) -> None:
    target = example_template / "target"
    cache = tmp_path / "cache"
    code = (
        "import sys\nfrom headwater.cli import main\ntry:\n"
        f"    main(['lineage', '--stats', '--format', 'json', '--target-path', {str(target)!r}, "
        f"'--cache-dir', {str(cache)!r}])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('sqlglot' in sys.modules, file=sys.stderr)"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True) for _ in "ab"]
    assert [r.stderr.split()[-1] for r in runs] == ["True", "False"]  # cold analyses; warm reads the summary
    assert runs[0].stdout.replace('"cache_hits": 0', "") != runs[1].stdout  # the warm one says it hit the cache


def test_the_cache_reads_installed_versions_as_importlib_metadata_does() -> None:
    from importlib import metadata

    from headwater.lineage.cache import installed_version

    for package in ("sqlglot", "orjson", "typer", "networkx", "pip", "headwater"):  # headwater: editable
        assert installed_version(package) == metadata.version(package), package
