"""Billing: documents (invoices, credit notes, quotes, delivery notes), numbering, payments,
receipts, the wallet (monedero) ledger, SEPA direct-debit batches and billing runs.

Rules that everything here relies on:

- An issued document never changes its lines or totals. Only its payment state moves, along
  `INVOICE_TRANSITIONS`, and only through services (payments, credit notes, SEPA returns).
- Numbers come from `NumberSequence` rows locked with `select_for_update` in the same
  transaction that inserts the documents, so a rollback gives the numbers back: gapless.
- One invoice per contract and period: a unique constraint on (contract, period_start).
- Money moves as rows (payment allocations, wallet movements); corrections are reversing rows.
- `ClientBalance` holds each client's unpaid count/total and wallet balance, updated in the
  same transaction as every invoice, payment, credit note and wallet movement, so the client
  list, search and export can filter and sort on it at a million clients.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import ImmutableRow, ImmutableRowError, TimeStampedModel  # noqa: F401
from ispgest.core.money import ZERO, default_currency

MONEY = {"max_digits": 14, "decimal_places": 2}


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Factura")
    CREDIT_NOTE = "credit_note", _("Nota de crédito")
    QUOTE = "quote", _("Presupuesto")
    DELIVERY_NOTE = "delivery_note", _("Albarán")


#: Kinds whose Spanish name is masculine ("presupuesto", "albarán"): texts agree with them.
MASCULINE_KINDS = frozenset({DocumentKind.QUOTE, DocumentKind.DELIVERY_NOTE})


def issued_word(kind: str) -> str:
    """ "emitida" or "emitido", agreeing with the document kind's name."""
    return "emitido" if kind in MASCULINE_KINDS else "emitida"


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    PARTIALLY_PAID = "partially_paid", _("Pagada parcialmente")
    PAID = "paid", _("Pagada")
    VOIDED = "voided", _("Anulada")


# The explicit state machine of a payable document. Backwards moves exist because a returned
# direct debit or a reversed payment reopens what it had paid.
INVOICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    InvoiceStatus.PENDING: (
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.PAID,
        InvoiceStatus.VOIDED,
    ),
    InvoiceStatus.PARTIALLY_PAID: (
        InvoiceStatus.PENDING,
        InvoiceStatus.PAID,
        InvoiceStatus.VOIDED,
    ),
    InvoiceStatus.PAID: (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID),
    InvoiceStatus.VOIDED: (),
}

# Document kinds that are collected (paid).
PAYABLE_KINDS = (DocumentKind.INVOICE, DocumentKind.DELIVERY_NOTE)
# Document kinds whose unpaid amount is the client's unpaid invoices ("Facturas impagas" on
# the client, the list, the search and the export). A delivery note is paid like an invoice
# but is not one (it is usually invoiced later), so it is not counted.
DEBT_KINDS = (DocumentKind.INVOICE,)


class SepaState(models.TextChoices):
    NONE = "", _("—")
    SUBMITTED = "submitted", _("Remesado")
    RETURNED = "returned", _("Devuelto")


class NumberSequence(models.Model):
    """The last number used for one (billing entity, document kind, invoice type, point of sale).

    `key` is the canonical text of that tuple (NULL-safe uniqueness on every database).
    """

    key = models.CharField(max_length=80, unique=True)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity", verbose_name=_("Razón social"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("Documento"), max_length=20, choices=DocumentKind.choices)
    invoice_type = models.ForeignKey(
        "catalog.InvoiceType",
        verbose_name=_("Tipo de factura"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    point_of_sale = models.ForeignKey(
        "catalog.PointOfSale",
        verbose_name=_("Punto de venta"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    last_number = models.PositiveBigIntegerField(_("Último número"), default=0)
    # Legal numbering is chronological: a document never takes a number after one of a
    # later date. Locked and advanced with `last_number` (numbering.reserve).
    last_issue_date = models.DateField(_("Última fecha de emisión"), null=True, blank=True)

    class Meta:
        verbose_name = _("Numeración")
        verbose_name_plural = _("Numeraciones")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_number}"

    @staticmethod
    def make_key(entity_id: int, kind: str, invoice_type_id: int | None, pos_id: int | None):
        return f"{entity_id}:{kind}:{invoice_type_id or 0}:{pos_id or 0}"


class BillingRun(models.Model):
    """One run of the periodic billing for a date (progress lives in its core Job)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("En curso")
        DONE = "done", _("Terminada")
        FAILED = "failed", _("Fallida")

    run_date = models.DateField(_("Fecha de facturación"), db_index=True)
    job = models.OneToOneField(
        "core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="billing_run"
    )
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    started_at = models.DateTimeField(_("Iniciada el"), auto_now_add=True)
    finished_at = models.DateTimeField(_("Terminada el"), null=True, blank=True)
    contracts_seen = models.PositiveIntegerField(_("Contratos revisados"), default=0)
    invoices_issued = models.PositiveIntegerField(_("Facturas emitidas"), default=0)
    already_invoiced = models.PositiveIntegerField(_("Ya facturados"), default=0)
    total = models.DecimalField(_("Importe total"), default=ZERO, **MONEY)
    errors = models.JSONField(_("Errores"), default=list, blank=True)
    seconds = models.FloatField(_("Segundos"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("Facturación periódica")
        verbose_name_plural = _("Facturaciones periódicas")
        permissions = [("run_billing", "Puede lanzar la facturación periódica")]

    def __str__(self) -> str:
        return f"Facturación {self.run_date}"


# The only columns of an issued document that move (through services): what was paid and
# credited, the state those give, and the direct-debit mark. Everything else is fixed at issue
# (model, queryset and a PostgreSQL trigger refuse; see migration 0005).
INVOICE_MOVING_FIELDS = frozenset(
    {"status", "paid_amount", "credited_amount", "sepa_state", "updated_at"}
)
INVOICE_EDIT_REFUSAL = (
    "Un documento emitido no se modifica: se corrige con una nota de crédito (o se anula su "
    "registro fiscal)."
)


class InvoiceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        fixed = sorted(set(kwargs) - INVOICE_MOVING_FIELDS)
        if fixed:
            raise ImmutableRowError(f"{INVOICE_EDIT_REFUSAL} ({', '.join(fixed)})")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableRowError("Un documento emitido no se borra.")


class Invoice(TimeStampedModel):
    """A billing document: invoice, credit note, quote or delivery note.

    One table for the four so the client's "Documentos" list, the PDFs and the lines are one
    thing. Client data are copied at issue time: the document shows what was true then.
    """

    Kind = DocumentKind
    Status = InvoiceStatus

    objects = InvoiceQuerySet.as_manager()

    kind = models.CharField(
        _("Documento"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.INVOICE
    )
    status = models.CharField(
        _("Estado"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.PENDING
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_run = models.ForeignKey(
        BillingRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        db_index=False,
    )
    # Indexed by uniq_document_number (sequence, number).
    sequence = models.ForeignKey(
        NumberSequence, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.PositiveBigIntegerField(_("Número"))
    number_display = models.CharField(_("Número"), max_length=40)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity",
        verbose_name=_("Razón social"),
        on_delete=models.PROTECT,
        db_index=False,
    )
    invoice_type = models.ForeignKey(
        "catalog.InvoiceType",
        verbose_name=_("Tipo de factura"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    point_of_sale = models.ForeignKey(
        "catalog.PointOfSale",
        verbose_name=_("Punto de venta"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    legal = models.BooleanField(_("Con validez legal"), default=True)
    # One currency per installation (core.money); each document records the one it used.
    currency = models.CharField(_("Moneda"), max_length=3, default=default_currency)
    # Snapshot of the client at issue time.
    client_name = models.CharField(_("Nombre del cliente"), max_length=255)
    client_tax_id = models.CharField(_("Número tributario"), max_length=20, blank=True)
    client_tax_id_kind = models.CharField(max_length=10, blank=True)
    client_address = models.CharField(_("Dirección"), max_length=255, blank=True)
    client_tax_condition = models.CharField(_("Condición de IVA"), max_length=120, blank=True)
    # The condition's tax exemption flag when issued: fiscal records read it, never the
    # condition's name (a renamed condition changes no tax).
    client_tax_exempt = models.BooleanField(
        _("Exento de impuestos"), default=False, db_default=False
    )

    period_start = models.DateField(_("Periodo desde"), null=True, blank=True)
    period_end = models.DateField(_("Periodo hasta (exclusive)"), null=True, blank=True)
    issue_date = models.DateField(_("Fecha de emisión"))
    due_date = models.DateField(_("Fecha de vencimiento"), null=True, blank=True)
    subtotal = models.DecimalField(_("Base imponible"), default=ZERO, **MONEY)
    tax_total = models.DecimalField(_("Impuestos"), default=ZERO, **MONEY)
    total = models.DecimalField(_("Total"), default=ZERO, **MONEY)
    # Denormalised from payment allocations and credit notes, updated in the same transaction.
    paid_amount = models.DecimalField(_("Pagado"), default=ZERO, **MONEY)
    credited_amount = models.DecimalField(_("Acreditado"), default=ZERO, **MONEY)
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("Factura que corrige"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    source_package = models.ForeignKey(
        "contracts.PackageAssignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    sepa_state = models.CharField(
        _("Domiciliación"), max_length=10, choices=SepaState.choices, default="", blank=True
    )
    notes = models.TextField(_("Observaciones"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("Documento")
        verbose_name_plural = _("Documentos")
        permissions = [
            ("issue_credit_note", "Puede emitir notas de crédito"),
            ("manage_sepa", "Puede generar remesas SEPA"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=Q(kind="invoice", contract__isnull=False, period_start__isnull=False),
                name="one_invoice_per_contract_period",
            ),
            models.UniqueConstraint(fields=["sequence", "number"], name="uniq_document_number"),
            models.CheckConstraint(condition=Q(total__gte=0), name="document_total_gte0"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(credited_amount__gte=0),
                name="document_paid_credited_gte0",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["invoice", "delivery_note"])
                | Q(total__gte=models.F("paid_amount") + models.F("credited_amount")),
                name="document_not_overpaid",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-issue_date", "-id"], name="document_client_idx"),
            models.Index(fields=["kind", "status", "due_date"], name="document_status_idx"),
            models.Index(fields=["billing_run"], name="document_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number_display}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= INVOICE_MOVING_FIELDS:
                raise ImmutableRowError(INVOICE_EDIT_REFUSAL)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("Un documento emitido no se borra.")

    @property
    def remaining(self) -> Decimal:
        return self.total - self.paid_amount - self.credited_amount

    @property
    def is_payable(self) -> bool:
        return self.kind in PAYABLE_KINDS and self.status != InvoiceStatus.VOIDED

    def allowed_transitions(self) -> tuple[str, ...]:
        return INVOICE_TRANSITIONS.get(self.status, ())


class CreditNote(Invoice):
    class Meta:
        proxy = True
        verbose_name = _("Nota de crédito")
        verbose_name_plural = _("Notas de crédito")


class Quote(Invoice):
    class Meta:
        proxy = True
        verbose_name = _("Presupuesto")
        verbose_name_plural = _("Presupuestos")


class DeliveryNote(Invoice):
    class Meta:
        proxy = True
        verbose_name = _("Albarán")
        verbose_name_plural = _("Albaranes")


class InvoiceLine(ImmutableRow):
    edit_refusal = "Las líneas de un documento emitido no cambian."
    delete_refusal = "Las líneas de un documento emitido no se borran."

    class Source(models.TextChoices):
        PLAN = "plan", _("Tarifa")
        PACKAGE = "package", _("Paquete renovable")
        MANUAL = "manual", _("Manual")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    description = models.CharField(_("Descripción"), max_length=255)
    quantity = models.DecimalField(_("Cantidad"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("Precio unitario"), **MONEY)
    tax = models.ForeignKey(
        "catalog.Tax",
        verbose_name=_("Impuesto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    tax_name = models.CharField(_("Impuesto"), max_length=120, blank=True)
    tax_rate = models.DecimalField(_("Alícuota (%)"), max_digits=6, decimal_places=3, default=0)
    tax_included = models.BooleanField(_("Impuesto incluido"), default=True)
    net_amount = models.DecimalField(_("Neto"), **MONEY)
    tax_amount = models.DecimalField(_("Impuesto"), **MONEY)
    total = models.DecimalField(_("Total"), **MONEY)

    class Meta:
        ordering = ["invoice_id", "position", "id"]
        verbose_name = _("Línea de documento")
        verbose_name_plural = _("Líneas de documento")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gte=0), name="line_qty_price_positive"
            )
        ]

    def __str__(self) -> str:
        return self.description


class Payment(ImmutableRow, TimeStampedModel):
    """Money received from a client, allocated to one or more documents.

    A reversal (e.g. a returned direct debit) is another Payment with a negative amount that
    points at the one it reverses; payments are never edited.
    """

    edit_refusal = "Un pago registrado no se modifica: se revierte."
    delete_refusal = "Un pago registrado no se borra: se revierte."

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("Cliente"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.ForeignKey(
        "catalog.PaymentMethod", verbose_name=_("Forma de pago"), on_delete=models.PROTECT
    )
    amount = models.DecimalField(_("Importe"), **MONEY)
    date = models.DateField(_("Fecha"))
    reference = models.CharField(_("Referencia"), max_length=120, blank=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=2000)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    sepa_batch = models.ForeignKey(
        "billing.SepaBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("Pago")
        verbose_name_plural = _("Pagos")
        indexes = [models.Index(fields=["client", "-date", "-id"], name="payment_client_idx")]

    def __str__(self) -> str:
        return f"Pago #{self.pk} · {self.amount}"

    @property
    def wallet_excess(self) -> Decimal:
        """What the payment deposited in the wallet beyond what it paid (0 when nothing).

        Reads `wallet_movements` (prefetch it for lists)."""
        return sum(
            (
                m.amount
                for m in self.wallet_movements.all()
                if m.kind == WalletMovement.Kind.DEPOSIT
            ),
            Decimal(0),
        )

    @property
    def received(self) -> Decimal:
        """What the client handed over: what the payment paid plus the excess it deposited."""
        return self.amount + self.wallet_excess


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("Importe"), **MONEY)

    class Meta:
        verbose_name = _("Imputación de pago")
        verbose_name_plural = _("Imputaciones de pagos")
        indexes = [models.Index(fields=["invoice"], name="allocation_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class Receipt(models.Model):
    """Recibo: the numbered proof of a payment."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    sequence = models.ForeignKey(NumberSequence, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveBigIntegerField(_("Número"))
    number_display = models.CharField(_("Número"), max_length=40)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity", verbose_name=_("Razón social"), on_delete=models.PROTECT
    )
    issued_at = models.DateTimeField(_("Emitido el"), auto_now_add=True)

    class Meta:
        verbose_name = _("Recibo")
        verbose_name_plural = _("Recibos")
        constraints = [
            models.UniqueConstraint(fields=["sequence", "number"], name="uniq_receipt_number")
        ]

    def __str__(self) -> str:
        return f"Recibo {self.number_display}"


class Wallet(models.Model):
    """Monedero: the client's prepaid balance. Locked (select_for_update) for every movement."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.PROTECT, related_name="wallet", primary_key=True
    )
    balance = models.DecimalField(_("Saldo"), default=ZERO, **MONEY)

    class Meta:
        verbose_name = _("Monedero")
        verbose_name_plural = _("Monederos")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_gte0")
        ]

    def __str__(self) -> str:
        return f"Monedero de {self.client_id}: {self.balance}"


class WalletMovement(ImmutableRow):
    edit_refusal = "Los movimientos del monedero no se modifican."
    delete_refusal = "Los movimientos del monedero no se borran."

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Depósito")
        PAYMENT = "payment", _("Pago")
        REVERSAL = "reversal", _("Corrección")

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("Tipo"), max_length=10, choices=Kind.choices)
    concept = models.CharField(_("Concepto"), max_length=200)
    date = models.DateField(_("Fecha"))
    amount = models.DecimalField(_("Importe"), **MONEY)  # signed: + in, - out
    balance_after = models.DecimalField(_("Saldo resultante"), **MONEY)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="wallet_movements"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    created_at = models.DateTimeField(_("Registrado el"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Movimiento del monedero")
        verbose_name_plural = _("Movimientos del monedero")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_movement_nonzero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="wallet_movement_balance_gte0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept}: {self.amount}"


class ClientBalance(models.Model):
    """Per-client denormalised debt and wallet figures for lists, search and export.

    Kept in step by billing services in the same transaction as the change (and rebuilt in
    bulk by `selectors.rebuild_client_balances`).
    """

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="balance", primary_key=True
    )
    unpaid_count = models.PositiveIntegerField(_("Número de facturas impagas"), default=0)
    unpaid_total = models.DecimalField(_("Balance de facturas impagas"), default=ZERO, **MONEY)
    wallet_balance = models.DecimalField(_("Saldo del monedero"), default=ZERO, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Saldo del cliente")
        verbose_name_plural = _("Saldos de clientes")
        indexes = [
            models.Index(fields=["unpaid_count"], name="clientbalance_count_idx"),
            models.Index(fields=["unpaid_total"], name="clientbalance_total_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.unpaid_count} / {self.unpaid_total}"

    @property
    def balance(self) -> Decimal:
        """Positive: the client owes; negative: money in favour of the client."""
        return self.unpaid_total - self.wallet_balance


class SepaBatch(models.Model):
    """Remesa SEPA (pain.008) of due invoices of direct-debit clients."""

    billing_entity = models.ForeignKey(
        "catalog.BillingEntity", verbose_name=_("Razón social"), on_delete=models.PROTECT
    )
    message_id = models.CharField(_("Identificador del mensaje"), max_length=35, unique=True)
    collection_date = models.DateField(_("Fecha de cobro"))
    created_at = models.DateTimeField(_("Creada el"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("Adeudos"), default=0)
    total = models.DecimalField(_("Importe total"), default=ZERO, **MONEY)
    xml = models.TextField(_("XML pain.008"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Remesa SEPA")
        verbose_name_plural = _("Remesas SEPA")

    def __str__(self) -> str:
        return f"Remesa {self.message_id}"


class SepaBatchItem(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Remesado")
        RETURNED = "returned", _("Devuelto")

    batch = models.ForeignKey(SepaBatch, on_delete=models.PROTECT, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="sepa_items")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="sepa_item")
    mandate_reference = models.CharField(_("Mandato"), max_length=35)
    iban = models.CharField(_("IBAN"), max_length=34)
    sequence_type = models.CharField(_("Secuencia"), max_length=4)  # FRST / RCUR
    amount = models.DecimalField(_("Importe"), **MONEY)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    returned_on = models.DateField(_("Devuelto el"), null=True, blank=True)
    return_reason = models.CharField(_("Motivo de la devolución"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Adeudo de la remesa")
        verbose_name_plural = _("Adeudos de la remesa")

    def __str__(self) -> str:
        return f"{self.mandate_reference}: {self.amount}"


class SepaReturnFile(models.Model):
    """A bank's return or status file (pain.002, camt.054) applied to the SEPA batches.

    The SHA-256 of its content and its message id are unique: the same file, or another
    file with the same message id, is refused. `unmatched` keeps the transactions that no
    debit of ours matched ({end_to_end_id, amount, reason, problem}), for staff to settle
    by hand."""

    class Kind(models.TextChoices):
        PAIN_002_001_03 = "pain.002.001.03", "pain.002.001.03"
        CAMT_054_001_02 = "camt.054.001.02", "camt.054.001.02"
        CAMT_054_001_08 = "camt.054.001.08", "camt.054.001.08"

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    message_id = models.CharField(_("Identificador del mensaje"), max_length=35, unique=True)
    kind = models.CharField(_("Tipo"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("Fichero"), max_length=255, blank=True)
    matched_count = models.PositiveIntegerField(_("Devoluciones aplicadas"), default=0)
    unmatched_count = models.PositiveIntegerField(_("Sin casar"), default=0)
    matched_total = models.DecimalField(_("Importe devuelto"), default=ZERO, **MONEY)
    unmatched = models.JSONField(_("Transacciones sin casar"), default=list, blank=True)
    items = models.ManyToManyField(SepaBatchItem, related_name="return_files", blank=True)
    created_at = models.DateTimeField(_("Importado el"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Fichero de devoluciones SEPA")
        verbose_name_plural = _("Ficheros de devoluciones SEPA")

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class MonthlyMoney(models.Model):
    """Invoiced, credited and collected per month and seller, for the dashboard's figures
    and its 12-month chart. Bumped in the same transaction as every issued document and
    every payment or reversal (receivers of billing.signals, `billing.stats`), and rebuilt
    from the documents and payments by the nightly job `billing.dashboard_rebuild`, which
    also folds in rows written without the services (bulk loaders). 0 = no seller."""

    month = models.DateField(_("Mes"))
    seller_key = models.BigIntegerField()
    invoiced = models.DecimalField(_("Facturado"), default=ZERO, **MONEY)
    invoices = models.PositiveIntegerField(_("Facturas"), default=0)
    credited = models.DecimalField(_("Notas de crédito"), default=ZERO, **MONEY)
    collected = models.DecimalField(_("Cobrado"), default=ZERO, **MONEY)
    payments = models.IntegerField(_("Pagos"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Facturación del mes")
        verbose_name_plural = _("Facturación por mes")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["month", "seller_key"], name="uniq_monthly_money")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}/{self.seller_key}: {self.invoiced} / {self.collected}"


class MoneyTally(models.Model):
    """Point-in-time money figures per seller (recurring revenue, unpaid and overdue debt,
    wallets): a snapshot the job `billing.dashboard_refresh` rebuilds every few minutes."""

    seller_key = models.BigIntegerField(unique=True)
    mrr = models.DecimalField(_("Ingreso mensual recurrente"), default=ZERO, **MONEY)
    active_contracts = models.PositiveIntegerField(default=0)
    unpaid_total = models.DecimalField(default=ZERO, **MONEY)
    unpaid_clients = models.PositiveIntegerField(default=0)
    overdue_total = models.DecimalField(default=ZERO, **MONEY)
    overdue_clients = models.PositiveIntegerField(default=0)
    wallet_total = models.DecimalField(default=ZERO, **MONEY)
    wallet_clients = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Cifras de cobro")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.seller_key}: {self.mrr}"


class ReminderSettings(models.Model):
    """How due-date reminders go out (one row, pk=1; `billing.reminders.reminder_settings()`):
    a reminder N days before an invoice's due date and a notice M days after it while it is
    unpaid, each with an optional text of the ISP's own put before the figures."""

    before_enabled = models.BooleanField(
        _("Enviar recordatorio antes del vencimiento"), default=True
    )
    days_before = models.PositiveSmallIntegerField(
        _("Días antes del vencimiento"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    before_text = models.TextField(
        _("Texto del recordatorio"),
        blank=True,
        max_length=2000,
        help_text=_("Opcional: va antes del importe y el vencimiento."),
    )
    after_enabled = models.BooleanField(_("Enviar aviso de factura vencida"), default=True)
    days_after = models.PositiveSmallIntegerField(
        _("Días después del vencimiento"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    after_text = models.TextField(
        _("Texto del aviso de vencida"),
        blank=True,
        max_length=2000,
        help_text=_("Opcional: va antes del importe adeudado."),
    )
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Modificado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Recordatorios de vencimiento")
        verbose_name_plural = _("Recordatorios de vencimiento")

    def __str__(self) -> str:
        return f"-{self.days_before} / +{self.days_after}"


class InvoiceReminder(models.Model):
    """One reminder sent for one invoice and stage: the unique pair makes a rerun, a second
    worker or a restarted scheduler unable to send it twice."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Antes del vencimiento")
        AFTER = "after", _("Vencida")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    stage = models.CharField(_("Etapa"), max_length=10, choices=Stage.choices)
    sent_at = models.DateTimeField(_("Enviado el"), auto_now_add=True)
    email = models.ForeignKey(
        "messaging.EmailMessage",
        verbose_name=_("Correo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("Recordatorio enviado")
        verbose_name_plural = _("Recordatorios enviados")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["invoice", "stage"], name="one_reminder_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.stage}"
