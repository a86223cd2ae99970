"""The progress line shows only to a person at a terminal: never into a pipe, a file or beside JSON logs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

import pytest

from headwater.feeds.progress import wanted
from headwater.feeds.sinks import install


@pytest.fixture
def terminal() -> Iterator[IO[str]]:
    leader, follower = os.openpty()
    stream = os.fdopen(follower, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(leader)


def test_progress_only_when_both_streams_are_terminals(terminal: IO[str]) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as pipe:
        assert wanted("text", (terminal, terminal))
        assert not wanted("json", (terminal, terminal))
        assert not wanted("text", (pipe, terminal))  # `headwater trace … > report.txt`
        assert not wanted("text", (terminal, pipe))
    os.close(read)


def test_no_progress_under_pytest_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    sinks = install("trace")
    try:
        assert sinks.progress is None and sinks.handlers == []
    finally:
        sinks.finish(0)
