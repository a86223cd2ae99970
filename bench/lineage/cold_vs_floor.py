"""Whole `headwater lineage` processes against the floor process, side by side in one run.

Every round runs each command once, in an order that rotates from round to round (so drift in the load of
the shared machine spreads over all of them); the table gives medians over the rounds. Each command is one
child process, start-up and imports included; its CPU is user + system from `os.wait4`, its wall time is
measured around it.

- floor: a Python process that imports only orjson and sqlglot, loads manifest.json and catalog.json and
  calls `sqlglot.parse_one` on every model's compiled_code with the manifest's dialect: the least any
  sqlglot-based lineage must do.
- cold, 1 process: `headwater lineage --target-path T --stats --format json --no-cache --jobs 1`.
- cold, default: the same without `--jobs` (one worker per CPU); compared with the floor in wall time.
- json load: a Python process that imports orjson and loads the two files.
- references (what any lineage built on sqlglot's scopes must spend, before resolving a single column): the
  floor's process with one tokenizer and parser reused and one young GC per model, as headwater parses
  ("parse, reused"); the same plus `build_scope` of every tree ("parse + scopes"); and that in one forked worker
  per CPU after the load, as headwater's default run forks ("parse + scopes, one worker per CPU", wall time).
- warm: `headwater lineage --target-path T --stats --format json --cache-dir C`, C filled beforehand: the
  same inputs as the run that filled it, answered by the memo of their bytes (`lineage/memo.py`).
- warm, summary: the same after `C/inputs.json` is deleted (outside the timing), as when dbt has rewritten the
  manifest since (a new `generated_at`): both artifacts are parsed, the summary of their content answers.

    python bench/lineage/cold_vs_floor.py --corpus ../shared/corpora/jaffle_shop_expand --rounds 7 --write-docs
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Cold lineage against the floor"
MEMO = "inputs.json"  # headwater.lineage.memo.MEMO_NAME (not imported: the "before" src may lack it)

FLOOR = """
import sys
from pathlib import Path
import orjson
import sqlglot
folder = Path(sys.argv[1])
manifest = orjson.loads((folder / "manifest.json").read_bytes())
orjson.loads((folder / "catalog.json").read_bytes())
dialect = manifest["metadata"].get("adapter_type")
for node in manifest["nodes"].values():
    if node.get("resource_type") in ("model", "snapshot") and node.get("compiled_code"):
        sqlglot.parse_one(node["compiled_code"], dialect=dialect)
"""

# The references: the floor's process, parsing as headwater does (`lineage/analyze._parse_one`: one tokenizer and
# parser per dialect, reset after each model; `build.gc_frozen` + `collect_tree`: automatic GC off, one young
# collection per model).
REFERENCE = """
import gc
import multiprocessing
import sys
from pathlib import Path
import orjson
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.scope import build_scope
folder, scopes, workers = Path(sys.argv[1]), sys.argv[2] == "scopes", int(sys.argv[3])
manifest = orjson.loads((folder / "manifest.json").read_bytes())
orjson.loads((folder / "catalog.json").read_bytes())
dialect = Dialect.get_or_raise(manifest["metadata"].get("adapter_type"))
tokenizer, parser = dialect.tokenizer(), dialect.parser()
sqls = [
    node["compiled_code"]
    for node in manifest["nodes"].values()
    if node.get("resource_type") in ("model", "snapshot") and node.get("compiled_code")
]
def analyse(part):
    for sql in part:
        tree = parser.parse(tokenizer.tokenize(sql), sql)[0]
        parser.reset()
        tokenizer.tokenize("")
        if scopes:
            build_scope(tree)
        del tree
        gc.collect(0)
    return len(part)
analyse(sqls[:1])
gc.freeze()
gc.disable()
if workers == 1:
    analyse(sqls[1:])
else:
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        rest = sqls[1:]
        pool.map(analyse, [rest[i::workers * 8] for i in range(workers * 8)])  # 8 shares per worker
"""

JSON_LOAD = """
import sys
from pathlib import Path
import orjson
folder = Path(sys.argv[1])
orjson.loads((folder / "manifest.json").read_bytes())
orjson.loads((folder / "catalog.json").read_bytes())
"""


Command = tuple[list[str], dict[str, str] | None, Path | None]  # argv, environment (None: this one), a file
# to delete before the run (outside its timing)


def run(command: Command) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system)."""
    cmd, env, remove = command
    if remove is not None:
        remove.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr is not None else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(corpus: Path, cache_dir: Path, compare_src: Path | None) -> dict[str, Command]:
    headwater = str(Path(sys.executable).with_name("headwater"))
    base = [headwater, "lineage", "--target-path", str(corpus), "--stats", "--format", "json"]
    found: dict[str, Command] = {
        "floor": ([sys.executable, "-c", FLOOR, str(corpus)], None, None),
        "cold_1": ([*base, "--no-cache", "--jobs", "1"], None, None),
        "cold_default": ([*base, "--no-cache"], None, None),
        "json_load": ([sys.executable, "-c", JSON_LOAD, str(corpus)], None, None),
        "parse_reused": ([sys.executable, "-c", REFERENCE, str(corpus), "parse", "1"], None, None),
        "parse_scopes": ([sys.executable, "-c", REFERENCE, str(corpus), "scopes", "1"], None, None),
        "parse_scopes_workers": (
            [sys.executable, "-c", REFERENCE, str(corpus), "scopes", str(os.cpu_count() or 1)],
            None,
            None,
        ),
        "warm": ([*base, "--cache-dir", str(cache_dir / "now")], None, None),
        "warm_summary": ([*base, "--cache-dir", str(cache_dir / "summary")], None, cache_dir / "summary" / MEMO),
    }
    if compare_src is not None:  # another checkout's src/ (e.g. `git archive HEAD src`): before/after
        env = {**os.environ, "PYTHONPATH": str(compare_src)}
        found["cold_1_before"] = ([*base, "--no-cache", "--jobs", "1"], env, None)
        found["cold_default_before"] = ([*base, "--no-cache"], env, None)
        found["warm_before"] = ([*base, "--cache-dir", str(cache_dir / "before")], env, None)
    return found


def measure(corpus: Path, rounds: int, compare_src: Path | None) -> dict[str, dict[str, float]]:
    # Bytecode of the sources measured, as pip leaves it for an installed package (and for sqlglot and orjson
    # here): an editable install under PYTHONDONTWRITEBYTECODE would otherwise compile headwater on every run.
    for src in (ROOT / "src", compare_src):
        if src is not None:
            compileall.compile_dir(src, quiet=1)
    cache_dir = Path(tempfile.mkdtemp(prefix="hw-bench-cache-"))
    try:
        cmds = commands(corpus, cache_dir, compare_src)
        for name in ("warm", "warm_summary", "warm_before"):  # fills the caches the warm runs read
            if name in cmds:
                run(cmds[name])
        names = list(cmds)
        samples: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
        for i in range(rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                samples[name].append(run(cmds[name]))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return {
        n: {"wall": statistics.median(w for w, _ in s), "cpu": statistics.median(c for _, c in s)}
        for n, s in samples.items()
    }


def render(corpus: Path, rounds: int, m: dict[str, dict[str, float]], load: tuple[float, float]) -> str:
    f, c1, cd, j, w, ws = (m[k] for k in ("floor", "cold_1", "cold_default", "json_load", "warm", "warm_summary"))
    pr, ps, pw = (m[k] for k in ("parse_reused", "parse_scopes", "parse_scopes_workers"))
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    compare = "--compare-src <src/ of the previous commit> " if "cold_1_before" in m else ""
    rows = [
        ("floor process (orjson + sqlglot.parse_one of every model)", f, ""),
        ("`lineage --stats --no-cache --jobs 1`", c1, f"{c1['cpu'] / f['cpu']:.2f}x floor CPU (target <= 1.15x)"),
        (
            f"`lineage --stats --no-cache` (one worker per CPU, {os.cpu_count()} CPUs)",
            cd,
            f"{cd['wall'] / f['wall']:.2f}x floor wall (target <= 0.75x)",
        ),
        (
            "reference: parse, reused (one tokenizer and parser, one young GC per model)",
            pr,
            f"{pr['cpu'] / f['cpu']:.2f}x floor CPU",
        ),
        ("reference: parse + scopes (and `build_scope` of every tree)", ps, f"{ps['cpu'] / f['cpu']:.2f}x floor CPU"),
        (
            f"reference: parse + scopes, one worker per CPU ({os.cpu_count()})",
            pw,
            f"{pw['wall'] / f['wall']:.2f}x floor wall",
        ),
        ("JSON load process (orjson, manifest + catalog)", j, ""),
        (
            "`lineage --stats` warm (cache filled)",
            w,
            f"{w['cpu'] / j['cpu']:.2f}x JSON-load CPU, {w['wall'] / j['wall']:.2f}x wall (target <= 1.2x)",
        ),
        (
            "`lineage --stats` warm, manifest rewritten since (summary)",
            ws,
            f"{ws['cpu'] / j['cpu']:.2f}x JSON-load CPU",
        ),
    ]
    if "cold_1_before" in m:
        b1, bd, bw = m["cold_1_before"], m["cold_default_before"], m["warm_before"]
        rows += [
            ("before: `--no-cache --jobs 1`", b1, f"{b1['cpu'] / f['cpu']:.2f}x floor CPU"),
            ("before: `--no-cache` (one worker per CPU)", bd, f"{bd['wall'] / f['wall']:.2f}x floor wall"),
            ("before: warm", bw, f"{bw['cpu'] / j['cpu']:.2f}x JSON-load CPU"),
        ]
    lines = [
        SECTION,
        "",
        f"Command: `python bench/lineage/cold_vs_floor.py --corpus {os.path.relpath(corpus, ROOT)} --rounds {rounds} "
        f"{compare}--write-docs`; {stamp}; load average {load[0]:.1f} before, {load[1]:.1f} after. Whole processes, "
        "start-up included, run in rotating order, medians of the rounds; CPU is user + system of the child "
        "(`os.wait4`).",
        "",
        "| process | wall | CPU | ratio |",
        "|---|---|---|---|",
        *(f"| {label} | {r['wall']:.2f} s | {r['cpu']:.2f} s | {ratio} |" for label, r, ratio in rows),
    ]
    return "\n".join(lines) + "\n"


def write_docs(section: str) -> None:
    text = DOCS.read_text()
    start = text.find(SECTION + "\n")
    if start < 0:
        DOCS.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + len(SECTION))
    rest = text[end + 1 :] if end >= 0 else ""
    DOCS.write_text(text[:start] + section + ("\n" + rest if rest else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "jaffle_shop_expand")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--notes", default="", help="A paragraph to print under the table (e.g. the profile).")
    parser.add_argument("--compare-src", type=Path, help="Also run headwater from this src/ directory (before).")
    args = parser.parse_args()
    if args.rounds < 5:
        raise SystemExit("--rounds must be at least 5 (medians of at least five runs)")
    before = os.getloadavg()[0]
    medians = measure(args.corpus.resolve(), args.rounds, args.compare_src)
    section = render(args.corpus.resolve(), args.rounds, medians, (before, os.getloadavg()[0]))
    if args.notes:
        section += "\n" + args.notes.strip() + "\n"
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
