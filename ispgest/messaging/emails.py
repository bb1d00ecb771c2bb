"""Sending e-mail: one named template, one helper, one log row, delivered by a task after commit.

A template NAME lives in templates/emails/NAME-subject.txt, NAME-body.txt and NAME-body.html.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from ispgest.messaging.models import EmailAttachment, EmailMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}-subject.txt", context).strip()
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    return " ".join(subject.split()), text, html


def send_email(
    *,
    template: str,
    to: Sequence[str],
    context: dict,
    cc: Iterable[str] = (),
    client=None,
    sent_by=None,
    attachments: Iterable[Attachment] = (),
    related=None,
) -> EmailMessage:
    """Log the message and deliver it once the current transaction commits.

    `related` is the object the message is about (an invoice, a ticket...); a received reply
    to the message is handed to the receivers of `messaging.signals.email_received` with it.
    """
    from ispgest.messaging.tasks import deliver_email

    subject, text, html = render_email(template, context)
    message = EmailMessage.objects.create(
        client=client,
        sent_by=sent_by,
        template=template,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
        subject=subject[:255],
        body_text=text,
        body_html=html,
        related_type=related._meta.label_lower if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
    )
    for att in attachments:
        row = EmailAttachment(
            message=message, filename=att.filename, mimetype=att.mimetype, size=len(att.content)
        )
        row.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(att.content), save=False)
        row.save()
    transaction.on_commit(lambda: deliver_email.enqueue(message.pk, 0))
    return message
