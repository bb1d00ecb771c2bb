"""Panels other apps contribute to the client overview ("Vista general").

An app with something to show on a client defines `ispgest/<app>/panels.py` with
`client_panels(request, client) -> list[Panel]`. Each panel must run a fixed number of
queries whatever the size of its data (the overview has a query-count test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec

PANEL_APPS = ["contracts", "billing", "network", "crm", "messaging", "tickets", "fiscal"]


@dataclass
class Panel:
    key: str  # stable id, used as the tab's anchor
    title: str  # tab title, e.g. "Monedero (12,50 €)"
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def client_panels(request, client) -> list[Panel]:
    panels: list[Panel] = []
    for app in PANEL_APPS:
        if find_spec(f"ispgest.{app}.panels"):
            panels.extend(import_module(f"ispgest.{app}.panels").client_panels(request, client))
    return sorted(panels, key=lambda p: (p.order, p.key))
