"""Server-rendered SVG bar charts of the usage series (no JavaScript, no CDN): the
geometry is computed here and `network/_usage_chart.html` draws it."""

from __future__ import annotations

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

UNITS = ("B", "KB", "MB", "GB", "TB", "PB")

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 36


def human_bytes(n: int) -> str:
    """Decimal units as ISPs quote them: 1 MB = 1,000,000 bytes ("1,5 GB")."""
    value, unit = float(n), 0
    while value >= 1000 and unit < len(UNITS) - 1:
        value /= 1000
        unit += 1
    digits = 0 if unit == 0 or value >= 100 else 1
    return f"{number_format(value, digits)} {UNITS[unit]}"


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def bar_chart(points, *, field: str, kind: str, title: str, chart_id: str) -> dict:
    """`points` are UsagePoints; `field` "bytes_down" or "bytes_up"; `kind` "day" or
    "month" (how the periods are labelled)."""
    values = [getattr(p, field) for p in points]
    top = _nice_ceiling(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.7, 1)
    # Every label fits its slot: each fifth day of a month's days, every other month of a year.
    if kind == "day":
        label_every = 5 if len(points) > 15 else 1
    else:
        label_every = 2 if len(points) > 6 else 1
    bars = []
    for n, (p, v) in enumerate(zip(points, values, strict=True)):
        h = plot_h * v / top
        label = date_format(p.start, "d/m" if kind == "day" else "M Y")
        x = LEFT + n * slot + (slot - bar_w) / 2
        bars.append(
            {
                "x": round(x, 1),
                "y": round(TOP + plot_h - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "title": f"{label}: {human_bytes(v)}",
                "label": label if (len(points) - 1 - n) % label_every == 0 else "",
                "label_x": round(x + bar_w / 2, 1),
            }
        )
    ticks = [
        {"y": round(TOP + plot_h - plot_h * f, 1), "label": human_bytes(int(top * f))}
        for f in (0, 0.5, 1)
    ]
    total = sum(values)
    return {
        "id": chart_id,
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": TOP + plot_h,
        "label_y": HEIGHT - BOTTOM + 16,
        "bars": bars,
        "ticks": ticks,
        "total": human_bytes(total),
        "aria_label": _("%(title)s: %(total)s en total; máximo %(max)s")
        % {"title": title, "total": human_bytes(total), "max": human_bytes(max(values, default=0))},
    }
