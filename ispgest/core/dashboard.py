"""Cards other apps contribute to the staff dashboard ("Inicio").

An app with figures to show defines `ispgest/<app>/dashboard.py` with
`dashboard_cards(request) -> list[Card]`, showing only what `request.user` may see. Each
card reads precomputed or indexed data: the dashboard stays fast at a million clients.
"""

from __future__ import annotations

from dataclasses import dataclass


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
