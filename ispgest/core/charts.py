"""Server-side SVG for the dashboard's charts: no JavaScript, no CDN, every bar a link.

Charting libraries that render SVG in Python either embed scripts and styles in the SVG
(which a Content-Security-Policy without 'unsafe-inline' refuses) or cannot make a bar a
link to the list behind it; the two shapes the dashboard needs (grouped columns per month,
horizontal bars per zone) are a few rectangles each. Colours come from CSS classes in
app.css (`chart-s0`, `chart-s1`...). A hidden table repeats the data for screen readers.
"""

from __future__ import annotations

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ispgest.core.dashboard import Chart


def nice_max(value: float) -> float:
    """The round number (1, 2, 2.5, 5 x 10^n) at or above `value`, for the axis top."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return float(top)
    return float(10 ** (exponent + 1))  # pragma: no cover


def compact(value: float) -> str:
    """Axis labels: 0, 950, 12 k, 1,5 M."""
    for size, suffix in ((1e9, " mil M"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return text.replace(".", ",") + suffix
    return f"{value:.0f}"


def _bar(x, y, w, h, css, url, tip) -> SafeString:
    rect = format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>',
        f"{x:.1f}",
        f"{y:.1f}",
        f"{max(w, 0):.1f}",
        f"{max(h, 0):.1f}",
        css,
        tip,
    )
    return format_html('<a href="{}">{}</a>', url, rect) if url else rect


def _table(chart: Chart) -> SafeString:
    head = format_html_join("", "<th scope='col'>{}</th>", ((s,) for s in chart.series))
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th>{}</tr>",
        (
            (p.label, format_html_join("", "<td>{}</td>", ((t,) for t in p.texts)))
            for p in chart.points
        ),
    )
    return format_html(
        '<table class="visually-hidden"><caption>{}</caption><thead><tr><th></th>{}</tr>'
        "</thead><tbody>{}</tbody></table>",
        chart.title,
        head,
        rows,
    )


def _legend(chart: Chart) -> SafeString:
    if len(chart.series) < 2:
        return mark_safe("")  # noqa: S308 - constant
    items = format_html_join(
        "",
        '<span class="me-3"><span class="chart-key chart-s{}"></span> {}</span>',
        ((i, name) for i, name in enumerate(chart.series)),
    )
    return format_html('<div class="small text-muted" aria-hidden="true">{}</div>', items)


def columns_svg(chart: Chart, *, width: int = 640, height: int = 240) -> SafeString:
    """Grouped vertical columns: one group per point, one column per series."""
    left, right, top, bottom = 56, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max((v for p in chart.points for v in p.values), default=0))
    parts: list[SafeString] = []
    for i in range(5):
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"/>'
                '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
                left,
                width - right,
                f"{y:.1f}",
                f"{y:.1f}",
                left - 6,
                f"{y + 4:.1f}",
                compact(value),
            )
        )
    n = max(len(chart.points), 1)
    group_w = plot_w / n
    series = max(len(chart.series), 1)
    col_w = group_w * 0.8 / series
    for gi, point in enumerate(chart.points):
        gx = left + gi * group_w + group_w * 0.1
        for si, value in enumerate(point.values):
            h = plot_h * (value / top_value) if top_value else 0
            url = point.urls[si] if si < len(point.urls) else ""
            tip = f"{point.label} · {chart.series[si]}: {point.texts[si]}"
            parts.append(
                _bar(gx + si * col_w, top + plot_h - h, col_w - 1, h, f"chart-s{si}", url, tip)
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">{}</text>',
                f"{left + gi * group_w + group_w / 2:.1f}",
                height - 10,
                point.label,
            )
        )
    return _figure(chart, width, height, parts)


def bars_svg(chart: Chart, *, width: int = 640, row: int = 24) -> SafeString:
    """Horizontal bars, one per point (first series), labelled on the left."""
    left, right = 150, 120
    height = max(row * len(chart.points), row) + 4
    plot_w = width - left - right
    top_value = max((p.values[0] for p in chart.points if p.values), default=0) or 1
    parts: list[SafeString] = []
    for i, point in enumerate(chart.points):
        y = i * row + 2
        w = plot_w * (point.values[0] / top_value)
        label = point.label if len(point.label) <= 22 else point.label[:21] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
                left - 6,
                y + row / 2 + 4,
                label,
            )
        )
        url = point.urls[0] if point.urls else ""
        parts.append(
            _bar(left, y + 3, w, row - 6, "chart-s0", url, f"{point.label}: {point.texts[0]}")
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                f"{left + w + 6:.1f}",
                y + row / 2 + 4,
                point.texts[0],
            )
        )
    return _figure(chart, width, height, parts)


def _figure(chart: Chart, width: int, height: int, parts: list[SafeString]) -> SafeString:
    body = mark_safe("".join(parts))  # noqa: S308 - every part built with format_html
    return format_html(
        '<figure class="chart mb-0" id="chart-{}">'
        '<svg viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet">{}</svg>{}{}</figure>',
        chart.key,
        width,
        height,
        chart.title,
        body,
        _legend(chart),
        _table(chart),
    )


def render_chart(chart: Chart) -> SafeString:
    return bars_svg(chart) if chart.kind == "bars" else columns_svg(chart)
