"""Analyse a batch of models in this process or in forked worker processes.

Workers are forked, so they inherit the manifest, the schema book and the analyser without pickling
them; only node ids go out and compact `RawLineage` tuples come back. Where `fork` is not available
(or the batch is small) the batch runs here.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Sequence
from typing import Protocol

from headwater.lineage.compact import RawLineage

MIN_PARALLEL = 64  # below this, starting processes costs more than it saves
_ANALYSER: Analyser | None = None


class Analyser(Protocol):
    def analyse_id(self, node_id: str, fallback: tuple[str, ...]) -> RawLineage: ...


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    analyser: Analyser, batch: Sequence[tuple[str, tuple[str, ...], str]], workers: int | None
) -> list[RawLineage]:
    count = default_workers() if workers is None else max(1, workers)
    count = min(count, len(batch) // (MIN_PARALLEL // 2) or 1)
    if count <= 1 or len(batch) < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return [analyser.analyse_id(node_id, fallback) for node_id, fallback, _ in batch]
    # The first model is analysed here: it imports the dialect's parser and generator modules and fills
    # sqlglot's lazy tables once, before the fork, instead of once in every worker.
    first_id, first_fallback, _ = batch[0]
    first = analyser.analyse_id(first_id, first_fallback)
    global _ANALYSER
    _ANALYSER = analyser
    # Everything alive now goes to the collector's permanent generation: a worker's young collections
    # (`build.collect_tree`) then never walk, and so never copy, the pages it shares with this process.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            tasks = [(node_id, fallback) for node_id, fallback, _ in batch[1:]]
            return [first, *pool.starmap(_work, tasks, chunksize=max(1, len(tasks) // (count * 8)))]
    finally:
        _ANALYSER = None


def _work(node_id: str, fallback: tuple[str, ...]) -> RawLineage:
    assert _ANALYSER is not None
    return _ANALYSER.analyse_id(node_id, fallback)
