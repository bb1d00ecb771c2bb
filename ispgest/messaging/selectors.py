"""Reads of the mail log: a client's messages, a conversation, the unassigned inbox."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ispgest.messaging.models import EmailMessage


def client_messages(
    client_id: int, *, direction: str = "", status: str = ""
) -> QuerySet[EmailMessage]:
    qs = EmailMessage.objects.filter(client_id=client_id)
    if direction in EmailMessage.Direction.values:
        qs = qs.filter(direction=direction)
    if status in EmailMessage.Status.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("sent_by").prefetch_related("attachments").order_by("-created_at", "-id")
    )


def thread_of(message: EmailMessage) -> list[EmailMessage]:
    """Every message of `message`'s conversation, oldest first."""
    root_id = message.thread_id or message.pk
    return list(
        EmailMessage.objects.filter(Q(pk=root_id) | Q(thread_id=root_id))
        .select_related("sent_by")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def message_page(message: EmailMessage) -> dict:
    thread = thread_of(message)
    return {"message": message, "thread": thread if len(thread) > 1 else []}


def unassigned_messages() -> QuerySet[EmailMessage]:
    return (
        EmailMessage.objects.filter(client__isnull=True, direction=EmailMessage.Direction.INBOUND)
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")
    )
