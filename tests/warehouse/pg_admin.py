"""An autocommit admin connection to the test PostgreSQL (127.0.0.1:5432, trust auth, database `test`),
shared by the warehouse and trace tests; skips the test when no server answers."""

from __future__ import annotations

import os
from typing import Any

import pytest


def admin_connection() -> tuple[Any, str]:
    """(connection, user) for whichever of the usual superusers trust auth lets in."""
    psycopg2 = pytest.importorskip("psycopg2")
    for user in ("postgres", "root"):
        try:
            conn = psycopg2.connect(host="127.0.0.1", port=5432, user=user, dbname="test", connect_timeout=3)
            conn.autocommit = True
            return conn, user
        except psycopg2.OperationalError:
            continue
    if os.environ.get("CI", "").lower() == "true":  # in CI an unreachable server is a failure, not a skip
        pytest.fail("no PostgreSQL on 127.0.0.1:5432 (users postgres, root)")
    pytest.skip("no PostgreSQL on 127.0.0.1:5432")
