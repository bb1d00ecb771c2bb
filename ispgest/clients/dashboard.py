"""Clients' cards and chart on "Inicio": active, new and gone this month, suspended,
active per zone. Read from the ClientTally snapshot for the user's scope (a Vendedor sees
only its own clients); every figure links to the client list with the same filter."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ispgest.catalog.models import Zone
from ispgest.clients.scoping import client_scope
from ispgest.clients.stats import client_figures, month_start
from ispgest.core.dashboard import Card, Chart, ChartPoint

ZONES_SHOWN = 12


def _list_url(**params) -> str:
    return f"{reverse('clients:list')}?{urlencode(params)}"


def _n(value) -> str:
    return "—" if value is None else number_format(value, force_grouping=True)


def _figures(request):
    cache = getattr(request, "_client_figures", None)
    if cache is None:
        scope = client_scope(request.user)
        cache = None if scope.none else client_figures(scope)
        request._client_figures = cache
    return cache


def updated_note(computed_at) -> str:
    if computed_at is None:
        return _("Sin calcular todavía: la tarea «Cifras de clientes del panel» las calcula.")
    return _("Actualizado hace %(t)s") % {"t": timesince(computed_at, timezone.now())}


def dashboard_cards(request) -> list[Card]:
    figures = _figures(request)
    if figures is None:
        return []
    first = month_start().isoformat()
    hint = updated_note(figures.computed_at)
    return [
        Card(
            key="clients.active",
            title=_("Clientes activos"),
            value=_n(figures.active if figures.ready else None),
            url=_list_url(status="active"),
            hint=hint,
            section="clients",
            order=10,
        ),
        Card(
            key="clients.new",
            title=_("Altas este mes"),
            value=_n(figures.created_in_month),
            url=_list_url(status="all", created_from=first),
            section="clients",
            order=20,
        ),
        Card(
            key="clients.churn",
            title=_("Bajas este mes"),
            value=_n(figures.deactivated_in_month),
            url=_list_url(status="inactive", deactivated_from=first),
            section="clients",
            order=30,
            level="warning" if figures.deactivated_in_month else "",
        ),
        Card(
            key="clients.suspended",
            title=_("Con servicio suspendido"),
            value=_n(figures.suspended if figures.ready else None),
            url=_list_url(status="active", contract_status="suspended"),
            section="clients",
            order=40,
        ),
    ]


def dashboard_charts(request) -> list[Chart]:
    figures = _figures(request)
    if figures is None or not figures.by_zone:
        return []
    top = figures.by_zone[:ZONES_SHOWN]
    names = dict(Zone.objects.filter(pk__in=[z for z, _n in top if z]).values_list("pk", "name"))
    points = []
    for zone_id, count in top:
        label = names.get(zone_id, _("Sin zona")) if zone_id else _("Sin zona")
        url = _list_url(status="active", zone=zone_id) if zone_id in names else ""
        points.append(ChartPoint(str(label), [count], [_n(count)], [url]))
    rest = sum(n for _z, n in figures.by_zone[ZONES_SHOWN:])
    if rest:
        points.append(ChartPoint(_("Otras zonas"), [rest], [_n(rest)], [""]))
    return [
        Chart(
            key="clients-by-zone",
            title=_("Clientes activos por zona"),
            series=[_("Clientes activos")],
            points=points,
            kind="bars",
            section="clients",
            order=50,
            note=updated_note(figures.computed_at),
        )
    ]
