"""Cards and charts other apps contribute to the staff dashboard ("Inicio").

An app with figures to show defines `ispgest/<app>/dashboard.py` with
`dashboard_cards(request) -> list[Card]` and, optionally,
`dashboard_charts(request) -> list[Chart]`, showing only what `request.user` may see.
Each reads precomputed or indexed data: the dashboard stays fast at a million clients.
`collect(request)` gathers them from every installed ispgest app; the home page renders
charts as server-side SVG (`core/charts.py`), each bar a link to the list behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ispgest.core.modules import app_modules

SECTIONS = ("clients", "money", "work", "system")


@dataclass
class Card:
    key: str  # stable id
    title: str  # "Tickets abiertos"
    value: str  # already formatted: "12", "$ 3.500,00"
    url: str = ""  # the filtered list behind the figure
    hint: str = ""  # a second line: "3 vencidos"
    section: str = "work"  # clients | money | work | system
    order: int = 100
    level: str = ""  # "" | "warning" | "danger"


@dataclass
class ChartPoint:
    label: str  # "mar 2026", "Zona Norte"
    values: list[float]  # one per series, in the chart's unit
    texts: list[str]  # the same values formatted for people ("$ 1.200,00")
    urls: list[str] = field(default_factory=list)  # one per series ("" = no link)


@dataclass
class Chart:
    key: str
    title: str
    series: list[str]  # series names, in the order of each point's values
    points: list[ChartPoint]
    kind: str = "columns"  # columns (vertical, grouped) | bars (horizontal)
    section: str = "money"
    order: int = 100
    note: str = ""  # a line under the chart ("Actualizado hace 3 min")


@dataclass
class Dashboard:
    cards: dict[str, list[Card]]
    charts: dict[str, list[Chart]]

    @property
    def empty(self) -> bool:
        return not any(self.cards.values()) and not any(self.charts.values())


def _modules():
    return app_modules("dashboard")


def collect(request) -> Dashboard:
    """Every app's cards and charts for this request, by section, in order."""
    cards: dict[str, list[Card]] = {s: [] for s in SECTIONS}
    charts: dict[str, list[Chart]] = {s: [] for s in SECTIONS}
    for module in _modules():
        for card in getattr(module, "dashboard_cards", lambda r: [])(request):
            cards.setdefault(card.section, []).append(card)
        for chart in getattr(module, "dashboard_charts", lambda r: [])(request):
            charts.setdefault(chart.section, []).append(chart)
    for items in (*cards.values(), *charts.values()):
        items.sort(key=lambda x: (x.order, x.key))
    return Dashboard(cards, charts)
