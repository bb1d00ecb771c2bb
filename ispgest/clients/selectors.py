"""Reads of one client's record, each a fixed number of queries."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from ispgest.clients import emailmatch
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


def clients_by_email(address: str) -> list[int]:
    """Ids of the clients whose principal e-mail, one of the "Emails a notificar" or an
    active contact's e-mail is `address` (case-insensitive, whole entries only), for
    matching received mail. Each look-up is indexed on PostgreSQL: uniq_client_email_ci,
    contact_email_ci and the GIN index of clients/emailmatch.py (unordered: an ORDER BY of
    the models' ordering could steer the planner to a sort index)."""
    address = (address or "").strip().lower()
    if not address or "@" not in address:
        return []
    ids = set(
        Client.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email=address)
        .order_by()
        .values_list("pk", flat=True)
    )
    ids |= set(
        Contact.objects.annotate(lower_email=Lower("email"))
        .filter(lower_email=address, active=True)
        .order_by()
        .values_list("client_id", flat=True)
    )
    if connection.vendor == "postgresql":
        # A constant expression (the index's own); the address is a parameter.
        match = RawSQL(emailmatch.MATCH_SQL, [address], output_field=BooleanField())  # noqa: S611
        ids |= set(Client.objects.filter(match).order_by().values_list("pk", flat=True))
    else:
        for pk, notify in Client.objects.filter(notify_emails__icontains=address).values_list(
            "pk", "notify_emails"
        ):
            if address in (e.strip().lower() for e in notify.split(",")):
                ids.add(pk)
    return sorted(ids)
