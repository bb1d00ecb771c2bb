"""What other apps contribute to the client's workspace (the client page).

An app with something to show on a client defines `ispgest/<app>/panels.py` and registers it
in its AppConfig.ready() with `clients.panels.register(module)` (clients sits below the apps
that contribute, so it never imports them). The module has

- `client_panels(request, client) -> list[Panel]`: its sections (Contratos, Monedero...);
- optionally `client_header_facts(request, client) -> list[HeaderFact]`: figures of the
  fixed client header (balance, unpaid invoices...);
- optionally `client_actions(request, client) -> list[ClientAction]`: buttons of the header
  beside "Editar" (for example "Regenerar contraseña");
- optionally `client_row_actions(request) -> list[RowAction]`: icons of each row of the
  client list beside the magnifier and "Editar" (no query per row: a URL name and method).

Each function shows only what `request.user` may see and runs a fixed number of queries
whatever the size of the client's data (the workspace has a query-count test). A panel's
`context` may be a callable: it is then called only when its section is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from django.utils.translation import gettext_lazy as _

# Section groups of the workspace navigation, in order.
GROUPS = {
    "service": _("Servicio"),
    "billing": _("Facturación"),
    "communication": _("Comunicación"),
    "sales": _("Comercial"),
    "records": _("Registros"),
}
# The group of panels that do not name one, by key.
DEFAULT_GROUPS = {
    "contratos": "service",
    "tarifas": "service",
    "equipamiento": "service",
    "renovaciones": "service",
    "pppoe": "service",
    "consumo": "service",
    "documentos": "billing",
    "monedero": "billing",
    "pagos": "billing",
    "proximo-previo": "billing",
    "fiscal": "billing",
    "correo": "communication",
    "tickets": "communication",
    "repositorio": "records",
    "contratos-firmados": "records",
    "sociedades": "sales",
    "oportunidades": "sales",
}


@dataclass
class Panel:
    key: str  # stable id: the section's URL segment
    title: str  # navigation title, e.g. "Monedero (12,50 €)"
    template: str
    context: dict | Callable[[], dict] = field(default_factory=dict)
    order: int = 100
    group: str = ""  # a key of GROUPS; DEFAULT_GROUPS or "records" when empty
    badge: str = ""  # a short count shown beside the title ("3")

    def resolved_context(self) -> dict:
        if callable(self.context):
            self.context = self.context()
        return self.context

    @property
    def group_key(self) -> str:
        return self.group or DEFAULT_GROUPS.get(self.key, "records")


@dataclass
class HeaderFact:
    label: str  # "Saldo"
    value: str  # already formatted: "$ 3.500,00"
    url: str = ""
    level: str = ""  # "" | "warning" | "danger" | "success"
    order: int = 100


@dataclass
class ClientAction:
    label: str
    url: str
    method: str = "get"  # "post" renders a small form with the CSRF token
    confirm: str = ""  # asked before a POST
    style: str = "outline-secondary"  # Bootstrap button style
    icon: str = ""  # a short symbol shown before the label ("🔑")
    order: int = 100


@dataclass
class RowAction:
    label: str  # the accessible name: "Regenerar contraseña"
    url_name: str  # reversed with the client's id
    icon: str  # the symbol shown ("🔑")
    method: str = "get"  # "post" renders a small form with the CSRF token
    confirm: str = ""
    order: int = 100


_MODULES: list[ModuleType] = []


def register(module: ModuleType) -> None:
    """Add an app's panels module; its AppConfig.ready() calls this (INSTALLED_APPS order)."""
    if module not in _MODULES:
        _MODULES.append(module)


def _app_modules() -> list[ModuleType]:
    return list(_MODULES)


def client_panels(request, client) -> list[Panel]:
    panels: list[Panel] = []
    for module in _app_modules():
        panels.extend(module.client_panels(request, client))
    return sorted(panels, key=lambda p: (p.order, p.key))


def client_header_facts(request, client) -> list[HeaderFact]:
    facts: list[HeaderFact] = []
    for module in _app_modules():
        if hasattr(module, "client_header_facts"):
            facts.extend(module.client_header_facts(request, client))
    return sorted(facts, key=lambda f: f.order)


def client_actions(request, client) -> list[ClientAction]:
    actions: list[ClientAction] = []
    for module in _app_modules():
        if hasattr(module, "client_actions"):
            actions.extend(module.client_actions(request, client))
    return sorted(actions, key=lambda a: a.order)


def client_row_actions(request) -> list[RowAction]:
    actions: list[RowAction] = []
    for module in _app_modules():
        if hasattr(module, "client_row_actions"):
            actions.extend(module.client_row_actions(request))
    return sorted(actions, key=lambda a: a.order)
