"""Reads of tickets.

Staff: `visible_tickets(user)` is every read's starting point: the tickets of the clients the
user may see (clients/scoping.py) plus internal tickets, and nothing without
`tickets.view_ticket`. A ticket outside it answers 404 by id, in pages and API alike.

Client (portal): `tickets_for_client`, `ticket_for_client`, `public_messages` and
`attachment_for_client` only ever return the client's own tickets and their public part;
internal notes and their files never leave these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from ispgest.clients.scoping import client_scope
from ispgest.tickets.models import (
    ACTIVE_STATUSES,
    Ticket,
    TicketAttachment,
    TicketMessage,
)

_LIST_RELATED = ("client", "category", "assignee")


def visible_tickets(user) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    if not user.has_perm("tickets.view_ticket"):
        return qs.none()
    scope = client_scope(user)
    if scope.all:
        return qs
    if scope.seller_id is not None:
        return qs.filter(Q(client__isnull=True) | Q(client__seller_id=scope.seller_id))
    return qs.filter(client__isnull=True)


@dataclass
class TicketFilters:
    status: str = ""  # a Status value, or "activos" (nuevo, abierto, en espera)
    priority: str = ""
    assignee: str = ""  # a user id, "yo" (mine) or "ninguno" (unassigned)
    category: str = ""
    client: str = ""  # a client id
    overdue: bool = False
    text: str = ""  # "#123" / "123", or words of the subject or the client's name


_NUMBER = re.compile(r"^#?(\d{1,12})$")


def ticket_list(user, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    f = filters or TicketFilters()
    qs = visible_tickets(user).select_related(*_LIST_RELATED)
    if f.status == "activos":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.assignee == "yo":
        qs = qs.filter(assignee_id=user.pk)
    elif f.assignee == "ninguno":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee.isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.category.isdigit():
        qs = qs.filter(category_id=int(f.category))
    if f.client.isdigit():
        qs = qs.filter(client_id=int(f.client))
    if f.overdue:
        qs = qs.filter(status__in=ACTIVE_STATUSES, due_at__lt=timezone.now())
    text = " ".join(f.text.split())
    if text:
        number = _NUMBER.match(text)
        if number:
            qs = qs.filter(pk=int(number.group(1)))
        else:
            for word in text.split()[:5]:
                qs = qs.filter(Q(subject__icontains=word) | Q(client__name__icontains=word))
    return qs.order_by("-id")


def ticket_detail(user, pk: int) -> Ticket:
    """The ticket for its staff page (raises Ticket.DoesNotExist outside the user's scope)."""
    return visible_tickets(user).select_related(*_LIST_RELATED, "contract", "created_by").get(pk=pk)


def thread(ticket: Ticket, *, include_internal: bool = True) -> list[TicketMessage]:
    """The ticket's messages in order with authors and attachments, in three queries."""
    qs = ticket.messages.all()
    if not include_internal:
        qs = qs.filter(kind=TicketMessage.Kind.PUBLIC)
    return list(
        qs.select_related("author_user", "author_client").prefetch_related(
            Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
        )
    )


def client_tickets(user, client, limit: int = 50) -> list[Ticket]:
    """The client's tickets for its workspace section (newest first)."""
    return list(
        visible_tickets(user)
        .filter(client=client)
        .select_related("category", "assignee")
        .order_by("-id")[:limit]
    )


def client_active_count(user, client) -> int:
    return visible_tickets(user).filter(client=client, status__in=ACTIVE_STATUSES).count()


def attachment_for_staff(user, pk: int) -> TicketAttachment:
    return TicketAttachment.objects.select_related("ticket").get(
        pk=pk, ticket__in=visible_tickets(user).values("pk")
    )


def open_counts(user) -> tuple[int, int, int]:
    """(active tickets, of them overdue, of them assigned to the user) for the dashboard."""
    from django.db.models import Count

    qs = visible_tickets(user).filter(status__in=ACTIVE_STATUSES)
    row = qs.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=timezone.now())),
        mine=Count("pk", filter=Q(assignee_id=user.pk)),
    )
    return row["total"], row["overdue"], row["mine"]


# ---------------------------------------------------------------------------------------------
# The client's own view (portal)


def tickets_for_client(client) -> QuerySet[Ticket]:
    """The client's tickets, newest first (no internal ticket can match: they have no client)."""
    return Ticket.objects.filter(client=client).select_related("category").order_by("-id")


def ticket_for_client(client, pk: int) -> Ticket:
    """One of the client's tickets; Ticket.DoesNotExist for any other id (answer 404)."""
    return Ticket.objects.select_related("category", "contract").get(pk=pk, client=client)


def public_messages(ticket: Ticket) -> list[TicketMessage]:
    """The messages the client may read (never internal notes), with their attachments."""
    return thread(ticket, include_internal=False)


def attachment_for_client(client, pk: int) -> TicketAttachment:
    """A file of a public message of one of the client's tickets; DoesNotExist otherwise."""
    return TicketAttachment.objects.select_related("ticket").get(
        pk=pk, ticket__client=client, message__kind=TicketMessage.Kind.PUBLIC
    )
