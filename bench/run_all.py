"""`make bench`: every benchmark, one after the other, at the sizes docs/benchmarks.md reports.

Each script prints its own table; `--write-docs` scripts rewrite their section of docs/benchmarks.md.
The full set takes a while (10M-row builds, dbt-colibri in its own venv); pass `--quick` for small sizes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only (a few minutes)")
    quick = parser.parse_args().quick
    rows = "100000" if quick else "10000000"
    runs = [
        [str(BENCH / "lineage" / "run.py"), "--sizes", "1000", *([] if quick else ["10000"])],
        [str(BENCH / "trace" / "accuracy.py"), "--rows", "40000" if quick else rows],
        [str(BENCH / "trace" / "memory_accuracy.py"), "--rows", "40000", "--write-docs"],
        [str(BENCH / "history" / "snapshot_cost.py"), "--write-docs"],
        [str(BENCH / "contracts" / "measure.py"), "--rows", rows],
        [str(BENCH / "gx" / "measure.py"), "--rows", rows],
    ]
    failed = 0
    for args in runs:
        print(f"\n$ {Path(sys.executable).name} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
