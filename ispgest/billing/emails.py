"""The invoice and payment e-mails: recipients from clients.notifications, logged per client."""

from __future__ import annotations

from ispgest.billing.models import Invoice, Payment
from ispgest.billing.pdf import document_pdf, receipt_pdf
from ispgest.clients.notifications import invoice_recipients, payment_recipients
from ispgest.messaging.emails import Attachment, send_email
from ispgest.messaging.models import EmailMessage


def already_sent(obj, template: str, client) -> bool:
    """Whether the e-mail `template` about `obj` was already logged for the client."""
    return EmailMessage.objects.filter(
        client=client,
        template=template,
        related_type=obj._meta.label_lower,
        related_id=str(obj.pk),
    ).exists()


def send_invoice_email(
    invoice: Invoice, *, sent_by=None, resend: bool = False
) -> EmailMessage | None:
    """The issued invoice's PDF to the principal and notify addresses; None when nobody or
    when it was already sent (once per document and kind unless a person asks to `resend`).
    Callers lock the invoice row so two workers cannot both send it."""
    client = invoice.client
    to = invoice_recipients(client)
    if not to:
        return None
    template = (
        "credit_note_issued" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoice_issued"
    )
    if not resend and already_sent(invoice, template, client):
        return None
    return send_email(
        related=invoice,
        template=template,
        to=to,
        context={"invoice": invoice, "client": client},
        client=client,
        sent_by=sent_by,
        attachments=[
            Attachment(
                f"{invoice.number_display}.pdf".replace(" ", "_"),
                document_pdf(invoice),
                "application/pdf",
            )
        ],
    )


def send_payment_email(
    payment: Payment, *, sent_by=None, resend: bool = False
) -> EmailMessage | None:
    """The receipt to the principal address only; None when the client gets no such mail or
    it was already sent (unless a person asks to `resend`)."""
    client = payment.client
    to = payment_recipients(client)
    receipt = getattr(payment, "receipt", None)
    if not to or receipt is None:
        return None
    if not resend and already_sent(payment, "payment_registered", client):
        return None
    return send_email(
        related=payment,
        template="payment_registered",
        to=to,
        context={"payment": payment, "receipt": receipt, "client": client},
        client=client,
        sent_by=sent_by,
        attachments=[
            Attachment(f"{receipt.number_display}.pdf", receipt_pdf(receipt), "application/pdf")
        ],
    )
