"""Threading a client's e-mail reply into its ticket (receiver of
`messaging.signals.email_received`, connected in TicketsConfig.ready()).

A received message joins a ticket when
- it answers one of the ticket's e-mails (`reply_to`, found by the mail app from
  In-Reply-To/References, is related to the ticket), or
- its subject carries the ticket's tag, "[#123]" (our ticket e-mails put it there),
and it comes from the ticket's client: its principal address, or a message the mail app
already matched to that client. Anything else is left alone (a stranger cannot write into a
ticket by guessing its number). Attachments pass the same checks as uploads; refused ones
stay only in the mail log.
"""

from __future__ import annotations

import logging
import re
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from ispgest.tickets.models import Ticket

logger = logging.getLogger(__name__)

SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
_QUOTE_HEADER = re.compile(r"^(El|On) .{5,200}(escribió|wrote):\s*$", re.IGNORECASE)


def find_ticket(message, reply_to=None) -> Ticket | None:
    """The ticket the received message belongs to, or None."""
    ticket = None
    if reply_to is not None and reply_to.related_type == Ticket._meta.label_lower:
        ticket = Ticket.objects.filter(pk=reply_to.related_id).select_related("client").first()
    if ticket is None:
        tag = SUBJECT_TAG.search(message.subject or "")
        if tag:
            ticket = Ticket.objects.filter(pk=int(tag.group(1))).select_related("client").first()
    if ticket is None or ticket.client is None:
        return None
    sender = parseaddr(message.from_email or "")[1].strip().lower()
    client_email = (ticket.client.email or "").strip().lower()
    if (client_email and sender == client_email) or message.client_id == ticket.client_id:
        return ticket
    return None


def reply_text(body: str) -> str:
    """The new part of a reply: the quoted previous message ("> ..." lines and what follows
    "El ... escribió:") is dropped."""
    lines = []
    for line in (body or "").splitlines():
        if _QUOTE_HEADER.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        lines.append(line)
    text = "\n".join(lines).strip()
    return text or (body or "").strip()


def _attachments(message) -> list:
    from ispgest.tickets.services import check_attachment

    files = []
    for att in message.attachments.all():
        try:
            with att.file.open("rb") as handle:
                data = handle.read()
            candidate = ContentFile(data, name=att.filename)
            check_attachment(candidate)
        except (ValidationError, OSError):
            logger.info("mail attachment %s not added to the ticket", att.pk)
            continue
        files.append(candidate)
    return files


def on_email_received(sender, message, reply_to=None, **kwargs):
    """Add the received message to its ticket as the client's reply; the TicketMessage or None."""
    from ispgest.tickets.services import MAX_FILES, ticket_client_reply

    ticket = find_ticket(message, reply_to)
    if ticket is None or ticket.status == Ticket.Status.CLOSED:
        return None
    return ticket_client_reply(
        client=ticket.client,
        ticket=ticket,
        body=reply_text(message.body_text) or message.subject,
        files=_attachments(message)[:MAX_FILES],
        email=message,
    )
