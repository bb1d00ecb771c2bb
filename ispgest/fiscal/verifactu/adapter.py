"""The VERI*FACTU regime adapter (see fiscal/regimes.py for the interface)."""

from __future__ import annotations

from django.db import transaction

from ispgest.fiscal.models import Issuer, Record, RecordKind
from ispgest.fiscal.verifactu import qr, records


class VerifactuAdapter:
    code = "verifactu"
    label = "VERI*FACTU (España)"

    def check_drafts(self, drafts, entities) -> dict[int, str]:
        return records.check_drafts(drafts, entities)

    def documents_issued(self, documents, *, actor, run) -> None:
        written = records.issue_records(documents, actor=actor)
        if written:
            issuer_ids = sorted(written)
            transaction.on_commit(lambda: enqueue_submissions(issuer_ids))

    def document_marks(self, invoice) -> dict | None:
        record = latest_alta(invoice)
        return qr.marks(record) if record is not None else None

    def document_panels(self, request, invoice) -> list[dict]:
        rows = list(
            Record.objects.filter(invoice=invoice)
            .select_related("submission", "invoice")
            .order_by("position")
        )
        if not rows:
            return []
        user = request.user
        return [
            {
                "template": "fiscal/_document_section.html",
                "context": {
                    "records": rows,
                    "can_view": user.has_perm("fiscal.view_record"),
                    "can_cancel": user.has_perm("fiscal.cancel_record"),
                    "can_correct": user.has_perm("fiscal.correct_record"),
                },
            }
        ]


def latest_alta(invoice) -> Record | None:
    return (
        Record.objects.filter(invoice=invoice, kind=RecordKind.ALTA).order_by("-position").first()
    )


def enqueue_submissions(issuer_ids: list[int]) -> None:
    """Ask a worker to send what is due for these issuers (only those with a certificate:
    without one nothing can be sent, and the records wait in the queue)."""
    from ispgest.fiscal.tasks import submit_issuer

    ready = Issuer.objects.filter(pk__in=issuer_ids).exclude(certificate="")
    for issuer_id in ready.values_list("pk", flat=True):
        submit_issuer.enqueue(issuer_id)


VERIFACTU = VerifactuAdapter()
