"""Every write of the fiscal layer that a person starts: the issuer's settings and
certificate, the anulación and the subsanación of a record, "send now". Records of issued
documents are written by the billing hook (`fiscal/hooks.py`), the agency's answers by the
queue (`verifactu/queue.py`).

Lock order, as everywhere: documents (by id) -> number sequences -> chain heads.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ispgest.billing.models import DocumentKind, Invoice
from ispgest.billing.services import document_void
from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.core.audit import audit
from ispgest.core.country import clean_tax_id
from ispgest.core.exceptions import DomainError
from ispgest.fiscal.hooks import DOCUMENT_COLUMNS
from ispgest.fiscal.models import Chain, Environment, Issuer, Record, RecordKind, RecordStatus
from ispgest.fiscal.verifactu import certs, records
from ispgest.fiscal.verifactu.adapter import enqueue_submissions


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo.", field="reason")
    if len(reason) > 500:
        raise DomainError("El motivo admite 500 caracteres.", field="reason")
    return reason


@transaction.atomic
def issuer_settings_update(
    *, actor, issuer: Issuer, environment: str, credit_note_type: str
) -> Issuer:
    """Agency environment and default rectificativa type of an issuer.

    Moving to production starts the production chain afresh (its first record says
    "PrimerRegistro"); test records never go to production and production never goes back
    to test.
    """
    if environment not in Environment.values:
        raise DomainError("Entorno no válido.", field="environment")
    if credit_note_type not in ("R1", "R4"):
        raise DomainError("Tipo de rectificativa no válido.", field="credit_note_type")
    issuer = Issuer.objects.select_for_update().get(pk=issuer.pk)
    changes = {}
    if environment != issuer.environment:
        if issuer.environment == Environment.PRODUCTION:
            raise DomainError(
                "Un emisor en producción no vuelve al entorno de pruebas.", field="environment"
            )
        chain = Chain.objects.select_for_update().get(issuer=issuer)
        chain.last_num_serie, chain.last_issue_date, chain.last_huella = "", None, ""
        chain.save(update_fields=["last_num_serie", "last_issue_date", "last_huella"])
        changes["Entorno"] = [
            str(issuer.get_environment_display()),
            str(Environment(environment).label),
        ]
        issuer.environment = environment
        issuer.production_from = chain.length + 1
        issuer.next_send_at = None
    if credit_note_type != issuer.credit_note_type:
        changes["Rectificativas"] = [issuer.credit_note_type, credit_note_type]
        issuer.credit_note_type = credit_note_type
    if changes:
        issuer.save(
            update_fields=[
                "environment",
                "credit_note_type",
                "next_send_at",
                "production_from",
                "updated_at",
            ]
        )
        audit(
            actor=actor,
            action="fiscal.issuer_updated",
            obj=issuer,
            summary=f"Configuración VERI*FACTU de {issuer}",
            changes=changes,
        )
    return issuer


@transaction.atomic
def issuer_certificate_upload(*, actor, issuer: Issuer, data: bytes, password: str) -> Issuer:
    """Store the issuer's PKCS#12 certificate, encrypted, after checking that it opens with
    the password and is in force. Nothing of it is ever shown back."""
    info = certs.inspect(data, password)
    issuer = Issuer.objects.select_for_update().get(pk=issuer.pk)
    issuer.certificate, issuer.certificate_password = certs.seal(data, password)
    issuer.certificate_subject = info.subject
    issuer.certificate_nif = info.nif
    issuer.certificate_not_after = info.not_after
    issuer.certificate_fingerprint = info.fingerprint
    issuer.certificate_uploaded_at = timezone.now()
    issuer.next_send_at = None
    issuer.save()
    audit(
        actor=actor,
        action="fiscal.certificate_uploaded",
        obj=issuer,
        summary=(
            f"Certificado de {info.subject} (NIF {info.nif or '—'}, válido hasta "
            f"{timezone.localtime(info.not_after):%d/%m/%Y}) para {issuer}"
        ),
    )
    transaction.on_commit(lambda: enqueue_submissions([issuer.pk]))
    return issuer


@transaction.atomic
def issuer_submit_now(*, actor, issuer: Issuer) -> None:
    """ "Reintentar": send the queue now, without waiting for the retry pause."""
    from ispgest.fiscal.tasks import submit_issuer_now

    if not issuer.certificate:
        raise DomainError("Suba antes el certificado del emisor.", field="certificate")
    audit(actor=actor, action="fiscal.submit_now", obj=issuer, summary=f"Envío manual de {issuer}")
    Issuer.objects.filter(pk=issuer.pk).update(next_send_at=None)
    transaction.on_commit(lambda: submit_issuer_now.enqueue(issuer.pk))


def _alta_for_update(invoice_id: int) -> tuple[Invoice, Record]:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    alta = (
        Record.objects.filter(invoice=invoice, kind=RecordKind.ALTA).order_by("-position").first()
    )
    if alta is None:
        raise DomainError(f"{invoice} no tiene registro de facturación.")
    if Record.objects.filter(invoice=invoice, kind=RecordKind.ANULACION).exists():
        raise DomainError(f"El registro de {invoice} ya está anulado.")
    return invoice, alta


@transaction.atomic
def record_cancel(*, actor, invoice: Invoice, reason: str) -> Record:
    """Anulación: the invoice should never have been issued (it was not delivered).

    Voids the unpaid invoice in billing and appends a RegistroAnulacion to the chain. An
    invoice delivered to the client is corrected with a credit note (a rectificativa)
    instead.
    """
    reason = _reason(reason)
    invoice, alta = _alta_for_update(invoice.pk)
    if invoice.kind != DocumentKind.INVOICE:
        raise DomainError(
            "Solo se anulan registros de facturas; una nota de crédito se corrige con otra."
        )
    document_void(actor=actor, invoice=invoice, reason=reason)
    registered = Record.objects.filter(
        invoice=invoice,
        kind=RecordKind.ALTA,
        status__in=[RecordStatus.ACCEPTED, RecordStatus.ACCEPTED_WITH_ERRORS],
    ).exists()
    sin_registro = alta.status == RecordStatus.REJECTED and not registered
    chains = records.lock_chains([alta.issuer_id])
    (record_id,) = records.append_records(
        chains[alta.issuer_id],
        alta.issuer,
        [
            {
                "kind": RecordKind.ANULACION,
                "billing_entity_id": invoice.billing_entity_id,
                "invoice_id": invoice.pk,
                "issuer_name": alta.issuer_name,
                "num_serie": alta.num_serie,
                "issue_date": alta.issue_date,
                "sin_registro_previo": sin_registro,
                "corrects_id": alta.pk,
                "reason": reason,
            }
        ],
        actor=actor,
    )
    record = Record.objects.get(pk=record_id)
    audit(
        actor=actor,
        action="fiscal.record_cancelled",
        obj=record,
        summary=f"Anulación del registro de {invoice}: {reason}",
        client_id=invoice.client_id,
    )
    record_event(
        client=Client.objects.get(pk=invoice.client_id),
        actor=actor,
        action="fiscal.record_cancelled",
        summary=f"Registro VERI*FACTU de {invoice.number_display} anulado: {reason}",
        obj=record,
        audit_entry=False,
    )
    transaction.on_commit(lambda: enqueue_submissions([alta.issuer_id]))
    return record


@transaction.atomic
def record_correct(
    *,
    actor,
    record: Record,
    reason: str,
    recipient_name: str | None = None,
    recipient_tax_id: str | None = None,
) -> Record:
    """Subsanación of an alta the agency rejected or accepted with errors: a new alta of the
    same invoice (same number, date and amounts) with the data corrected, appended to the
    chain. After a rejection it says RechazoPrevio "X" (the agency holds no record).

    The recipient may be corrected here (the invoice keeps its snapshot); the issuer's name
    is taken as the billing entity has it now.
    """
    reason = _reason(reason)
    invoice, alta = _alta_for_update(record.invoice_id)
    if alta.pk != record.pk:
        raise DomainError("Solo se subsana el último registro de la factura.")
    if alta.status not in (RecordStatus.REJECTED, RecordStatus.ACCEPTED_WITH_ERRORS):
        raise DomainError(
            "Solo se subsanan registros rechazados o aceptados con errores por la AEAT."
        )
    doc = Invoice.objects.filter(pk=invoice.pk).values(*DOCUMENT_COLUMNS).get()
    override = None
    if recipient_name is not None or recipient_tax_id is not None:
        name = (recipient_name or doc["client_name"] or "").strip()
        tax_id = (recipient_tax_id if recipient_tax_id is not None else doc["client_tax_id"]) or ""
        kind = doc["client_tax_id_kind"] or "NIF"
        if not name:
            raise DomainError("Indique el nombre del destinatario.", field="recipient_name")
        tax_id = clean_tax_id(tax_id, kind, field="recipient_tax_id") if tax_id else ""
        override = {"name": name[:120], "tax_id": tax_id, "tax_id_kind": kind}
        problem = records.nif_problem(tax_id, kind)
        if problem:
            raise DomainError(problem + ".", field="recipient_tax_id")
    issuers, specs = records.build_specs([doc], recipient=override)
    ((issuer_id, spec),) = specs
    spec.update(
        subsanacion=True,
        rechazo_previo="X" if alta.status == RecordStatus.REJECTED else "",
        corrects_id=alta.pk,
        reason=reason,
    )
    chains = records.lock_chains([issuer_id])
    (record_id,) = records.append_records(
        chains[issuer_id], issuers[issuer_id], [spec], actor=actor
    )
    new = Record.objects.get(pk=record_id)
    audit(
        actor=actor,
        action="fiscal.record_corrected",
        obj=new,
        summary=f"Subsanación del registro de {invoice}: {reason}",
        client_id=invoice.client_id,
    )
    record_event(
        client=Client.objects.get(pk=invoice.client_id),
        actor=actor,
        action="fiscal.record_corrected",
        summary=f"Registro VERI*FACTU de {invoice.number_display} subsanado: {reason}",
        obj=new,
        audit_entry=False,
    )
    transaction.on_commit(lambda: enqueue_submissions([issuer_id]))
    return new
