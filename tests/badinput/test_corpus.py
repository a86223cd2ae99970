"""Every generated bad-input case ends in a result or in one HeadwaterError line; never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from headwater.errors import EXIT_USAGE, HeadwaterError
from tests.badinput.corpus import Case, generate, run_pipeline

CASES = generate()


def _write(case: Case, directory: Path) -> Path:
    (directory / "manifest.json").write_bytes(case.manifest)
    if case.catalog is not None:
        (directory / "catalog.json").write_bytes(case.catalog)
    return directory


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_ends_in_a_result_or_one_line(case: Case, tmp_path: Path) -> None:
    try:
        stats = run_pipeline(_write(case, tmp_path))
    except HeadwaterError as err:
        message = str(err)
        assert "\n" not in message and message, case.id
        assert err.exit_code == EXIT_USAGE  # bad artifacts are a usage/config error
        assert any(fix in message for fix in ("dbt", "regenerate", "break it")), message  # says what to do
    else:
        assert stats.resolved + stats.unknown + stats.unresolved_upstream == stats.columns


def _case(name: str) -> Case:
    return next(c for c in CASES if c.id == name)


def test_broken_sql_gives_unknown_edges_with_the_reason(tmp_path: Path) -> None:
    stats = run_pipeline(_write(_case("sql-jinja-block"), tmp_path))
    assert stats.models_failed == 1 and "jinja remnant" in stats.unknown_reasons


def test_mistyped_key_names_the_item(tmp_path: Path) -> None:
    with pytest.raises(HeadwaterError, match=r"nodes\['model\.[^']+'\]\.columns is a list, not an object"):
        run_pipeline(_write(_case("nodes-columns-list"), tmp_path))


@pytest.mark.parametrize("name", ["nodes-depends_on-list", "catalog-table-columns-str", "truncated-manifest-5"])
def test_cli_prints_one_line_and_exits_2(name: str, tmp_path: Path) -> None:
    target = _write(_case(name), tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "lineage", "--stats", "--no-cache", "--target-path", str(target)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("Error:") and "run with --debug" in lines[-1].lower()
    assert len(lines) == 2, done.stderr
