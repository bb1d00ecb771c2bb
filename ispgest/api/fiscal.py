"""Fiscal endpoints under /api/v1/fiscal/ (VERI*FACTU): issuers and their queues, records
(with their XML), the records of a document, "send now", anulación, subsanación and the
export of a period. Same permissions and services as the pages."""

import datetime as dt
import tempfile
from decimal import Decimal

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.billing.models import Invoice
from ispgest.catalog.models import BillingEntity, FiscalRegime
from ispgest.core.exceptions import DomainError
from ispgest.fiscal import selectors, services
from ispgest.fiscal.models import Issuer, Record
from ispgest.fiscal.verifactu import export
from ispgest.fiscal.verifactu import xml as X

router = Router(tags=["facturación electrónica"])
ALL = "clients.view_all_clients"


class IssuerOut(Schema):
    id: int
    nif: str
    name: str
    environment: str = Field(description="test | production")
    has_certificate: bool
    certificate_not_after: dt.datetime | None
    next_send_at: dt.datetime | None
    wait_seconds: int
    failing_since: dt.datetime | None
    last_error: str
    last_sent_at: dt.datetime | None
    counts: dict[str, int] = Field(
        description="Registros del entorno actual por estado: pending, accepted, "
        "accepted_with_errors, rejected"
    )

    @staticmethod
    def resolve_counts(obj) -> dict[str, int]:
        return selectors.issuer_counts(obj)


class RecordOut(Schema):
    id: int
    issuer_id: int
    position: int = Field(description="Posición en la cadena del emisor (1, 2, ...)")
    kind: str = Field(description="alta | anulacion")
    invoice_id: int
    environment: str
    issuer_nif: str
    num_serie: str
    issue_date: dt.date
    invoice_type: str = Field(description="F1, F2, R1-R5 (vacío en una anulación)")
    recipient_nif: str
    recipient_name: str
    tax_total: Decimal | None
    total: Decimal | None
    generated_at: str = Field(alias="generated_at_text")
    huella: str
    previous_huella: str
    subsanacion: bool
    rechazo_previo: str
    status: str = Field(description="pending | accepted | accepted_with_errors | rejected")
    error_code: int | None
    error_text: str
    submission_id: int | None
    sent_at: dt.datetime | None


class ReasonIn(Schema):
    reason: str = Field(max_length=500)


class CorrectIn(Schema):
    reason: str = Field(max_length=500)
    recipient_name: str | None = Field(default=None, max_length=120)
    recipient_tax_id: str | None = Field(default=None, max_length=20)


@router.get("/issuers", response=list[IssuerOut], url_name="fiscal_issuer_list")
@paginate
def issuer_list(request):
    """Issuers (one per NIF) with their queue: records of the current environment by state."""
    require_perms(request, "fiscal.view_record", ALL)
    return Issuer.objects.select_related("chain").order_by("id")


@router.get(
    "/issuers/{int:issuer_id}/records", response=list[RecordOut], url_name="fiscal_record_list"
)
@paginate
def record_list(request, issuer_id: int, status: str | None = None):
    """Records of an issuer, newest first; `status` filters those of its current environment."""
    require_perms(request, "fiscal.view_record", ALL)
    issuer = get_object_or_404(Issuer, pk=issuer_id)
    return selectors.issuer_records(issuer, status)


@router.post(
    "/issuers/{int:issuer_id}/submit", response={202: dict}, url_name="fiscal_issuer_submit"
)
def issuer_submit(request, issuer_id: int):
    """Send the issuer's queue now (Reintentar)."""
    require_perms(request, "fiscal.submit_records", ALL)
    services.issuer_submit_now(actor=request.user, issuer=get_object_or_404(Issuer, pk=issuer_id))
    return Status(202, {"queued": True})


@router.get("/records/{int:record_id}", response=RecordOut, url_name="fiscal_record_detail")
def record_detail(request, record_id: int):
    require_perms(request, "fiscal.view_record", ALL)
    return get_object_or_404(Record, pk=record_id)


@router.get("/records/{int:record_id}/xml", url_name="fiscal_record_xml")
def record_xml(request, record_id: int):
    """The record as the AEAT receives it (sf:RegistroAlta / sf:RegistroAnulacion)."""
    require_perms(request, "fiscal.view_record", ALL)
    record = get_object_or_404(Record.objects.select_related("software"), pk=record_id)
    data = X.etree.tostring(X.record_element(record), xml_declaration=True, encoding="UTF-8")
    return HttpResponse(data, content_type="application/xml")


@router.get(
    "/documents/{int:invoice_id}/records",
    response=list[RecordOut],
    url_name="fiscal_document_records",
)
@paginate
def document_records(request, invoice_id: int):
    require_perms(request, "fiscal.view_record", ALL)
    return Record.objects.filter(invoice_id=invoice_id).order_by("position", "id")


@router.post(
    "/documents/{int:invoice_id}/cancel",
    response={201: RecordOut},
    url_name="fiscal_document_cancel",
)
def document_cancel(request, invoice_id: int, payload: ReasonIn):
    """Anulación of an unpaid invoice issued by mistake (voids it; a RegistroAnulacion)."""
    require_perms(request, "fiscal.cancel_record", ALL)
    invoice = get_object_or_404(Invoice, pk=invoice_id)
    return Status(
        201, services.record_cancel(actor=request.user, invoice=invoice, reason=payload.reason)
    )


@router.post(
    "/records/{int:record_id}/correct", response={201: RecordOut}, url_name="fiscal_record_correct"
)
def record_correct(request, record_id: int, payload: CorrectIn):
    """Subsanación of an alta the agency rejected or accepted with errors."""
    require_perms(request, "fiscal.correct_record", ALL)
    record = get_object_or_404(Record, pk=record_id)
    new = services.record_correct(
        actor=request.user,
        record=record,
        reason=payload.reason,
        recipient_name=payload.recipient_name,
        recipient_tax_id=payload.recipient_tax_id,
    )
    return Status(201, new)


@router.get("/export", url_name="fiscal_export")
def export_period(
    request,
    entity_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """The records of a period (by issue date, both included) as one XML file, in issue
    order. All three parameters are required."""
    require_perms(request, "fiscal.export_records", ALL)
    for name, value in (("entity_id", entity_id), ("date_from", date_from), ("date_to", date_to)):
        if value is None:
            raise DomainError("Este dato es obligatorio.", field=name)
    entity = get_object_or_404(BillingEntity, pk=entity_id, fiscal_regime=FiscalRegime.VERIFACTU)
    if date_from > date_to:
        raise DomainError("La fecha final es anterior a la inicial.", field="date_to")
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export.write(out, entity, date_from, date_to)
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename="registros.xml", content_type="application/xml"
    )
