"""`--notify URL` posts the incident summary to a webhook; a dead webhook changes nothing but a warning."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.feeds.conftest import GxRun

pytestmark = pytest.mark.slow


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Hook.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", _Hook.received
    finally:
        server.shutdown()
        server.server_close()


def _trace(gx_run: GxRun, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "headwater.cli", "trace", str(gx_run.full_result), "--project-dir", str(gx_run.project),
         "--no-history", "--format", "json", *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def _verdicts(stdout: str) -> list[tuple[str, str, list[str]]]:
    report = json.loads(stdout)
    return [(f["node"], f["verdict"], [c["summary"] for c in f["root_causes"]]) for f in report["failures"]]


def test_webhook_receives_text_and_structured_incidents(
    gx_run: GxRun, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    done = _trace(gx_run, "--notify", url)
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert len(received) == 1 and received[0]["type"] == "application/json"
    body = received[0]["body"]
    assert report["incidents"] and body["headwater"]["incidents"] == report["incidents"]
    assert report["incidents"][0]["cause"]["summary"] in body["text"]
    assert body["headwater"]["exit_code"] == done.returncode


def test_dead_webhook_keeps_the_report_and_the_exit_code(gx_run: GxRun) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    plain = _trace(gx_run)
    notified = _trace(gx_run, "--notify", dead)
    assert notified.returncode == plain.returncode
    assert _verdicts(notified.stdout) == _verdicts(plain.stdout)  # (probe timings differ run to run)
    assert f"--notify {dead} failed" in notified.stderr
