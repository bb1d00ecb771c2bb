"""PDFs of documents and receipts: HTML templates rendered by WeasyPrint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from ispgest.billing import signals
from ispgest.billing.calc import tax_breakdown
from ispgest.billing.models import Invoice, Receipt


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    with translation.override("es"):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def document_context(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    return {
        "doc": invoice,
        "entity": invoice.billing_entity,
        "lines": lines,
        "breakdown": tax_breakdown(lines),
        "fiscal": signals.marks_for(invoice),
    }


def document_pdf(invoice: Invoice) -> bytes:
    return _pdf("billing/pdf/document.html", document_context(invoice))


def receipt_pdf(receipt: Receipt) -> bytes:
    payment = receipt.payment
    allocations = list(payment.allocations.select_related("invoice"))
    client = payment.client
    return _pdf(
        "billing/pdf/receipt.html",
        {
            "receipt": receipt,
            "payment": payment,
            "entity": receipt.billing_entity,
            "allocations": allocations,
            "client": client,
        },
    )
