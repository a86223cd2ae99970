"""Render a TraceResult in one of the formats `headwater trace --format` offers."""

from __future__ import annotations

from headwater.errors import ConfigError, suggest
from headwater.trace.model import TraceResult

FORMATS = ("text", "json", "md", "html")


def render_trace(result: TraceResult, fmt: str = "text", sql: bool = False) -> str:
    if fmt == "text":
        from headwater.report.trace_text import render as text

        return text(result, sql)
    if fmt == "json":
        from headwater.report.trace_json import render as as_json

        return as_json(result)
    if fmt in ("md", "markdown"):
        from headwater.report.trace_md import render as md

        return md(result)
    if fmt == "html":
        from headwater.report.build import build_report
        from headwater.report.trace_html import render as html

        return html(build_report(result))
    raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}" + suggest(fmt, FORMATS))
