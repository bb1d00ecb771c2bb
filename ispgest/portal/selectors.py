"""Reads of the portal, each scoped to one client (a portal page never looks a row up by id
alone: always by id and the session's client, so another client's id is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ispgest.portal.models import GatewayInstructions, PortalAccount, PortalSettings


def portal_settings() -> PortalSettings:
    """The one configuration row, created with defaults the first time it is read."""
    return PortalSettings.objects.get_or_create(pk=1)[0]


def account_for_session(account_id) -> PortalAccount | None:
    return (
        PortalAccount.objects.select_related("client").filter(pk=account_id).first()
        if account_id
        else None
    )


def client_invoice(client_id: int, pk: int):
    from ispgest.billing.selectors import client_documents

    return get_object_or_404(client_documents(client_id), pk=pk)


def client_receipt_payment(client_id: int, pk: int):
    from ispgest.billing.selectors import client_payments

    return get_object_or_404(client_payments(client_id).select_related("client"), pk=pk)


def client_gateway_accounts(client_id: int) -> list[tuple]:
    """[(gateway account, instructions text)] of the client's active gateways."""
    from ispgest.clients.models import GatewayAccount

    accounts = list(
        GatewayAccount.objects.filter(client_id=client_id, gateway__active=True)
        .select_related("gateway")
        .order_by("gateway__name")
    )
    texts = dict(
        GatewayInstructions.objects.filter(
            gateway_id__in=[a.gateway_id for a in accounts]
        ).values_list("gateway_id", "text")
    )
    return [(a, texts.get(a.gateway_id, "")) for a in accounts]


def gateway_instructions() -> QuerySet[GatewayInstructions]:
    return GatewayInstructions.objects.select_related("gateway")
