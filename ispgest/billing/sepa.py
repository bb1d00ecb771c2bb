"""SEPA direct-debit batches (remesas, pain.008.001.02) built with sepaxml.

The preview lists the due documents of direct-debit clients of one billing entity and, apart,
the clients that cannot be collected (no active mandate, missing or invalid IBAN): those
are errors and the others proceed. Creating the batch validates the XML against the
pain.008 schema (sepaxml ships the XSD), stores it, registers a direct-debit payment per
document (so it leaves the unpaid list) and marks the document submitted. A returned debit
reverses that payment: the document is unpaid again and goes into the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum import bic as std_bic
from stdnum import iban as std_iban

from ispgest.billing.models import (
    PAYABLE_KINDS,
    Invoice,
    SepaBatch,
    SepaBatchItem,
    SepaState,
)
from ispgest.billing.selectors import UNPAID_STATUSES
from ispgest.catalog.models import BillingEntity, PaymentMethod, PaymentMethodKind
from ispgest.clients.history import record_event
from ispgest.clients.models import BankMandate, Client
from ispgest.core.country import get_profile
from ispgest.core.exceptions import DomainError
from ispgest.core.money import default_currency

SCHEMA = "pain.008.001.02"


@dataclass
class PreviewItem:
    invoice: Invoice
    mandate: BankMandate
    iban: str
    sequence_type: str
    amount: Decimal


@dataclass
class SepaPreview:
    entity: BillingEntity
    due_until: date
    items: list[PreviewItem] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0.00"))


def _direct_debit_filter() -> Q:
    dd = PaymentMethodKind.DIRECT_DEBIT
    return Q(contract__payment_method__kind=dd) | Q(
        contract__payment_method__isnull=True, client__payment_method__kind=dd
    )


def check_currency() -> None:
    """SEPA direct debits are in euros: refuse to remit in any other installation currency."""
    currency = default_currency()
    if currency != "EUR":
        raise DomainError(
            f"Remesas SEPA: solo se cobran en euros y la instalación factura en {currency}.",
            field="billing_entity",
            code="sepa_currency",
        )


def _check_entity(entity: BillingEntity) -> None:
    check_currency()
    missing = [
        label
        for label, value in (
            ("identificador de acreedor SEPA", entity.sepa_creditor_id),
            ("IBAN de cobro", entity.iban),
            ("BIC", entity.bic),
        )
        if not value
    ]
    if missing:
        raise DomainError(
            f"La razón social «{entity}» no tiene {', '.join(missing)}: complétela para remesar.",
            field="billing_entity",
        )
    if not std_iban.is_valid(entity.iban):
        raise DomainError(f"El IBAN de cobro de «{entity}» no es válido.", field="billing_entity")


def sepa_preview(*, entity: BillingEntity, due_until: date) -> SepaPreview:
    """What a batch would hold now: collectable items and the clients in error."""
    preview = SepaPreview(entity=entity, due_until=due_until)
    invoices = list(
        Invoice.objects.filter(
            _direct_debit_filter(),
            billing_entity=entity,
            kind__in=PAYABLE_KINDS,
            status__in=UNPAID_STATUSES,
            due_date__lte=due_until,
        )
        .exclude(sepa_state=SepaState.SUBMITTED)
        .select_related("client")
        .order_by("client_id", "due_date", "id")
    )
    client_ids = {i.client_id for i in invoices}
    mandates = {
        m.client_id: m for m in BankMandate.objects.filter(client_id__in=client_ids, active=True)
    }
    first_pending = set()
    for inv in invoices:
        mandate = mandates.get(inv.client_id)
        amount = inv.total - inv.paid_amount - inv.credited_amount
        if mandate is None:
            preview.errors.append(
                {
                    "client": inv.client,
                    "invoice": inv,
                    "message": "El cliente no tiene un mandato SEPA activo (IBAN ausente).",
                }
            )
            continue
        iban = std_iban.compact(mandate.iban or "")
        if not iban:
            preview.errors.append(
                {"client": inv.client, "invoice": inv, "message": "Falta el IBAN del cliente."}
            )
            continue
        if not std_iban.is_valid(iban):
            preview.errors.append(
                {
                    "client": inv.client,
                    "invoice": inv,
                    "message": f"El IBAN «{mandate.iban}» del cliente no es válido.",
                }
            )
            continue
        if mandate.bic and not std_bic.is_valid(mandate.bic):
            preview.errors.append(
                {
                    "client": inv.client,
                    "invoice": inv,
                    "message": f"El BIC «{mandate.bic}» del cliente no es válido.",
                }
            )
            continue
        # The first collection of a mandate is FRST, every later one RCUR.
        if not mandate.first_collection_done and mandate.pk not in first_pending:
            seq = "FRST"
            first_pending.add(mandate.pk)
        else:
            seq = "RCUR"
        preview.items.append(PreviewItem(inv, mandate, iban, seq, amount))
    return preview


def build_xml(
    entity: BillingEntity, items: list[PreviewItem], collection_date: date, msg_id: str
) -> bytes:
    from sepaxml import SepaDD

    config = {
        "name": entity.name[:70],
        "IBAN": std_iban.compact(entity.iban),
        "BIC": entity.bic,
        "batch": True,
        "creditor_id": entity.sepa_creditor_id,
        "currency": default_currency(),
    }
    sepa = SepaDD(config, schema=SCHEMA, clean=True)
    sepa.msg_id = msg_id
    for item in items:
        payment = {
            "name": item.invoice.client_name[:70] or "Cliente",
            "IBAN": item.iban,
            "amount": int((item.amount * 100).to_integral_value()),
            "type": item.sequence_type,
            "collection_date": collection_date,
            "mandate_id": item.mandate.mandate_reference,
            "mandate_date": item.mandate.signed_on,
            "description": f"{item.invoice.number_display} {item.invoice.client_name}"[:140],
            "endtoend_id": f"ISPG{item.invoice.pk}"[:35],
        }
        if item.mandate.bic:
            payment["BIC"] = item.mandate.bic
        sepa.add_payment(payment)
    return sepa.export(validate=True)


def validate_xml(xml: bytes) -> None:
    """Raise when the XML does not validate against the pain.008.001.02 schema."""
    from sepaxml.validation import try_valid_xml

    try_valid_xml(xml, SCHEMA)


@transaction.atomic
def sepa_batch_create(
    *, actor, entity: BillingEntity, due_until: date, collection_date: date
) -> tuple[SepaBatch | None, SepaPreview]:
    """Build, validate and store a batch of what the preview can collect now."""
    from ispgest.billing.services import mark_sepa_state, payment_register

    _check_entity(entity)
    if collection_date < timezone.localdate():
        raise DomainError("La fecha de cobro no puede ser pasada.", field="collection_date")
    method = PaymentMethod.objects.filter(kind=PaymentMethodKind.DIRECT_DEBIT, active=True).first()
    if method is None:
        raise DomainError("No hay una forma de pago de domiciliación bancaria activa.")
    # Lock the candidates so two clerks cannot remit the same documents.
    list(
        Invoice.objects.select_for_update()
        .filter(billing_entity=entity, status__in=UNPAID_STATUSES, due_date__lte=due_until)
        .order_by("id")
        .values_list("id", flat=True)
    )
    preview = sepa_preview(entity=entity, due_until=due_until)
    if not preview.items:
        return None, preview
    msg_id = f"ISPG-{entity.pk}-{timezone.now():%Y%m%d%H%M%S%f}"[:35]
    try:
        xml = build_xml(entity, preview.items, collection_date, msg_id)
    except Exception as exc:  # sepaxml raises plain Exceptions for bad input
        raise DomainError(f"La remesa no valida contra el esquema pain.008: {exc}")
    batch = SepaBatch.objects.create(
        billing_entity=entity,
        message_id=msg_id,
        collection_date=collection_date,
        created_by=actor if getattr(actor, "pk", None) else None,
        count=len(preview.items),
        total=preview.total,
        xml=xml.decode(),
    )
    first_mandates = set()
    for item in preview.items:
        payment = payment_register(
            actor=actor,
            client=item.invoice.client,
            method=method,
            amount=item.amount,
            allocations=[(item.invoice, item.amount)],
            payment_date=collection_date,
            reference=f"SEPA {msg_id}",
            notify=False,
            sepa_batch=batch,
        )
        SepaBatchItem.objects.create(
            batch=batch,
            invoice=item.invoice,
            payment=payment,
            mandate_reference=item.mandate.mandate_reference,
            iban=item.iban,
            sequence_type=item.sequence_type,
            amount=item.amount,
        )
        if item.sequence_type == "FRST":
            first_mandates.add(item.mandate.pk)
    mark_sepa_state([i.invoice.pk for i in preview.items], SepaState.SUBMITTED)
    BankMandate.objects.filter(pk__in=first_mandates).update(first_collection_done=True)
    return batch, preview


@transaction.atomic
def sepa_return_record(*, actor, item: SepaBatchItem, reason: str, returned_on: date | None = None):
    """A returned debit: reverse its payment so the document is unpaid again."""
    from ispgest.billing.services import mark_sepa_state, payment_reverse

    item = SepaBatchItem.objects.select_for_update().get(pk=item.pk)
    if item.status == SepaBatchItem.Status.RETURNED:
        raise DomainError("Este adeudo ya está registrado como devuelto.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo de la devolución.", field="reason")
    payment_reverse(actor=actor, payment=item.payment, reason=f"Adeudo devuelto: {reason}")
    item.status = SepaBatchItem.Status.RETURNED
    item.returned_on = returned_on or timezone.localdate()
    item.return_reason = reason[:200]
    item.save(update_fields=["status", "returned_on", "return_reason"])
    mark_sepa_state([item.invoice_id], SepaState.RETURNED)
    client = Client.objects.get(pk=item.invoice.client_id)
    record_event(
        client=client,
        actor=actor,
        action="sepa.returned",
        summary=f"Adeudo SEPA de {item.invoice.number_display} devuelto "
        f"({get_profile().format_money(item.amount)}): {reason}",
        obj=item.invoice,
    )
    return item
