"""The client's "Info Mikrotik PPPoe" section: one block per open contract with its
secret's form, its sync state and the seed's buttons. The router's live state (CMI
activo / NO activo) loads afterwards through htmx so a slow router never slows the page.

The "Consumo" section: per open contract, download and upload per day (last 30 days) and
per month (last 12 months) as inline SVG bar charts (`network.selectors.usage_blocks`,
drawn by network/charts.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.contracts.models import Contract, ContractStatus
from ispgest.network.forms import PPPoEForm
from ispgest.network.models import IPPool, PPPoEAccount
from ispgest.network.selectors import usage_blocks


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
