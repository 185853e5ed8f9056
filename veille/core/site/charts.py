"""The charts' numbers: bar chart geometry (drawn by the ``chart`` macro of ``site/macros.html``), the
format radar's heatmap and sparklines (SVG from numbers and escaped labels only)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from veille.core.site.common import (
    STATUS_ORDER,
    _Context,
    week_label,
    week_short,
)
from veille.core.site.views import (
    BarShape,
    Chart,
    ChartBar,
    ChartFrame,
    HeatCell,
)

# --------------------------------------------------------------------------------------------------
# The chart


MARK_SHAPES = {"new": "circle", "rising": "up", "steady": "diamond", "fading": "down"}


def bar_chart(bars: Sequence[ChartBar], *, chart_id: str, title: str, desc: str) -> ChartFrame:
    """The geometry of a bar chart of stories per week, status changes marked above their bar.

    Numbers only: the ``chart`` macro of ``site/macros.html`` draws it as inline SVG (labels autoescaped).
    Colours come from the page's CSS classes (light and dark), and each status has its own shape (circle,
    up and down triangles, diamond) so the marks do not rely on colour alone.
    """
    n = max(1, len(bars))
    step = max(16, min(40, 640 // n))  # a few weeks get wide bars, a year fits 900 px
    bar_w, left, top, bottom, right = round(step * 0.7), 30, 18, 20, 8
    plot_h = 110
    peak = max([b.count for b in bars] + [1])
    every = max(1, math.ceil(30 / step))  # week labels at least 30 px apart
    shapes = []
    for index, bar in enumerate(bars):
        x = left + index * step
        h = round(plot_h * bar.count / peak) if bar.count else 0
        y = top + plot_h - h
        center = x + bar_w / 2
        shape = MARK_SHAPES.get(bar.mark or "")
        shapes.append(
            BarShape(
                bar=bar,
                x=x,
                y=y,
                height=(max(h, 1) if bar.count else 0),
                center=center,
                mark_shape=shape,
                mark_points=mark_points(shape, center, y - 8) if shape else (),
                labelled=index % every == 0 or index == n - 1,
            )
        )
    return ChartFrame(
        id=chart_id,
        width=left + n * step + right,
        height=top + plot_h + bottom,
        left=left,
        top=top,
        plot_height=plot_h,
        right=right,
        bar_width=bar_w,
        peak=peak,
        title=title,
        desc=desc,
        bars=tuple(shapes),
    )


def mark_points(shape: str, cx: float, cy: float) -> tuple[tuple[float, float], ...]:
    """A status mark's corners around (cx, cy); a circle is its centre alone."""
    if shape == "circle":
        return ((cx, cy),)
    if shape == "up":
        return ((cx, cy - 5), (cx + 5, cy + 4), (cx - 5, cy + 4))
    if shape == "down":
        return ((cx - 5, cy - 4), (cx + 5, cy - 4), (cx, cy + 5))
    return ((cx, cy - 5), (cx + 5, cy), (cx, cy + 5), (cx - 5, cy))


def _mark(status: str, cx: float, cy: float, title: str) -> str:
    """A status mark in SVG, for the sparklines (the bar chart's marks are drawn by its macro)."""
    shape = MARK_SHAPES[status]
    cls = f'class="mark mark-{status}"'
    tip = f"<title>{html.escape(title)}</title>"
    if shape == "circle":
        return f'<circle {cls} cx="{cx:g}" cy="{cy:g}" r="4.5">{tip}</circle>'
    points = " ".join(f"{x:g},{y:g}" for x, y in mark_points(shape, cx, cy))
    return f'<polygon {cls} points="{points}">{tip}</polygon>'


HEAT_SHARES = (0.05, 0.10, 0.20, 0.30)  # share of the week above which a cell is one level darker


def heat_level(count: int, share: float) -> int:
    """0 for no story, then 1 … 5 by the format's share of the week (``HEAT_SHARES``)."""
    return 0 if count <= 0 else 1 + sum(share > bound for bound in HEAT_SHARES)


def heatmap_svg(
    rows: Sequence[tuple[str, Sequence[HeatCell], str, str]],
    columns: Sequence[str],
    *,
    chart_id: str,
    title: str,
    desc: str,
) -> str:
    """An inline SVG heatmap: one row per format (``(label, cells, status, status title)``), one column
    per week, each cell shaded by the format's share of the week and holding its count as text, the
    row's status as a shape at its end (so neither the numbers nor the status rely on colour).

    Built from numbers only; labels go through ``html.escape``.
    """
    esc = html.escape
    longest = max((len(label) for label, _, _, _ in rows), default=8)
    label_w = min(290, max(80, round(6.2 * min(longest, 44)) + 12))
    cell_w, cell_h, top, right = 32, 22, 18, 24
    width = label_w + len(columns) * cell_w + right
    height = top + len(rows) * cell_h + 4
    parts = [
        f'<svg class="chart heatmap" id="{esc(chart_id)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-d">{esc(desc)}</desc>',
    ]
    for index, column in enumerate(columns):
        x = label_w + index * cell_w + cell_w / 2
        parts.append(f'<text class="tick" x="{x:g}" y="{top - 6}" text-anchor="middle">{esc(column)}</text>')
    for row_index, (label, cells, status, status_title) in enumerate(rows):
        y = top + row_index * cell_h
        shown = label if len(label) <= 44 else label[:43].rstrip() + "…"
        parts.append(
            f'<text class="heat-label" x="{label_w - 6}" y="{y + cell_h / 2 + 4:g}" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(shown)}</text>"
        )
        for index, cell in enumerate(cells):
            x = label_w + index * cell_w
            parts.append(
                f'<g class="heat heat-{cell.level}"><title>{esc(cell.title)}</title>'
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" rx="2"/>'
                f'<text x="{x + cell_w / 2:g}" y="{y + cell_h / 2 + 4:g}" text-anchor="middle">{cell.count}</text></g>'
            )
        if status in MARK_SHAPES:
            parts.append(_mark(status, label_w + len(columns) * cell_w + 12, y + cell_h / 2, status_title))
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(counts: Sequence[int], *, status: str, label: str) -> str:
    """A small SVG line of weekly counts, its last point marked with the format's status shape; the
    numbers are in ``label`` (its accessible name)."""
    width, height, pad = 100, 26, 5
    n = max(len(counts), 1)
    peak = max([*counts, 1])
    step = (width - 2 * pad) / max(n - 1, 1)
    points = [(pad + i * step, height - pad - (height - 2 * pad) * c / peak) for i, c in enumerate(counts)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line class="grid" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"/>',
        f'<polyline class="spark-line" points="{line}"/>',
    ]
    if points and status in MARK_SHAPES:
        x, y = points[-1]
        parts.append(_mark(status, round(x, 1), round(y, 1), label))
    parts.append("</svg>")
    return "".join(parts)


def _chart_bars(
    counts: Mapping[str, int], weeks: Sequence[str], marks: Mapping[str, str], ctx: _Context
) -> tuple[ChartBar, ...]:
    bars = []
    for week in weeks:
        count = counts.get(week, 0)
        words = f"{week_label(week, ctx.d)}{ctx.d.colon}{ctx.stories_label(count)}"
        if week in marks:
            words += f", {ctx.status_label(marks[week])}"
        bars.append(ChartBar(week_short(week, ctx.d), words, count, marks.get(week)))
    return tuple(bars)


def _chart(chart_id: str, bars: tuple[ChartBar, ...], caption: str, ctx: _Context) -> Chart:
    total = sum(b.count for b in bars)
    desc = f"{ctx.stories_label(total)}, {bars[0].label} – {bars[-1].label}" if bars else caption
    used = tuple((s, ctx.status_label(s)) for s in STATUS_ORDER if any(b.mark == s for b in bars))
    return Chart(bar_chart(bars, chart_id=chart_id, title=caption, desc=desc), caption, bars, used)
