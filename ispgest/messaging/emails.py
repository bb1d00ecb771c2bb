"""Sending e-mail: one named template, one helper, one log row, delivered by a task after commit.

A template NAME lives in templates/emails/NAME-subject.txt, NAME-body.txt and NAME-body.html.
The bodies hold only the message: every e-mail is framed by the ISP's layout
(templates/emails/_layout.html and _layout.txt: the ISP's name, logo and colour from
`core.identity.isp_identity()` at the top, its name and contact data as the signature), so
no template signs itself. The subject is one line without stray spaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from ispgest.core.identity import isp_identity
from ispgest.messaging.models import EmailAttachment, EmailMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"
    # The repository row holding these bytes, when they are kept there (no second copy).
    repository_file: object = None


LOGO_CID = "isp-logo"

#: Templates that carry a credential (a portal password, a reset link): the log keeps their
#: body only until the message is delivered or given up, then a note in its place.
CONFIDENTIAL_TEMPLATES = frozenset({"portal_password", "portal_reset"})
REDACTED_BODY = "(Mensaje con credenciales de acceso: su contenido no se conserva tras el envío.)"


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a named template inside the ISP's layout."""
    isp = context.get("isp") or isp_identity()
    context = {"isp": isp, **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
        text = render_to_string(f"emails/{template}-body.txt", context).strip()
        html = render_to_string(f"emails/{template}-body.html", context).strip()
        frame = {"isp": isp, "subject": subject, "logo_cid": LOGO_CID if isp.logo else ""}
        text = render_to_string("emails/_layout.txt", {**frame, "body": text})
        html = render_to_string("emails/_layout.html", {**frame, "body": mark_safe(html)})  # noqa: S308 (rendered by our own template)
    return subject, text, html


def new_message_id() -> str:
    """A Message-ID in the sender's domain, so replies can be threaded back."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "ispgest.local"
    return make_msgid(domain=domain)


def thread_headers(reply_to: EmailMessage | None) -> dict:
    """In-Reply-To, References and the thread of a message that answers `reply_to`."""
    if reply_to is None:
        return {}
    refs = reply_to.references.split()
    if reply_to.message_id and reply_to.message_id not in refs:
        refs.append(reply_to.message_id)
    return {
        "in_reply_to": reply_to.message_id,
        "references": " ".join(refs[-20:]),
        "thread": reply_to.thread or reply_to,
    }


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
    reply_to: EmailMessage | None = None,
) -> EmailMessage:
    """Log the message and deliver it once the current transaction commits.

    `related` is the object the message is about (an invoice, a ticket...); a received reply
    to the message is handed to the receivers of `messaging.signals.email_received` with it.
    `reply_to` is the message this one answers: its headers keep the conversation threaded.
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
        message_id=new_message_id(),
        **thread_headers(reply_to),
    )
    for att in attachments:
        row = EmailAttachment(
            message=message,
            filename=att.filename,
            mimetype=att.mimetype,
            size=len(att.content),
            repository_file=att.repository_file,
        )
        if att.repository_file is not None:
            row.file.name = att.repository_file.file.name
        else:
            row.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(att.content), save=False)
        row.save()
    transaction.on_commit(lambda: deliver_email.enqueue(message.pk, 0))
    return message
