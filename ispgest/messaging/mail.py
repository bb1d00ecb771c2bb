"""Writing to a client from its "Correo" section ("Enviar Email", seed 004).

The message is exactly what the user wrote (no greeting is added), in the shared layout and
signed with the ISP's name; it goes to the principal e-mail and, when asked, the notify
e-mails and chosen contacts. Attachments come from an upload (kept in the repository too),
from the repository, or are the PDFs of the client's invoices and receipts. Everything is
checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.core import uploads
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.messaging.emails import Attachment, send_email
from ispgest.messaging.models import EmailMessage, MailTemplate, RepositoryFile

# Placeholders a template ("plantilla") may use, and what they become for a client.
PLACEHOLDERS = {
    "{cliente}": "El nombre del cliente",
    "{saldo}": "Su saldo pendiente",
    "{vencimiento}": "El vencimiento de su próximo documento impago",
}


@dataclass
class Outgoing:
    """What "Enviar Email" asks for, before it is checked."""

    subject: str
    body: str
    include_notify: bool = False
    contact_ids: list[int] = field(default_factory=list)
    uploaded_files: list = field(default_factory=list)
    repository_file_ids: list[int] = field(default_factory=list)
    invoice_ids: list[int] = field(default_factory=list)
    receipt_ids: list[int] = field(default_factory=list)


def placeholder_values(client: Client) -> dict[str, str]:
    from ispgest.billing import selectors as billing
    from ispgest.core.country import get_profile

    profile = get_profile()
    balance = billing.unpaid_summary([client.pk])[client.pk]["balance"]
    first = billing.unpaid_documents(client.pk).exclude(due_date=None).first()
    return {
        "{cliente}": client.name,
        "{saldo}": profile.format_money(balance),
        "{vencimiento}": first.due_date.strftime("%d/%m/%Y") if first else "",
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def template_for_client(template: MailTemplate, client: Client) -> tuple[str, str]:
    values = placeholder_values(client)
    return fill_placeholders(template.subject, values), fill_placeholders(template.body, values)


def recipients_for(client: Client, *, include_notify: bool, contact_ids: list[int]) -> list[str]:
    """The principal address (when manual e-mails are on), then the notify e-mails and the
    chosen contacts' addresses, without repeats. Unknown contacts are an error."""
    from ispgest.clients.notifications import manual_recipients

    out = list(manual_recipients(client))
    if not out:
        return []
    extra = list(client.notify_email_list) if include_notify else []
    if contact_ids:
        contacts = {
            c.pk: c
            for c in client.contacts.filter(pk__in=contact_ids, active=True).exclude(email="")
        }
        if len(contacts) != len(set(contact_ids)):
            raise DomainError(
                "Contactos: alguno no es de este cliente o no tiene e-mail.", field="contacts"
            )
        extra += [contacts[pk].email for pk in dict.fromkeys(contact_ids)]
    for address in extra:
        if address and address.lower() not in (a.lower() for a in out):
            out.append(address)
    return out


def _gather_attachments(
    *, client: Client, outgoing: Outgoing
) -> tuple[list[Attachment], list[uploads.CheckedFile]]:
    """Every attachment checked and in memory; uploads are returned apart, to be kept in the
    repository once the message is written."""
    from ispgest.billing.models import Invoice, Receipt
    from ispgest.billing.pdf import document_pdf, receipt_pdf

    attachments: list[Attachment] = []
    checked_uploads = [
        uploads.check_upload(f, field="attachments", fallback_name="adjunto")
        for f in outgoing.uploaded_files
    ]
    if outgoing.repository_file_ids:
        ids = list(dict.fromkeys(outgoing.repository_file_ids))
        files = list(
            RepositoryFile.objects.filter(client=client, pk__in=ids, hidden_at__isnull=True)
        )
        if len(files) != len(ids):
            raise DomainError(
                "Archivos del repositorio: alguno no es de este cliente.", field="repository_files"
            )
        for row in files:
            try:
                with row.file.open("rb") as fh:
                    data = fh.read()
            except FileNotFoundError as exc:
                raise DomainError(
                    f"Archivos del repositorio: «{row.name}» ya no está disponible.",
                    field="repository_files",
                ) from exc
            name = uploads.download_name(row.original_name, row.file.name)
            attachments.append(Attachment(name, data, row.content_type, repository_file=row))
    if outgoing.invoice_ids:
        ids = list(dict.fromkeys(outgoing.invoice_ids))
        invoices = list(Invoice.objects.filter(client_id=client.pk, pk__in=ids))
        if len(invoices) != len(ids):
            raise DomainError("Facturas: alguna no es de este cliente.", field="invoices")
        for invoice in invoices:
            label = (invoice.number_display or f"borrador-{invoice.pk}").replace("/", "-")
            attachments.append(Attachment(f"{label}.pdf", document_pdf(invoice), uploads.PDF))
    if outgoing.receipt_ids:
        ids = list(dict.fromkeys(outgoing.receipt_ids))
        receipts = list(
            Receipt.objects.filter(payment__client_id=client.pk, pk__in=ids).select_related(
                "payment"
            )
        )
        if len(receipts) != len(ids):
            raise DomainError("Recibos: alguno no es de este cliente.", field="receipts")
        for receipt in receipts:
            label = receipt.number_display.replace("/", "-")
            attachments.append(Attachment(f"recibo-{label}.pdf", receipt_pdf(receipt), uploads.PDF))
    total = sum(len(a.content) for a in attachments) + sum(c.size for c in checked_uploads)
    limit = settings.ISPGEST_MAIL_MAX_ATTACHMENTS_BYTES
    if total > limit:
        raise DomainError(
            f"Adjuntos: entre todos superan el máximo de {uploads.human_size(limit)}.",
            field="attachments",
        )
    return attachments, checked_uploads


@transaction.atomic
def client_mail_send(
    *, actor, client: Client, outgoing: Outgoing, reply_to: EmailMessage | None = None
) -> EmailMessage:
    """Check everything, then log the message (delivered after commit) and write the
    client's history; uploaded attachments are kept in the client's repository."""
    from ispgest.messaging.repository import MAIL_TAG, repository_file_store_bytes

    subject = " ".join((outgoing.subject or "").split())
    body = (outgoing.body or "").strip("\n").rstrip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = ["Asunto: es obligatorio."]
    elif len(subject) > 200:
        errors["subject"] = ["Asunto: admite como mucho 200 caracteres."]
    if not body.strip():
        errors["body"] = ["Mensaje: es obligatorio."]
    if not client.email:
        errors.setdefault("__all__", []).append(
            "No se puede escribir a este cliente: no tiene e-mail de contacto "
            "(complete «E-mail de contacto» en su ficha)."
        )
    elif not client.send_manual_emails:
        errors.setdefault("__all__", []).append(
            "No se puede escribir a este cliente: tiene desactivadas las notificaciones manuales."
        )
    try:
        recipients = recipients_for(
            client, include_notify=outgoing.include_notify, contact_ids=outgoing.contact_ids
        )
        attachments, checked_uploads = _gather_attachments(client=client, outgoing=outgoing)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
            errors.setdefault(key, []).extend(messages)
        if not hasattr(exc, "error_dict"):
            errors.setdefault("__all__", []).extend(exc.messages)
        recipients, attachments, checked_uploads = [], [], []
    if errors:
        raise ValidationError(errors)
    message = send_email(
        template="client_message",
        to=recipients[:1],
        cc=recipients[1:],
        context={"client": client, "subject": subject, "body": body},
        client=client,
        sent_by=actor if getattr(actor, "pk", None) else None,
        attachments=attachments,
        reply_to=reply_to,
    )
    for n, checked in enumerate(checked_uploads):
        row = repository_file_store_bytes(
            actor=actor,
            client=client,
            data=checked.data,
            filename=checked.original_name,
            name=checked.original_name,
            tag=MAIL_TAG,
            source_id=f"out:{message.pk}:{n}",
        )
        message.attachments.create(
            filename=uploads.download_name(row.original_name, row.file.name),
            mimetype=row.content_type,
            file=row.file.name,
            size=row.size,
            repository_file=row,
        )
    summary = f"Correo enviado: {subject}"
    record_event(client=client, actor=actor, action="email.sent", summary=summary, obj=message)
    audit(actor=actor, action="email.sent", obj=message, summary=summary, client_id=client.pk)
    return message


@transaction.atomic
def email_retry(*, actor, message: EmailMessage) -> EmailMessage:
    """Send a failed message again (a fresh round of attempts)."""
    from ispgest.messaging.tasks import deliver_email

    locked = EmailMessage.objects.select_for_update().get(pk=message.pk)
    if locked.direction != EmailMessage.Direction.OUTBOUND or locked.status != (
        EmailMessage.Status.FAILED
    ):
        raise DomainError("Solo se puede reintentar un correo enviado que falló.")
    locked.status = EmailMessage.Status.QUEUED
    locked.attempts = 0
    locked.next_attempt_at = None
    locked.save(update_fields=["status", "attempts", "next_attempt_at"])
    summary = f"Reintento del correo «{locked.subject}» (último error: {locked.error[:200]})"
    audit(
        actor=actor, action="email.retried", obj=locked, summary=summary, client_id=locked.client_id
    )
    if locked.client_id:
        record_event(
            client=locked.client, actor=actor, action="email.retried", summary=summary, obj=locked
        )
    transaction.on_commit(lambda: deliver_email.enqueue(locked.pk, 0))
    return locked


def reply_subject(subject: str) -> str:
    return subject if subject.lower().startswith(("re:", "re :")) else f"Re: {subject}"[:255]


@transaction.atomic
def email_reply(*, actor, message: EmailMessage, body: str) -> EmailMessage:
    """Answer a received message from its conversation: to its sender, threaded."""
    from email.utils import parseaddr

    if not message.is_inbound or message.client_id is None:
        raise DomainError("Solo se responde a un correo recibido de un cliente.")
    body = (body or "").strip("\n").rstrip()
    if not body.strip():
        raise DomainError("Mensaje: es obligatorio.", field="body")
    address = parseaddr(message.from_email)[1]
    if not address:
        raise DomainError("El correo recibido no tiene una dirección de remitente válida.")
    subject = reply_subject(message.subject)
    reply = send_email(
        template="client_message",
        to=[address],
        context={"client": message.client, "subject": subject, "body": body},
        client=message.client,
        sent_by=actor if getattr(actor, "pk", None) else None,
        reply_to=message,
        related=None,
    )
    if message.related_type:
        EmailMessage.objects.filter(pk=reply.pk).update(
            related_type=message.related_type, related_id=message.related_id
        )
    summary = f"Correo respondido: {subject}"
    record_event(
        client=message.client, actor=actor, action="email.sent", summary=summary, obj=reply
    )
    audit(actor=actor, action="email.sent", obj=reply, summary=summary, client_id=message.client_id)
    return reply


@transaction.atomic
def mail_template_save(*, actor, template: MailTemplate) -> MailTemplate:
    created = template.pk is None
    if created and getattr(actor, "pk", None):
        template.created_by = actor
    template.save()
    audit(
        actor=actor,
        action="mail_template.created" if created else "mail_template.updated",
        obj=template,
        summary=f"Plantilla de correo «{template.name}» guardada",
    )
    return template
