"""Spark SQL through a SparkSession: the session in this process (a notebook's, a test's), or a local one.

Every statement still passes the guard first (`Warehouse.query`); here it runs as one Spark job group, which a
timer cancels after the timeout (Spark's equivalent of a statement timeout). Point headwater at a cluster
with the usual Spark settings (`SPARK_REMOTE` / `spark.master`), or hand it the session you already have.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Any

from headwater.errors import WarehouseError


def spark_session(master: str) -> Any:
    """The active SparkSession, else a new local one (`master`, e.g. local[2]) without the web UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise WarehouseError("the spark warehouse needs pyspark; pip install pyspark") from err
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    return (
        SparkSession.builder.master(master or "local[2]")
        .appName("headwater")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # its progress bars would interleave with the report
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def spark_catalogs(session: Any) -> frozenset[str]:
    """The catalogs a three-part name may start with here (lower-case): the session's current one, and
    every catalog it lists (Spark 3.4+)."""
    found = {str(session.catalog.currentCatalog()).lower()}
    with contextlib.suppress(Exception):  # an older Spark or a restricted Connect server: the current one
        found |= {str(c.name).lower() for c in session.catalog.listCatalogs()}
    return frozenset(found)


def spark_execute(
    session: Any, sql: str, timeout_seconds: float
) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """Run one (already guarded) query as its own job group; cancel the group when the timeout passes."""
    context = session.sparkContext
    group = f"headwater-{uuid.uuid4().hex[:12]}"
    context.setJobGroup(group, "headwater read-only probe", interruptOnCancel=True)
    cancelled = threading.Event()

    def cancel() -> None:
        cancelled.set()
        context.cancelJobGroup(group)

    timer = threading.Timer(timeout_seconds, cancel)
    timer.start()
    try:
        frame = session.sql(sql)
        rows = frame.collect()
    except Exception as err:
        if cancelled.is_set():  # Py4J's own message only says that collectToPython failed
            raise TimeoutError(f"cancelled after the {timeout_seconds:g} s statement timeout") from err
        raise
    finally:
        timer.cancel()
        context.setLocalProperty("spark.jobGroup.id", None)
    return tuple(frame.columns), tuple(tuple(row) for row in rows)
