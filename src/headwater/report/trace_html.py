"""The report as one self-contained HTML page: inline CSS and SVG, no script, font or request to anywhere
(a page pasted into a ticket or opened offline reads the same). Jinja2 with autoescaping: every string from
the data is escaped. The lineage path is drawn as SVG, the broken node and the edge out of it highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from headwater.report.build import failing_chain
from headwater.report.names import readable

if TYPE_CHECKING:
    from headwater.report.model import Chart, Hop, IncidentReport, Report

NODE_W, NODE_H, GAP, PAD = 420, 44, 34, 12
BAR_W, BAR_H, LABEL_W = 200, 18, 230


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    title: str
    detail: str
    broken: bool


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int
    broken: bool


@dataclass(frozen=True)
class Lineage:
    width: int
    height: int
    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class BarRow:
    y: int
    label: str
    width: int
    text: str


@dataclass(frozen=True)
class ChartView:
    title: str
    width: int
    height: int
    rows: tuple[BarRow, ...]


def lineage(incident: IncidentReport) -> Lineage:
    """The failing hops drawn upstream first (data flows down): the cause on top, the failed check at the
    bottom; the cause's box and the edge leaving it carry class `broken`. The cause's inputs that the walk
    checked and found not to blame (passing, or failing the same way in the last good state) sit above it."""
    cause_node = next((h for h in incident.path if h.is_cause), None)
    chain = failing_chain(incident.path)
    items = [(f"{h.label}.{h.column}", readable(f"{h.check}: {h.observed or h.result}"), h.is_cause) for h in chain]
    if cause_node is None:  # the cause sits past the last re-run check (a join, a diff)
        items.append((f"{incident.label}.{incident.column}", f"{incident.mechanism} at {incident.location}", True))
    items.reverse()
    inputs = _inputs(incident, chain)
    top = PAD + (NODE_H + GAP if inputs else 0)
    boxes = tuple(Box(PAD, top + i * (NODE_H + GAP), t, d, b) for i, (t, d, b) in enumerate(items))
    lines = tuple(
        Line(PAD + NODE_W // 2, a.y + NODE_H, PAD + NODE_W // 2, b.y - 4, a.broken) for a, b in pairwise(boxes)
    )
    above = tuple(Box(PAD + k * (NODE_W + GAP), PAD, t, d, False) for k, (t, d) in enumerate(inputs))
    into = tuple(Line(b.x + NODE_W // 2, b.y + NODE_H, PAD + NODE_W // 2, top - 4, False) for b in above)
    rows = len(boxes) + (1 if inputs else 0)
    width = PAD * 2 + max(len(above), 1) * NODE_W + max(len(above) - 1, 0) * GAP
    return Lineage(width, PAD * 2 + rows * NODE_H + max(rows - 1, 0) * GAP, above + boxes, into + lines)


def _inputs(incident: IncidentReport, chain: list[Hop], limit: int = 2) -> list[tuple[str, str]]:
    """The cause's inputs the walk re-checked after it (the last verdict on each wins: a history comparison
    after the probe), as (title, detail), at most `limit`."""
    walked = [h.is_cause for h in incident.path]
    after = incident.path[walked.index(True) + 1 :] if True in walked else ()
    seen = {(h.node, h.column) for h in chain}
    found: dict[tuple[str, str], Hop] = {}
    for hop in after:
        if (hop.node, hop.column) not in seen:
            found[(hop.node, hop.column)] = hop
    return [(f"{h.label}.{h.column}", readable(f"{h.result}: {h.observed}")) for h in list(found.values())[:limit]]


def chart_view(chart: Chart) -> ChartView:
    top = max((b.value for b in chart.bars), default=0.0)
    scale = 1.0 if chart.unit == "%" and top <= 1.0 else (top or 1.0)
    rows = tuple(
        BarRow(
            PAD + i * (BAR_H + 8),
            bar.label,
            max(1, round(BAR_W * bar.value / scale)) if bar.value else 0,
            f"{bar.value:.2%}" if chart.unit == "%" else f"{bar.value:,.6g}",
        )  # the title names the metric
        for i, bar in enumerate(chart.bars)
    )
    return ChartView(chart.title, LABEL_W + BAR_W + 120, PAD * 2 + len(rows) * (BAR_H + 8), rows)


def ticks(text: str) -> Markup:
    """The report's sentences quote names in backticks (as Markdown does): shown as code, everything escaped."""
    parts = str(escape(text)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return Markup("`".join(parts))
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def render(report: Report) -> str:
    env = Environment(
        loader=PackageLoader("headwater.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ticks"] = ticks
    env.filters["readable"] = readable
    template = env.get_template("trace.html")
    views = [(i, lineage(i), [chart_view(c) for c in i.charts]) for i in report.incidents]
    dims = {"node_w": NODE_W, "node_h": NODE_H, "bar_h": BAR_H, "label_w": LABEL_W}
    return template.render(report=report, views=views, dims=dims)
