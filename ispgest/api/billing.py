"""Billing endpoints under /api/v1/billing/: documents (list, read, PDF), credit notes,
payments, wallet movements, the next-invoice preview, billing runs and SEPA return files.

Every endpoint checks its permission and reads clients through visible_clients(); writes go
through billing/services.py, so the API enforces exactly the rules of the pages.
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.billing import engine, selectors, services
from ispgest.billing.models import BillingRun, Invoice, Payment, WalletMovement
from ispgest.billing.pdf import document_pdf
from ispgest.catalog.models import PaymentMethod
from ispgest.clients.scoping import visible_clients

router = Router(tags=["facturación"])


class InvoiceLineOut(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_name: str
    tax_rate: Decimal
    tax_included: bool
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal


class InvoiceOut(Schema):
    id: int
    kind: str = Field(description="invoice | credit_note | quote | delivery_note")
    status: str = Field(description="pending | partially_paid | paid | voided")
    number: int
    number_display: str
    legal: bool = Field(description="False: documento sin validez legal (fantasía)")
    client_id: int
    contract_id: int | None
    billing_entity_id: int
    invoice_type_id: int | None
    point_of_sale_id: int | None
    client_name: str
    client_tax_id: str
    client_address: str
    period_start: dt.date | None
    period_end: dt.date | None = Field(description="Exclusivo")
    issue_date: dt.date
    due_date: dt.date | None
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    paid_amount: Decimal
    credited_amount: Decimal
    remaining: Decimal
    credited_invoice_id: int | None
    sepa_state: str


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]


class InvoiceFilter(Schema):
    client_id: int | None = None
    kind: str | None = None
    status: str | None = None


class InvoiceLineIn(Schema):
    description: str
    quantity: Decimal = Decimal("1")
    unit_price: Decimal
    tax_id: int | None = Field(None, description="Impuesto (id); vacío: el del cliente")


class DocumentIn(Schema):
    client_id: int
    kind: str = Field("invoice", description="invoice | quote | delivery_note")
    issue_date: dt.date | None = None
    notes: str = ""
    lines: list[InvoiceLineIn]


class CreditNoteIn(Schema):
    amount: Decimal | None = Field(None, description="Vacío: todo lo que queda (anula)")
    reason: str


class PaymentIn(Schema):
    client_id: int
    method_id: int
    amount: Decimal
    invoice_ids: list[int] = Field(description="Documentos a pagar, los más antiguos primero")
    date: dt.date | None = None
    reference: str = ""
    excess_to_wallet: bool = Field(
        False, description="Depositar en el monedero lo que supere lo adeudado"
    )


class AllocationOut(Schema):
    invoice_id: int
    amount: Decimal


class PaymentOut(Schema):
    id: int
    client_id: int
    method_id: int
    amount: Decimal
    date: dt.date
    reference: str
    reverses_id: int | None
    receipt_number: str | None
    allocations: list[AllocationOut]
    wallet_excess: Decimal = Field(
        description="Lo que el pago depositó en el monedero por encima de lo adeudado"
    )

    @staticmethod
    def resolve_receipt_number(obj):
        receipt = getattr(obj, "receipt", None) if hasattr(obj, "receipt") else None
        return receipt.number_display if receipt else None

    @staticmethod
    def resolve_allocations(obj):
        return list(obj.allocations.all())


class DepositIn(Schema):
    amount: Decimal
    concept: str
    date: dt.date | None = Field(None, description="Por defecto, hoy")


class MovementOut(Schema):
    id: int
    kind: str
    concept: str
    date: dt.date
    amount: Decimal
    balance_after: Decimal
    payment_id: int | None


class PreviewLineOut(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    tax_amount: Decimal
    total: Decimal


class PreviewDocOut(Schema):
    contract_id: int | None
    period_start: dt.date | None
    period_end: dt.date | None
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    lines: list[PreviewLineOut]


class PreviewOut(Schema):
    run_date: dt.date | None
    documents: list[PreviewDocOut]
    errors: list[str]


class RunIn(Schema):
    run_date: dt.date


class RunOut(Schema):
    id: int
    run_date: dt.date
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    contracts_seen: int
    invoices_issued: int
    already_invoiced: int
    total: Decimal
    done: int
    total_contracts: int
    percent: int
    errors: list[dict]

    @staticmethod
    def resolve_done(obj):
        return obj.job.done if obj.job else 0

    @staticmethod
    def resolve_total_contracts(obj):
        return obj.job.total if obj.job else obj.contracts_seen

    @staticmethod
    def resolve_percent(obj):
        return obj.job.percent if obj.job else 0


def _invoices(request):
    return Invoice.objects.filter(client__in=visible_clients(request.user))


def _client(request, client_id):
    return get_object_or_404(visible_clients(request.user), pk=client_id)


@router.get("/invoices", response=list[InvoiceOut], url_name="billing_invoice_list")
@paginate
def invoice_list(request, filters: Query[InvoiceFilter]):
    """Documentos (facturas, notas de crédito, presupuestos, albaranes), los más nuevos primero."""
    require_perms(request, "billing.view_invoice")
    qs = _invoices(request).order_by("-id")
    if filters.client_id:
        qs = qs.filter(client_id=filters.client_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get("/invoices/{int:invoice_id}", response=InvoiceDetailOut, url_name="billing_invoice_get")
def invoice_get(request, invoice_id: int):
    require_perms(request, "billing.view_invoice")
    return get_object_or_404(_invoices(request).prefetch_related("lines"), pk=invoice_id)


@router.get("/invoices/{int:invoice_id}/pdf", url_name="billing_invoice_pdf")
def invoice_pdf(request, invoice_id: int):
    """El PDF del documento (application/pdf)."""
    require_perms(request, "billing.view_invoice")
    invoice = get_object_or_404(_invoices(request), pk=invoice_id)
    response = HttpResponse(document_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number_display}.pdf"'
    return response


@router.post("/invoices", response={201: InvoiceDetailOut}, url_name="billing_invoice_create")
def invoice_create(request, payload: DocumentIn):
    """Crear Factura (o presupuesto/albarán) con líneas libres; precios y cantidades > 0."""
    require_perms(request, "billing.add_invoice")
    client = _client(request, payload.client_id)
    from ispgest.catalog.models import Tax

    taxes = {
        t.pk: t for t in Tax.objects.filter(pk__in=[ln.tax_id for ln in payload.lines if ln.tax_id])
    }
    doc = services.document_create(
        actor=request.user,
        client=client,
        kind=payload.kind,
        lines=[
            services.LineInput(ln.description, ln.quantity, ln.unit_price, taxes.get(ln.tax_id))
            for ln in payload.lines
        ],
        issue_date=payload.issue_date,
        notes=payload.notes,
    )
    return Status(201, Invoice.objects.prefetch_related("lines").get(pk=doc.pk))


@router.post(
    "/invoices/{int:invoice_id}/credit-notes",
    response={201: InvoiceDetailOut},
    url_name="billing_credit_note_create",
)
def credit_note_create(request, invoice_id: int, payload: CreditNoteIn):
    """Nota de crédito contra una factura: nunca mayor que lo que queda de ella."""
    require_perms(request, "billing.view_invoice", "billing.issue_credit_note")
    invoice = get_object_or_404(_invoices(request), pk=invoice_id)
    note = services.credit_note_create(
        actor=request.user, invoice=invoice, amount=payload.amount, reason=payload.reason
    )
    return Status(201, Invoice.objects.prefetch_related("lines").get(pk=note.pk))


@router.get("/payments", response=list[PaymentOut], url_name="billing_payment_list")
@paginate
def payment_list(request, client_id: int | None = None):
    require_perms(request, "billing.view_payment")
    qs = (
        Payment.objects.filter(client__in=visible_clients(request.user))
        .select_related("receipt")
        .prefetch_related("allocations", "wallet_movements")
        .order_by("-id")
    )
    if client_id:
        qs = qs.filter(client_id=client_id)
    return qs


@router.post("/payments", response={201: PaymentOut}, url_name="billing_payment_create")
def payment_create(request, payload: PaymentIn):
    """Registrar un pago contra uno o más documentos; parcial permitido. Mayor que lo
    adeudado: rechazado (422) salvo con `excess_to_wallet`, que paga lo adeudado y deposita
    el excedente en el monedero en el mismo paso (`wallet_excess`). Con la forma de pago
    Monedero descuenta del monedero."""
    require_perms(request, "billing.add_payment")
    client = _client(request, payload.client_id)
    method = get_object_or_404(PaymentMethod, pk=payload.method_id)
    invoices = list(Invoice.objects.filter(pk__in=payload.invoice_ids, client=client))
    if len(invoices) != len(set(payload.invoice_ids)):
        from ispgest.core.exceptions import DomainError

        raise DomainError(
            "Una de las facturas no existe o no es de este cliente.", field="invoice_ids"
        )
    payment = services.payment_register(
        actor=request.user,
        client=client,
        method=method,
        amount=payload.amount,
        invoices=invoices,
        payment_date=payload.date,
        reference=payload.reference,
        excess_to_wallet=payload.excess_to_wallet,
    )
    return Status(
        201,
        Payment.objects.select_related("receipt")
        .prefetch_related("allocations", "wallet_movements")
        .get(pk=payment.pk),
    )


@router.get(
    "/clients/{int:client_id}/wallet/movements",
    response=list[MovementOut],
    url_name="billing_wallet_movements",
)
@paginate
def wallet_movements(request, client_id: int):
    require_perms(request, "billing.view_wallet")
    client = _client(request, client_id)
    return selectors.wallet_movements(client.pk)


@router.post(
    "/clients/{int:client_id}/wallet/deposits",
    response={201: MovementOut},
    url_name="billing_wallet_deposit",
)
def wallet_deposit(request, client_id: int, payload: DepositIn):
    """Depósito en el Monedero (concepto, fecha por defecto hoy, importe > 0)."""
    require_perms(request, "billing.add_walletmovement")
    client = _client(request, client_id)
    movement = services.wallet_deposit(
        actor=request.user,
        client=client,
        amount=payload.amount,
        concept=payload.concept,
        movement_date=payload.date,
    )
    return Status(201, WalletMovement.objects.get(pk=movement.pk))


@router.get("/clients/{int:client_id}/preview", response=PreviewOut, url_name="billing_preview")
def preview(request, client_id: int):
    """Próximo previo: lo que facturará la próxima facturación (calculado, no guardado)."""
    require_perms(request, "billing.view_invoice")
    client = _client(request, client_id)
    run_date, drafts, errors = engine.preview_client(client)
    return {
        "run_date": run_date,
        "documents": [
            {
                "contract_id": d.contract_id,
                "period_start": d.period_start,
                "period_end": d.period_end,
                "subtotal": d.subtotal,
                "tax_total": d.tax_total,
                "total": d.total,
                "lines": [
                    {
                        "description": ln.description,
                        "quantity": ln.quantity,
                        "unit_price": ln.unit_price,
                        "net": ln.net,
                        "tax_amount": ln.tax_amount,
                        "total": ln.total,
                    }
                    for ln in d.lines
                ],
            }
            for d in drafts
        ],
        "errors": [e["message"] for e in errors],
    }


@router.post("/runs", response={202: RunOut}, url_name="billing_run_start")
def run_start(request, payload: RunIn):
    """Lanza la facturación periódica en segundo plano; consulte su progreso en /runs/{id}."""
    require_perms(request, "billing.run_billing")
    run = services.billing_run_start(actor=request.user, run_date=payload.run_date)
    return Status(202, BillingRun.objects.select_related("job").get(pk=run.pk))


@router.get("/runs/{int:run_id}", response=RunOut, url_name="billing_run_get")
def run_get(request, run_id: int):
    require_perms(request, "billing.view_billingrun")
    return get_object_or_404(BillingRun.objects.select_related("job"), pk=run_id)


class SepaReturnUnmatchedOut(Schema):
    end_to_end_id: str
    amount: Decimal | None
    reason: str
    problem: str


class SepaReturnFileOut(Schema):
    id: int
    kind: str = Field(description="pain.002.001.03 | camt.054.001.02 | camt.054.001.08")
    message_id: str
    sha256: str
    matched_count: int
    matched_total: Decimal
    unmatched_count: int
    unmatched: list[SepaReturnUnmatchedOut]
    returned_invoice_ids: list[int]


@router.post(
    "/sepa/returns", response={201: SepaReturnFileOut}, url_name="billing_sepa_returns_import"
)
def sepa_returns_import(request, file: File[UploadedFile]):
    """Importar un fichero de devoluciones del banco (pain.002.001.03, camt.054.001.02 o
    .001.08, hasta 2 MB): se valida contra su XSD y se aplica entero o nada. Cada adeudo
    casado por referencia extremo a extremo e importe se devuelve (pago revertido, factura
    pendiente); los no casados se listan. El mismo fichero o identificador de mensaje dos
    veces: 422."""
    from ispgest.billing.sepa_returns import MAX_FILE_SIZE, sepa_return_file_import
    from ispgest.core.exceptions import DomainError

    require_perms(request, "billing.manage_sepa")
    if file.size > MAX_FILE_SIZE:
        raise DomainError("Fichero: supera el tamaño máximo de 2 MB.", field="file")
    record = sepa_return_file_import(actor=request.user, content=file.read(), file_name=file.name)
    return Status(
        201,
        {
            "id": record.pk,
            "kind": record.kind,
            "message_id": record.message_id,
            "sha256": record.sha256,
            "matched_count": record.matched_count,
            "matched_total": record.matched_total,
            "unmatched_count": record.unmatched_count,
            "unmatched": record.unmatched,
            "returned_invoice_ids": sorted(record.items.values_list("invoice_id", flat=True)),
        },
    )
