"""The client's "Info Mikrotik PPPoe" section: one block per open contract with its
secret's form, its sync state and the seed's buttons. The router's live state (CMI
activo / NO activo) loads afterwards through htmx so a slow router never slows the page.

The "Consumo" section: per open contract, download and upload per day (last 30 days) and
per month (last 12 months) as inline SVG bar charts (network/charts.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.contracts.models import Contract, ContractStatus
from ispgest.network.charts import bar_chart
from ispgest.network.forms import PPPoEForm
from ispgest.network.models import IPPool, PPPoEAccount
from ispgest.network.selectors import usage_daily, usage_monthly


def pppoe_blocks(client, user) -> list[dict]:
    contracts = list(
        Contract.objects.filter(client=client)
        .exclude(status=ContractStatus.CANCELLED)
        .select_related("plan")
        .order_by("id")
    )
    accounts = {
        a.contract_id: a
        for a in PPPoEAccount.objects.filter(contract__in=contracts).select_related("router")
    }
    no_service = set(IPPool.objects.filter(no_service=True).values_list("router_id", flat=True))
    can_edit = user.has_perm("network.change_pppoeaccount")
    blocks = []
    for contract in contracts:
        account = accounts.get(contract.pk)
        blocks.append(
            {
                "contract": contract,
                "account": account,
                "form": PPPoEForm(contract=contract, account=account) if can_edit else None,
                "no_service_pool": bool(account and account.router_id in no_service),
            }
        )
    return blocks


def usage_blocks(client) -> list[dict]:
    contracts = list(
        Contract.objects.filter(client=client)
        .exclude(status=ContractStatus.CANCELLED)
        .select_related("plan")
        .order_by("id")
    )
    ids = [c.pk for c in contracts]
    daily, monthly = usage_daily(ids), usage_monthly(ids)
    blocks = []
    for c in contracts:
        days, months = daily[c.pk], monthly[c.pk]
        charts = []
        for kind, points, period in (
            ("day", days, _("por día, últimos 30 días")),
            ("month", months, _("por mes, últimos 12 meses")),
        ):
            for field, what in (("bytes_down", _("Descarga")), ("bytes_up", _("Subida"))):
                charts.append(
                    bar_chart(
                        points,
                        field=field,
                        kind=kind,
                        title=f"{what} {period}",
                        chart_id=f"usage-{c.pk}-{kind}-{field.removeprefix('bytes_')}",
                    )
                )
        has_samples = any(p.bytes_down or p.bytes_up for p in (*days, *months))
        blocks.append({"contract": c, "charts": charts, "has_samples": has_samples})
    return blocks


def client_panels(request, client) -> list[Panel]:
    user = request.user
    if not user.has_perm("network.view_pppoeaccount"):
        return []

    def context():
        return {
            "client": client,
            "blocks": pppoe_blocks(client, user),
            "has_pools": IPPool.objects.filter(no_service=False, router__active=True).exists(),
        }

    return [
        Panel(
            key="pppoe",
            title=_("Info Mikrotik PPPoe"),
            template="network/panels/pppoe.html",
            context=context,
            order=25,
            group="service",
        ),
        Panel(
            key="consumo",
            title=_("Consumo"),
            template="network/panels/usage.html",
            context=lambda: {"client": client, "blocks": usage_blocks(client)},
            order=26,
            group="service",
        ),
    ]
