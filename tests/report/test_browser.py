"""The HTML report in a real browser: Debian's Chromium, headless, renders the self-contained page of a fault
traced against the last good state; the DOM it built holds the root cause sentence, the SVG path with the
broken node highlighted and the timeline, and the screenshot is kept in the test's folder.

Chromium is installed here when it is missing (apt, as root); under CI=true a failed install fails the test,
elsewhere it is a visible skip."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from headwater.example.faults import FAULTS
from headwater.history.snapshot import SnapshotOptions, record_snapshot
from headwater.report.build import build_report
from headwater.report.trace import render_trace
from headwater.trace import trace
from tests.trace.faultcases import validation_result

pytestmark = pytest.mark.slow

FAULT = "product_price_unit_dropped"  # a code fault: the history gives a timeline and a diff


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is not installed and could not be installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def headless(browser: str, *args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={profile}", *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def test_html_report_renders_in_chromium(
    faulted_example: Callable[[str], Path], example_template: Path, tmp_path: Path
) -> None:
    browser = chromium()
    history = f"duckdb:///{tmp_path / 'history.duckdb'}"
    record_snapshot(SnapshotOptions(project_dir=example_template, history=history))
    result = trace(validation_result(FAULTS[FAULT]), project_dir=faulted_example(FAULT), history=history)
    (incident,) = build_report(result).incidents
    assert incident.timeline, "the history gives the incident a timeline"

    page = tmp_path / "report.html"
    page.write_text(render_trace(result, "html"))
    source = page.read_text()
    # self-contained: nothing is fetched from anywhere (no scripts at all, no remote src/href/url())
    assert "<script" not in source.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", source, re.I)

    screenshot = tmp_path / "report.png"
    headless(browser, f"--screenshot={screenshot}", "--window-size=1280,2200", page.as_uri(), profile=tmp_path / "p1")
    assert screenshot.stat().st_size > 10_000  # a real picture, not an empty canvas
    dom = html.unescape(headless(browser, "--dump-dom", page.as_uri(), profile=tmp_path / "p2").stdout)

    root = re.search(r'<p class="root" id="root-cause-1">(.*?)</p>', dom, re.S)
    assert root is not None  # names quoted in backticks are shown as <code>
    sentence = re.sub(r"</?code>", "`", root.group(1))
    assert " ".join(sentence.split()) == " ".join(incident.root_cause.split())
    svg = re.search(r"<svg.*?</svg>", dom, re.S)
    assert svg is not None
    broken = re.findall(r'<g class="node broken"[^>]*>.*?</g>', svg.group(0), re.S)
    assert len(broken) == 1 and incident.label in broken[0], broken
    assert re.search(r'class="edge broken"', svg.group(0))
    timeline = re.search(r'<table class="timeline" id="timeline-1">(.*?)</table>', dom, re.S)
    assert timeline is not None
    rows = re.findall(r"<tr>(.*?)</tr>", timeline.group(1), re.S)
    assert len(rows) - 1 == len(incident.timeline), rows[:3]
    kinds = [re.findall(r"<td>(.*?)</td>", row, re.S)[1] for row in rows[1:]]
    assert kinds == [e.kind for e in incident.timeline] and "code" in kinds  # in the report's (time) order
