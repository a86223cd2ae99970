"""Shortcuts of the lineage run that must give what the long way gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
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


def test_the_reused_parser_keeps_no_model_alive_and_parses_as_parse_one() -> None:
    """`_parse_one` reuses one tokenizer and parser per dialect: after each model neither may still hold its
    tokens (the young collection that frees the tree would walk them), and each parse is sqlglot's own."""
    import sqlglot

    from headwater.lineage import analyze

    models = [
        'with s as (select "Id", amount::int as amount from raw.orders) select * from s where amount > 0',
        "select a.x, b.y from a join b using (k) qualify row_number() over (partition by a.x order by b.y) = 1",
    ]
    for sql in models:
        assert analyze._parse_one(sql, "duckdb") == sqlglot.parse_one(sql, dialect="duckdb")
        tokenizer, parser = analyze._READERS.by_dialect["duckdb"]
        assert tokenizer.tokens == [] and tokenizer.sql == ""
        assert parser._tokens == [] and parser.sql == ""


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None, database=None)
def test_folding_lowers_ascii_letters_only_where_the_dialect_does(name: str) -> None:
    """DuckDB and PostgreSQL fold A-Z alone (`Ü` stays); sqlglot's UNICODE and Snowflake's fold every letter."""
    from headwater.lineage.names import INSENSITIVE, LOWER, UNICODE_INSENSITIVE, UPPER, fold

    ascii_only = "".join(c.lower() if "A" <= c <= "Z" else c for c in name)
    assert fold(name, INSENSITIVE) == fold(name, LOWER) == ascii_only
    assert fold(name, UNICODE_INSENSITIVE) == fold(name, UPPER) == name.lower()
