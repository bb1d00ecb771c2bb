"""Money cards and chart on "Inicio" (only for users who see billing: a Técnico sees none;
a Vendedor sees the figures of its own clients). Every figure links to its list."""

from __future__ import annotations

import calendar
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ispgest.billing.stats import money_figures
from ispgest.clients.scoping import client_scope
from ispgest.core.country import get_profile
from ispgest.core.dashboard import Card, Chart, ChartPoint


def _url(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def _month_range(month) -> dict:
    last = calendar.monthrange(month.year, month.month)[1]
    return {"desde": month.isoformat(), "hasta": month.replace(day=last).isoformat()}


def _figures(request):
    if not request.user.has_perm("billing.view_invoice"):
        return None
    cache = getattr(request, "_money_figures", None)
    if cache is None:
        scope = client_scope(request.user)
        cache = None if scope.none else money_figures(scope)
        request._money_figures = cache
    return cache


def _note(figures) -> str:
    if not figures.ready:
        return _("Sin calcular todavía: la tarea «Cifras de cobro del panel» las calcula.")
    return _("Actualizado hace %(t)s") % {"t": timesince(figures.computed_at, timezone.now())}


def dashboard_cards(request) -> list[Card]:
    figures = _figures(request)
    if figures is None:
        return []
    money = get_profile().format_money
    n = lambda v: number_format(v, force_grouping=True)  # noqa: E731
    month = figures.this_month
    ready = figures.ready
    cards = [
        Card(
            key="billing.mrr",
            title=_("Ingreso mensual recurrente"),
            value=money(figures.mrr) if ready else "—",
            hint=_("%(n)s contratos activos") % {"n": n(figures.active_contracts)}
            if ready
            else _note(figures),
            url=_url("contracts:list", estado="active"),
            section="money",
            order=10,
        ),
        Card(
            key="billing.invoiced",
            title=_("Facturado este mes"),
            value=money(month.invoiced),
            hint=_("%(n)s facturas; notas de crédito: %(c)s")
            % {"n": n(month.invoices), "c": money(month.credited)},
            url=_url("billing:invoice_list", kind="invoice", **_month_range(month.month)),
            section="money",
            order=20,
        ),
        Card(
            key="billing.collected",
            title=_("Cobrado este mes"),
            value=money(month.collected),
            hint=_("%(n)s pagos") % {"n": n(month.payments)},
            url=_url("billing:payment_list", **_month_range(month.month)),
            section="money",
            order=30,
        ),
        Card(
            key="billing.unpaid",
            title=_("Impago total"),
            value=money(figures.unpaid_total) if ready else "—",
            hint=_("%(n)s clientes con facturas impagas") % {"n": n(figures.unpaid_clients)},
            url=_url("clients:list", status="all", unpaid="on"),
            section="money",
            order=40,
        ),
        Card(
            key="billing.overdue",
            title=_("Clientes con facturas vencidas"),
            value=n(figures.overdue_clients) if ready else "—",
            hint=_("%(m)s vencido") % {"m": money(figures.overdue_total)},
            url=_url("clients:list", status="all", overdue="on"),
            section="money",
            order=50,
            level="danger" if figures.overdue_clients else "",
        ),
        Card(
            key="billing.wallets",
            title=_("Saldo en monederos"),
            value=money(figures.wallet_total) if ready else "—",
            hint=_("%(n)s clientes con saldo") % {"n": n(figures.wallet_clients)},
            url=_url("clients:list", status="all", wallet="on"),
            section="money",
            order=60,
        ),
    ]
    return cards


def dashboard_charts(request) -> list[Chart]:
    figures = _figures(request)
    if figures is None:
        return []
    money = get_profile().format_money
    points = []
    for row in figures.months:
        label = date_format(row.month, "M y")
        rng = _month_range(row.month)
        points.append(
            ChartPoint(
                label=label,
                values=[float(row.invoiced), float(max(row.collected, 0))],
                texts=[money(row.invoiced), money(row.collected)],
                urls=[
                    _url("billing:invoice_list", kind="invoice", **rng),
                    _url("billing:payment_list", **rng),
                ],
            )
        )
    return [
        Chart(
            key="invoiced-collected",
            title=_("Facturado y cobrado, últimos 12 meses"),
            series=[_("Facturado"), _("Cobrado")],
            points=points,
            kind="columns",
            section="money",
            order=70,
        )
    ]
