"""Reads of one client's record, each a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from ispgest.clients.models import (
    BankMandate,
    Client,
    ClientEvent,
    Contact,
    ExtraFieldValue,
    GatewayAccount,
)
from ispgest.clients.scoping import visible_clients

HISTORY_PAGE = 100
RELATED = (
    "region",
    "city",
    "neighbourhood",
    "seller",
    "collector",
    "zone",
    "billing_entity",
    "tax_condition",
    "invoice_type",
    "billing_tax",
    "billing_cycle",
    "payment_method",
)


def client_for_user(user, pk: int) -> Client:
    """The client if `user` may see it (a Vendedor only its seller's), else 404."""
    return get_object_or_404(visible_clients(user).select_related(*RELATED), pk=pk)


def client_record(user, pk: int) -> Client:
    """The client with everything the overview shows prefetched (contacts, mandates, gateway
    accounts, extra values); the history is read apart, paginated."""
    qs = (
        visible_clients(user)
        .select_related(*RELATED)
        .prefetch_related(
            Prefetch(
                "contacts", queryset=Contact.objects.filter(active=True).order_by("name", "id")
            ),
            Prefetch(
                "mandates", queryset=BankMandate.objects.order_by("-active", "-signed_on", "-id")
            ),
            Prefetch("gateway_accounts", queryset=GatewayAccount.objects.select_related("gateway")),
            Prefetch(
                "extra_values",
                queryset=ExtraFieldValue.objects.select_related("field").order_by(
                    "field__position", "field__name"
                ),
            ),
        )
    )
    return get_object_or_404(qs, pk=pk)


def client_history(client: Client, *, limit: int = HISTORY_PAGE) -> QuerySet[ClientEvent]:
    return ClientEvent.objects.filter(client=client).select_related("actor")[:limit]


def extra_values_of(client: Client) -> dict[int, str]:
    return {v.field_id: v.value for v in client.extra_values.all()}
