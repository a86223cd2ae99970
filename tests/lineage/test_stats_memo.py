"""A warm `lineage --stats` answered by the memo of its inputs' bytes (`lineage/memo.py`) equals a cold run
after every change to what the run reads: the artifacts' bytes, the catalog's presence, a seed's CSV header
(outside both artifacts), a python model's `meta.headwater` features (outside its file's checksum)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from headwater.cli import _register_commands, app
from headwater.lineage.memo import MEMO_NAME

EXAMPLE = Path(__file__).resolve().parents[2] / "dbt_project_example"
RUN_FIELDS = ("seconds", "cache_hits", "cache_misses")  # what each run measures for itself


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example's artifacts and seeds, in a project of their own (no model store: meta features apply)."""
    (tmp_path / "target").mkdir()
    for name in ("manifest.json", "catalog.json"):
        shutil.copy(EXAMPLE / "target" / name, tmp_path / "target" / name)
    shutil.copytree(EXAMPLE / "seeds", tmp_path / "seeds")
    return tmp_path


def _stats(project: Path, *args: str) -> dict[str, Any]:
    _register_commands()
    result = CliRunner().invoke(app, ["lineage", "--stats", "--format", "json", "--project-dir", str(project), *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = orjson.loads(result.output)
    return data


def _lineage_only(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if k not in RUN_FIELDS}


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


def _seed_from_its_csv(project: Path) -> None:
    """The catalog no longer lists the seed: its columns are its CSV header's (a file neither artifact holds)."""
    _edit_json(project / "target" / "catalog.json", lambda c: c["nodes"].pop("seed.headwater_example.country_codes"))


def _seed_header_renamed(project: Path) -> None:
    csv = project / "seeds" / "country_codes.csv"
    header, rest = csv.read_text().split("\n", 1)
    csv.write_text(",".join(f"renamed_{name}" for name in header.split(",")) + "\n" + rest)


def _python_features_dropped(project: Path) -> None:
    def drop(manifest: dict[str, Any]) -> None:
        node = manifest["nodes"]["model.headwater_example.fraud_predictions"]
        for meta in (node["meta"], node["config"]["meta"]):  # dbt writes both; config's wins
            meta["headwater"]["features"] = meta["headwater"]["features"][:2]

    _edit_json(project / "target" / "manifest.json", drop)


def _catalog_removed(project: Path) -> None:
    (project / "target" / "catalog.json").unlink()


def _as_it_is(project: Path) -> None:
    pass


# (the project before, the edit): each edit changes the lineage (checked, so a memo blind to it fails).
EDITS = {
    "seed_csv_header": (_seed_from_its_csv, _seed_header_renamed),  # no artifact changes: only the CSV
    "python_meta_features": (_as_it_is, _python_features_dropped),
    "catalog_removed": (_as_it_is, _catalog_removed),
}


@pytest.mark.parametrize(("prepare", "edit"), EDITS.values(), ids=EDITS.keys())
def test_warm_stats_follow_every_input(
    project: Path, prepare: Callable[[Path], None], edit: Callable[[Path], None]
) -> None:
    prepare(project)
    before = _stats(project)
    assert _stats(project)["cache_misses"] == 0  # the memo of these very inputs
    edit(project)
    cold = _stats(project, "--no-cache")
    assert _lineage_only(cold) != _lineage_only(before), "the edit did not change the lineage: the test sees nothing"
    warm = _stats(project)
    assert _lineage_only(warm) == _lineage_only(cold)
    assert _lineage_only(_stats(project)) == _lineage_only(cold)  # and the memo written for the new inputs


def test_rewritten_artifacts_with_the_same_meaning_miss_the_memo_and_hit_the_summary(project: Path) -> None:
    first = _stats(project)
    memo = (project / "target" / "headwater" / MEMO_NAME).read_bytes()
    _edit_json(project / "target" / "manifest.json", lambda m: m["metadata"].update(generated_at="2030-01-01"))
    again = _stats(project)
    assert _lineage_only(again) == _lineage_only(first)
    assert again["cache_misses"] == 0  # from the summary: nothing re-analysed
    assert (project / "target" / "headwater" / MEMO_NAME).read_bytes() != memo  # keyed by the new bytes now


def test_a_memo_hit_parses_neither_artifact(project: Path) -> None:
    code = (
        "import sys\nfrom headwater.cli import main\ntry:\n"
        f"    main(['lineage', '--stats', '--format', 'json', '--project-dir', {str(project)!r}])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('headwater.dbt.loader' in sys.modules, file=sys.stderr)"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True) for _ in "ab"]
    assert [r.stderr.split()[-1] for r in runs] == ["True", "False"]
    first, second = (_lineage_only(orjson.loads(r.stdout)) for r in runs)
    assert first == second


def test_a_tampered_memo_is_not_trusted(project: Path) -> None:
    first = _stats(project)
    _edit_json(project / "target" / "headwater" / MEMO_NAME, lambda d: d["stats"].update(edges=-1))
    _edit_json(project / "target" / "headwater" / MEMO_NAME, lambda d: d.update(key="another"))
    assert _lineage_only(_stats(project)) == _lineage_only(first)
