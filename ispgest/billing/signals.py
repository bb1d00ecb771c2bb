"""Domain events of billing, sent by `billing.services`/`billing.engine` inside the writing
transaction (see clients/signals.py for the rules receivers follow)."""

from django.dispatch import Signal

# invoice_ids=list[int] (every kind: invoices, credit notes, quotes, delivery notes), actor,
# run=BillingRun | None. Sent in the transaction that numbers the documents, after their
# rows and lines are written: a receiver that raises leaves neither numbers nor documents.
documents_issued = Signal()
# payment=Payment, actor
payment_registered = Signal()
# payment=Payment (the original), reversal=Payment, actor
payment_reversed = Signal()
# run=BillingRun (finished: status done or failed), sent by the billing-run task once the
# run's outcome is saved (outside the chunks' transactions).
billing_run_finished = Signal()

# Registries a higher layer (the fiscal regimes of `ispgest.fiscal`) fills in its
# AppConfig.ready(), so billing asks without importing it:
# - draft_checks: fn(drafts: list[DocumentDraft]) -> {index: Spanish reason}. Consulted
#   before any document is numbered: a run turns each refusal into that contract's error, a
#   manual document is refused with the message.
# - document_marks: fn(invoice) -> dict | None. What the document's PDF prints for its
#   regime ({"qr_data_uri", "qr_mm", "qr_image_mm", "legend", "lines"}).
# - document_panels: fn(request, invoice) -> list[dict(template=..., context=...)]. Sections
#   the document's page shows (the record and the agency's answer).
draft_checks: list = []
document_marks: list = []
document_panels: list = []


def check_drafts(drafts) -> dict[int, str]:
    refused: dict[int, str] = {}
    for check in draft_checks:
        for index, reason in check(drafts).items():
            refused.setdefault(index, reason)
    return refused


def marks_for(invoice) -> dict:
    for fn in document_marks:
        marks = fn(invoice)
        if marks:
            return marks
    return {}


def panels_for(request, invoice) -> list[dict]:
    return [panel for fn in document_panels for panel in fn(request, invoice)]
