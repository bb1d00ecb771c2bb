"""Every write of billing: documents, credit notes, payments, the wallet, SEPA and runs.

Lock order (always the same, so two transactions never wait on each other in a cycle):
wallet row -> documents (by id) -> number sequences (by id) -> clients' balance rows (by
client id). Every change of money writes the client's history and bumps its ClientBalance
in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ispgest.billing import engine, numbering, signals
from ispgest.billing.calc import NO_TAX, ZERO, DocumentDraft, LineDraft, TaxInfo, cents
from ispgest.billing.models import (
    DEBT_KINDS,
    INVOICE_TRANSITIONS,
    PAYABLE_KINDS,
    BillingRun,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Receipt,
    SepaState,
    Wallet,
    WalletMovement,
)
from ispgest.catalog.models import PaymentMethod, PaymentMethodKind, Tax
from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.contracts.services import package_document_lines
from ispgest.core.audit import audit
from ispgest.core.country import get_profile
from ispgest.core.dates import check_date
from ispgest.core.exceptions import DomainError, InvalidTransition

UNPAID = (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID)


def _money(value) -> str:
    return get_profile().format_money(value)


def _to_decimal(value, *, field: str, label: str) -> Decimal:
    try:
        out = Decimal(str(value).replace(",", ".")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise DomainError(f"{label}: «{value}» no es un número válido.", field=field)
    if not out.is_finite():
        raise DomainError(f"{label}: «{value}» no es un número válido.", field=field)
    return out


def _status_for(invoice: Invoice) -> str:
    remaining = invoice.total - invoice.paid_amount - invoice.credited_amount
    if invoice.credited_amount >= invoice.total and invoice.total > 0:
        return InvoiceStatus.VOIDED
    if remaining <= 0:
        return InvoiceStatus.PAID
    if invoice.paid_amount > 0 or invoice.credited_amount > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PENDING


def _move(invoice: Invoice, new_status: str) -> None:
    if new_status == invoice.status:
        return
    if new_status not in INVOICE_TRANSITIONS.get(invoice.status, ()):
        raise InvalidTransition(
            f"{invoice} no puede pasar de «{invoice.get_status_display()}» a "
            f"«{InvoiceStatus(new_status).label}»."
        )
    invoice.status = new_status


def _debt(invoice: Invoice) -> tuple[int, Decimal]:
    """(1, remaining) when the document counts as unpaid debt, else (0, 0)."""
    if invoice.kind in DEBT_KINDS and invoice.status in UNPAID:
        return 1, invoice.total - invoice.paid_amount - invoice.credited_amount
    return 0, ZERO


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass
class LineInput:
    description: str
    quantity: object
    unit_price: object
    # A tax the user chose for this line: it applies as chosen.
    tax: Tax | None = None
    # The product's or package's tax: it applies only when the client has no tax of its own
    # (the client's tax wins, as on the invoices the run issues).
    item_tax: Tax | None = None


def _line_drafts(client: Client, lines: list[LineInput]) -> list[LineDraft]:
    if not lines:
        raise DomainError("El documento necesita al menos una línea.", field="lines")
    cat = engine.Catalogs.load()
    client_data = {f: getattr(client, f) for f in engine._CLIENT_FIELDS}
    out = []
    for n, line in enumerate(lines, start=1):
        description = (line.description or "").strip()
        if not description:
            raise DomainError(f"Línea {n}: la descripción es obligatoria.", field="lines")
        quantity = _to_decimal(line.quantity, field="lines", label=f"Línea {n}, cantidad")
        price = _to_decimal(line.unit_price, field="lines", label=f"Línea {n}, precio unitario")
        if quantity <= 0:
            raise DomainError(
                f"Línea {n}: la cantidad debe ser mayor que cero (corrija con una nota de "
                "crédito, no con cantidades negativas).",
                field="lines",
            )
        if price < 0:
            raise DomainError(
                f"Línea {n}: el precio unitario no puede ser negativo (corrija con una nota de "
                "crédito).",
                field="lines",
            )
        if quantity.as_tuple().exponent < -3 or price.as_tuple().exponent < -2:
            raise DomainError(
                f"Línea {n}: la cantidad admite 3 decimales y el precio 2.", field="lines"
            )
        if line.tax is not None:
            tax = cat.tax_for({**client_data, "billing_tax_id": None}, line.tax.pk)
        else:
            tax = cat.tax_for(client_data, line.item_tax.pk if line.item_tax else None)
        out.append(LineDraft(description[:255], quantity, price, tax, source="manual"))
    return out


def _check_billable(client: Client) -> None:
    if not client.billing_entity_id or not client.invoice_type_id:
        raise DomainError(
            "El cliente no tiene razón social y tipo de factura: complete su facturación.",
            field="client",
        )


@transaction.atomic
def document_create(
    *,
    actor,
    client: Client,
    kind: str = DocumentKind.INVOICE,
    lines: list[LineInput],
    issue_date: date | None = None,
    notes: str = "",
    contract=None,
    source_package=None,
    notify: bool = True,
) -> Invoice:
    """ "Crear Factura" (and quotes, delivery notes): a numbered document with free lines."""
    if kind not in (DocumentKind.INVOICE, DocumentKind.QUOTE, DocumentKind.DELIVERY_NOTE):
        raise DomainError("Tipo de documento no válido.", field="kind")
    _check_billable(client)
    if contract is not None and contract.client_id != client.pk:
        raise DomainError("El contrato no es de este cliente.", field="contract")
    drafts_lines = _line_drafts(client, lines)
    draft = engine.client_draft(client, kind=kind, issue_date=issue_date or timezone.localdate())
    draft.lines = drafts_lines
    draft.notes = notes[:2000]
    draft.contract_id = contract.pk if contract is not None else None
    draft.source_package_id = source_package.pk if source_package is not None else None
    if draft.total <= 0:
        raise DomainError("El total del documento debe ser mayor que cero.", field="lines")
    (invoice,) = engine.issue_drafts([draft], actor=actor).fetch()
    audit(
        actor=actor,
        action=f"{kind}.created",
        obj=invoice,
        summary=f"{invoice.get_kind_display()} {invoice.number_display} creada a mano por "
        f"{_money(invoice.total)}",
        client_id=client.pk,
    )
    if notify and kind == DocumentKind.INVOICE:
        _notify_invoice(invoice)
    return invoice


def _notify_invoice(invoice: Invoice) -> None:
    from ispgest.billing.tasks import send_invoice_emails

    transaction.on_commit(lambda: send_invoice_emails.enqueue([invoice.pk]))


@transaction.atomic
def document_from_package(*, actor, package_assignment, kind: str) -> Invoice:
    """A quote or delivery note with the lines of a client's renewable package."""
    if kind not in (DocumentKind.QUOTE, DocumentKind.DELIVERY_NOTE):
        raise DomainError("Solo se generan presupuestos o albaranes.", field="kind")
    raw = package_document_lines(package_assignment)
    lines = []
    for item in raw:
        get = item.get if isinstance(item, dict) else lambda k, item=item: getattr(item, k, None)
        description = get("description") or get("label") or str(package_assignment.package)
        lines.append(
            LineInput(
                description=description,
                quantity=get("quantity"),
                unit_price=get("unit_price"),
                item_tax=get("tax"),
            )
        )
    return document_create(
        actor=actor,
        client=package_assignment.client,
        kind=kind,
        lines=lines,
        contract=package_assignment.contract,
        source_package=package_assignment,
        notes=f"Generado desde el paquete renovable «{package_assignment.package}».",
    )


@transaction.atomic
def credit_note_create(
    *, actor, invoice: Invoice, amount=None, reason: str, notify: bool = True
) -> Invoice:
    """A credit note against an invoice, never larger than what remains of it.

    The invoice itself never changes its lines; its credited amount and state move.
    Without `amount` the whole remaining amount is credited (the invoice is "anulada").
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind not in PAYABLE_KINDS:
        raise DomainError("Solo se emiten notas de crédito contra facturas o albaranes.")
    if invoice.status == InvoiceStatus.VOIDED:
        raise DomainError(f"{invoice} ya está anulada.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo de la nota de crédito.", field="reason")
    remaining = invoice.remaining
    value = (
        remaining if amount in (None, "") else _to_decimal(amount, field="amount", label="Importe")
    )
    if value <= 0:
        raise DomainError(
            "El importe de la nota de crédito debe ser mayor que cero.", field="amount"
        )
    if value.as_tuple().exponent < -2:
        raise DomainError("El importe admite 2 decimales.", field="amount")
    if value > remaining:
        raise DomainError(
            f"La nota de crédito ({_money(value)}) no puede superar lo que queda de la factura "
            f"({_money(remaining)}).",
            field="amount",
        )
    before = _debt(invoice)
    client = Client.objects.get(pk=invoice.client_id)
    # One line per tax group of the invoice, in proportion, so the tax breakdown is credited.
    source_lines = list(invoice.lines.all())
    share = value / invoice.total if invoice.total else Decimal(1)
    groups: dict = {}
    for line in source_lines:
        key = (line.tax_id, line.tax_name, line.tax_rate, line.tax_included)
        groups[key] = groups.get(key, ZERO) + line.total
    lines = []
    allotted = ZERO
    items = list(groups.items())
    for i, ((tax_id, tax_name, rate, included), gross) in enumerate(items):
        part = value - allotted if i == len(items) - 1 else cents(gross * share)
        allotted += part
        if part <= 0:
            continue
        tax = TaxInfo(tax_id, tax_name, rate, included) if tax_name else NO_TAX
        # Added taxes: the credited gross includes the tax, so credit its net price.
        unit = part if (included or not rate) else cents(part / (1 + rate / 100))
        line = LineDraft(
            f"Corrección de {invoice.number_display}: {reason}"[:255],
            Decimal(1),
            unit,
            tax,
            source="manual",
        )
        if line.total != part:  # keep the note exactly at the requested amount
            line.tax_amount += part - line.total
            line.total = part
        lines.append(line)
    # Built from the invoice's own snapshot (entity, type, point of sale, recipient, taxes),
    # never from the client's current settings, which may have changed or been cleared.
    draft = DocumentDraft(
        kind=DocumentKind.CREDIT_NOTE,
        client_id=invoice.client_id,
        billing_entity_id=invoice.billing_entity_id,
        invoice_type_id=invoice.invoice_type_id,
        point_of_sale_id=invoice.point_of_sale_id,
        legal=invoice.legal,
        client_name=invoice.client_name,
        client_tax_id=invoice.client_tax_id,
        client_tax_id_kind=invoice.client_tax_id_kind,
        client_address=invoice.client_address,
        client_tax_condition=invoice.client_tax_condition,
        client_tax_exempt=invoice.client_tax_exempt,
        issue_date=timezone.localdate(),
        due_date=None,
        contract_id=invoice.contract_id,
        credited_invoice_id=invoice.pk,
    )
    draft.lines = lines
    draft.notes = reason[:2000]
    (note,) = engine.issue_drafts([draft], actor=actor).fetch()
    invoice.credited_amount += value
    _move(invoice, _status_for(invoice))
    invoice.save(update_fields=["credited_amount", "status", "updated_at"])
    after = _debt(invoice)
    # issue_drafts counted nothing for the credit note (not payable); move the invoice's debt.
    engine.bump_balances({invoice.client_id: (after[0] - before[0], after[1] - before[1], ZERO)})
    record_event(
        client=client,
        actor=actor,
        action="invoice.credited",
        summary=f"Nota de crédito {note.number_display} por {_money(value)} contra "
        f"{invoice.number_display}: {reason}",
        obj=invoice,
    )
    if notify:
        _notify_invoice(note)  # the credit note's PDF goes where invoices go
    return note


@transaction.atomic
def document_void(*, actor, invoice: Invoice, reason: str) -> Invoice:
    """Void an unpaid invoice whose issue was a mistake, without a credit note.

    Only the fiscal layer calls it, as part of an explicit cancellation of the invoice's
    fiscal record (e.g. a VERI*FACTU anulación); an invoice that was paid or credited is
    corrected with a credit note instead.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo de la anulación.", field="reason")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != DocumentKind.INVOICE:
        raise DomainError("Solo se anulan facturas.")
    if invoice.paid_amount or invoice.credited_amount:
        raise DomainError(
            f"{invoice} tiene pagos o notas de crédito: corríjala con una nota de crédito."
        )
    before, before_status = _debt(invoice), invoice.status
    _move(invoice, InvoiceStatus.VOIDED)
    invoice.save(update_fields=["status", "updated_at"])
    after = _debt(invoice)
    engine.bump_balances({invoice.client_id: (after[0] - before[0], after[1] - before[1], ZERO)})
    audit(
        actor=actor,
        action="invoice.voided",
        obj=invoice,
        summary=f"{invoice} anulada: {reason}",
        changes={
            "Estado": [str(InvoiceStatus(before_status).label), str(InvoiceStatus.VOIDED.label)]
        },
        client_id=invoice.client_id,
    )
    record_event(
        client=Client.objects.get(pk=invoice.client_id),
        actor=actor,
        action="invoice.voided",
        summary=f"{invoice} anulada: {reason}",
        obj=invoice,
        audit_entry=False,
    )
    return invoice


# ---------------------------------------------------------------------------------------------
# Payments and the wallet


def _wallet_for_update(client: Client) -> Wallet:
    Wallet.objects.get_or_create(client=client)
    return Wallet.objects.select_for_update().get(pk=client.pk)


@transaction.atomic
def payment_register(
    *,
    actor,
    client: Client,
    method: PaymentMethod,
    amount,
    allocations: list[tuple[Invoice, object]] | None = None,
    invoices: list[Invoice] | None = None,
    payment_date: date | None = None,
    reference: str = "",
    notes: str = "",
    notify: bool = True,
    sepa_batch=None,
    excess_to_wallet: bool = False,
) -> Payment:
    """Register a payment against one or more of the client's documents.

    Either explicit `allocations` [(invoice, amount)] or `invoices`, paid oldest due first
    with `amount`. Partial payments are allowed. A payment larger than what the documents
    owe is refused, unless `excess_to_wallet`: then the payment takes what is owed and the
    excess becomes a wallet deposit in the same transaction (reversing the payment reverses
    it too). The wallet method draws from the wallet, which never goes below zero.
    """
    value = _to_decimal(amount, field="amount", label="Importe")
    if value <= 0:
        raise DomainError("El importe del pago debe ser mayor que cero.", field="amount")
    if value.as_tuple().exponent < -2:
        raise DomainError("El importe admite 2 decimales.", field="amount")
    if method is None or not method.active:
        raise DomainError("Elija una forma de pago activa.", field="method")
    from_wallet = method.kind == PaymentMethodKind.WALLET
    # The wallet is locked before the invoices, as everywhere (fixed lock order).
    wallet = _wallet_for_update(client) if from_wallet or excess_to_wallet else None

    if allocations is None:
        if not invoices:
            raise DomainError("Elija al menos una factura a pagar.", field="invoices")
        targets = [(inv, None) for inv in invoices]
    else:
        if not allocations:
            raise DomainError("Elija al menos una factura a pagar.", field="invoices")
        targets = list(allocations)
    ids = sorted({inv.pk for inv, _ in targets})
    locked = {
        i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=ids).order_by("id")
    }
    for inv_id in ids:
        inv = locked.get(inv_id)
        if inv is None or inv.client_id != client.pk:
            raise DomainError("Una de las facturas no es de este cliente.", field="invoices")
        if inv.kind not in PAYABLE_KINDS:
            raise DomainError(f"{inv} no se paga.", field="invoices")
        if inv.status not in UNPAID:
            raise DomainError(
                f"{inv} está «{inv.get_status_display()}»: no admite pagos.", field="invoices"
            )
    paid_on = check_date(
        payment_date or timezone.localdate(),
        field="payment_date",
        label="Fecha del pago",
        not_before=min(locked[i].issue_date for i in ids),
        before_what="la emisión de la factura más antigua que paga",
        # A direct debit is dated on its collection date, which the batch sets ahead.
        allow_future=sepa_batch is not None,
    )
    due = sum((locked[i].remaining for i in ids), ZERO)
    excess = ZERO
    if value > due:
        if excess_to_wallet and from_wallet:
            raise DomainError(
                f"El importe ({_money(value)}) supera lo adeudado ({_money(due)}): un pago con "
                "el monedero no deposita en el monedero. Pague solo lo adeudado.",
                field="amount",
            )
        can_deposit = allocations is None and sepa_batch is None
        if not (excess_to_wallet and can_deposit):
            raise DomainError(
                f"El importe ({_money(value)}) supera lo adeudado en las facturas elegidas "
                f"({_money(due)}). Marque «Depositar el excedente en el monedero» o registre "
                "el excedente como depósito.",
                field="amount",
            )
        excess, value = value - due, due
    plan: list[tuple[Invoice, Decimal]] = []
    if allocations is None:
        left = value
        ordered = sorted(locked.values(), key=lambda i: (i.due_date or i.issue_date, i.id))
        for inv in ordered:
            if left <= 0:
                break
            part = min(left, inv.remaining)
            plan.append((inv, part))
            left -= part
    else:
        total = ZERO
        for inv, part in targets:
            part_value = _to_decimal(part, field="amount", label="Importe imputado")
            inv = locked[inv.pk]
            if part_value <= 0:
                raise DomainError("Cada importe imputado debe ser mayor que cero.", field="amount")
            if part_value > inv.remaining:
                raise DomainError(
                    f"El importe imputado a {inv} ({_money(part_value)}) supera lo que queda "
                    f"({_money(inv.remaining)}).",
                    field="amount",
                )
            plan.append((inv, part_value))
            total += part_value
        if total != value:
            raise DomainError(
                f"La suma imputada ({_money(total)}) no coincide con el importe ({_money(value)}).",
                field="amount",
            )
    if from_wallet and wallet.balance < value:
        raise DomainError(
            f"Saldo insuficiente en el monedero: {_money(wallet.balance)} disponibles, "
            f"{_money(value)} solicitados.",
            field="amount",
        )

    payment = Payment.objects.create(
        client=client,
        method=method,
        amount=value,
        date=paid_on,
        reference=reference[:120],
        notes=notes[:2000],
        created_by=actor if getattr(actor, "pk", None) else None,
        sepa_batch=sepa_batch,
    )
    d_count, d_total = 0, ZERO
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=payment, invoice=inv, amount=part) for inv, part in plan]
    )
    for inv, part in plan:
        before = _debt(inv)
        inv.paid_amount += part
        _move(inv, _status_for(inv))
        inv.save(update_fields=["paid_amount", "status", "updated_at"])
        after = _debt(inv)
        d_count += after[0] - before[0]
        d_total += after[1] - before[1]
    d_wallet = ZERO
    deposit = None
    if from_wallet:
        _wallet_move(
            wallet,
            amount=-value,
            kind=WalletMovement.Kind.PAYMENT,
            concept=f"Pago de {', '.join(i.number_display for i, _ in plan)}"[:200],
            movement_date=payment.date,
            actor=actor,
            payment=payment,
        )
        d_wallet = -value
    if excess:
        deposit = _wallet_move(
            wallet,
            amount=excess,
            kind=WalletMovement.Kind.DEPOSIT,
            concept=f"Excedente del pago #{payment.pk}"[:200],
            movement_date=payment.date,
            actor=actor,
            payment=payment,
        )
        d_wallet = excess
    # The receipt's sequence before the balance row (the fixed lock order): a SEPA batch
    # holds that sequence while it moves one client's balance after another.
    receipt = _issue_receipt(payment, plan[0][0].billing_entity_id)
    engine.bump_balances({client.pk: (d_count, d_total, d_wallet)})
    record_event(
        client=client,
        actor=actor,
        action="payment.registered",
        summary=f"Pago de {_money(value)} ({method}) imputado a "
        f"{', '.join(f'{i.number_display} ({_money(p)})' for i, p in plan)}; "
        f"recibo {receipt.number_display}"
        + (f"; excedente de {_money(excess)} depositado en el monedero" if excess else ""),
        obj=payment,
    )
    if deposit is not None:
        record_event(
            client=client,
            actor=actor,
            action="wallet.deposit",
            summary=f"Depósito en el monedero de {_money(excess)}: excedente del pago "
            f"#{payment.pk}",
            obj=deposit,
        )
    signals.payment_registered.send(sender=Payment, payment=payment, actor=actor)
    if notify:
        from ispgest.billing.tasks import send_receipt_email

        transaction.on_commit(lambda: send_receipt_email.enqueue(payment.pk))
    return payment


def _issue_receipt(payment: Payment, entity_id: int) -> Receipt:
    seq = numbering.get_sequence(
        entity_id=entity_id, kind=numbering.RECEIPT_KIND, invoice_type_id=None, pos_id=None
    )
    first = numbering.reserve({seq.id: 1})[seq.id]
    return Receipt.objects.create(
        payment=payment,
        sequence=seq,
        number=first,
        number_display=numbering.format_number(kind=numbering.RECEIPT_KIND, number=first),
        billing_entity_id=entity_id,
    )


def _wallet_move(
    wallet: Wallet,
    *,
    amount: Decimal,
    kind,
    concept,
    movement_date,
    actor,
    payment=None,
    reverses=None,
) -> WalletMovement:
    new_balance = wallet.balance + amount
    if new_balance < 0:
        raise DomainError(
            f"Saldo insuficiente en el monedero: {_money(wallet.balance)} disponibles.",
            field="amount",
        )
    wallet.balance = new_balance
    wallet.save(update_fields=["balance"])
    return WalletMovement.objects.create(
        wallet=wallet,
        kind=kind,
        concept=concept,
        date=movement_date,
        amount=amount,
        balance_after=new_balance,
        payment=payment,
        reverses=reverses,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def wallet_deposit(
    *, actor, client: Client, amount, concept: str, movement_date: date | None = None
) -> WalletMovement:
    """A deposit into the client's Monedero (concept, date defaulting to today, amount)."""
    concept = (concept or "").strip()
    if not concept:
        raise DomainError("El concepto es obligatorio.", field="concept")
    value = _to_decimal(amount, field="amount", label="Importe")
    if value <= 0:
        raise DomainError("El importe del depósito debe ser mayor que cero.", field="amount")
    if value.as_tuple().exponent < -2:
        raise DomainError("El importe admite 2 decimales.", field="amount")
    if value > Decimal("1000000000"):
        raise DomainError("El importe es demasiado grande.", field="amount")
    moved_on = check_date(
        movement_date or timezone.localdate(),
        field="movement_date",
        label="Fecha del movimiento",
        not_before=client.created_at,
        before_what="el alta del cliente",
    )
    wallet = _wallet_for_update(client)
    movement = _wallet_move(
        wallet,
        amount=value,
        kind=WalletMovement.Kind.DEPOSIT,
        concept=concept[:200],
        movement_date=moved_on,
        actor=actor,
    )
    engine.bump_balances({client.pk: (0, ZERO, value)})
    record_event(
        client=client,
        actor=actor,
        action="wallet.deposit",
        summary=f"Depósito en el monedero de {_money(value)}: {concept}",
        obj=movement,
    )
    return movement


@transaction.atomic
def wallet_movement_reverse(*, actor, movement: WalletMovement, reason: str) -> WalletMovement:
    """Correct a deposit with a reversing movement (movements are never edited)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo de la corrección.", field="reason")
    wallet = Wallet.objects.select_for_update().get(pk=movement.wallet_id)
    movement = WalletMovement.objects.get(pk=movement.pk)
    if movement.kind != WalletMovement.Kind.DEPOSIT:
        raise DomainError("Solo se corrigen depósitos; un pago se revierte desde el pago.")
    if WalletMovement.objects.filter(reverses=movement).exists():
        raise DomainError("Este movimiento ya fue corregido.")
    reversal = _wallet_move(
        wallet,
        amount=-movement.amount,
        kind=WalletMovement.Kind.REVERSAL,
        concept=f"Corrección de «{movement.concept}»: {reason}"[:200],
        movement_date=timezone.localdate(),
        actor=actor,
        reverses=movement,
    )
    engine.bump_balances({wallet.client_id: (0, ZERO, -movement.amount)})
    record_event(
        client=wallet.client,
        actor=actor,
        action="wallet.reversal",
        summary=f"Corrección del depósito «{movement.concept}» ({_money(movement.amount)}): {reason}",
        obj=reversal,
    )
    return reversal


@transaction.atomic
def payment_reverse(*, actor, payment: Payment, reason: str) -> Payment:
    """Undo a payment with a reversing payment: its documents reopen, wallet money returns."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indique el motivo.", field="reason")
    # The row lock makes a second, concurrent reversal wait and then see the first one.
    payment = (
        Payment.objects.select_for_update(of=("self",)).select_related("method").get(pk=payment.pk)
    )
    if payment.amount <= 0:
        raise DomainError("Un pago de reversión no se revierte.")
    if Payment.objects.filter(reverses=payment).exists():
        raise DomainError("Este pago ya fue revertido.")
    client = Client.objects.get(pk=payment.client_id)
    excess = WalletMovement.objects.filter(
        payment=payment, kind=WalletMovement.Kind.DEPOSIT
    ).first()
    wallet = (
        _wallet_for_update(client)
        if payment.method.kind == PaymentMethodKind.WALLET or excess is not None
        else None
    )
    allocations = list(payment.allocations.all())
    locked = {
        i.pk: i
        for i in Invoice.objects.select_for_update()
        .filter(pk__in=[a.invoice_id for a in allocations])
        .order_by("id")
    }
    reversal = Payment.objects.create(
        client=client,
        method=payment.method,
        amount=-payment.amount,
        date=timezone.localdate(),
        reference=payment.reference,
        notes=reason[:2000],
        reverses=payment,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    d_count, d_total = 0, ZERO
    for alloc in allocations:
        inv = locked[alloc.invoice_id]
        PaymentAllocation.objects.create(payment=reversal, invoice=inv, amount=-alloc.amount)
        before = _debt(inv)
        inv.paid_amount -= alloc.amount
        _move(inv, _status_for(inv))
        inv.save(update_fields=["paid_amount", "status", "updated_at"])
        after = _debt(inv)
        d_count += after[0] - before[0]
        d_total += after[1] - before[1]
    d_wallet = ZERO
    if payment.method.kind == PaymentMethodKind.WALLET:
        _wallet_move(
            wallet,
            amount=payment.amount,
            kind=WalletMovement.Kind.REVERSAL,
            concept=f"Reversión del pago #{payment.pk}: {reason}"[:200],
            movement_date=timezone.localdate(),
            actor=actor,
            payment=reversal,
        )
        d_wallet = payment.amount
    if excess is not None:
        # The excess the payment deposited leaves the wallet with it (refused when spent).
        _wallet_move(
            wallet,
            amount=-excess.amount,
            kind=WalletMovement.Kind.REVERSAL,
            concept=f"Reversión del excedente del pago #{payment.pk}: {reason}"[:200],
            movement_date=timezone.localdate(),
            actor=actor,
            payment=reversal,
            reverses=excess,
        )
        d_wallet -= excess.amount
    engine.bump_balances({client.pk: (d_count, d_total, d_wallet)})
    record_event(
        client=client,
        actor=actor,
        action="payment.reversed",
        summary=f"Pago #{payment.pk} de {_money(payment.amount)} revertido: {reason}",
        obj=reversal,
    )
    signals.payment_reversed.send(sender=Payment, payment=payment, reversal=reversal, actor=actor)
    return reversal


# ---------------------------------------------------------------------------------------------
# Billing runs


@transaction.atomic
def billing_run_start(
    *, actor, run_date: date, automatic: bool = False, enqueue: bool = True
) -> BillingRun:
    """Create the run and its Job and enqueue the work once this transaction commits
    (`enqueue=False`: the caller runs it in the foreground, as `manage.py billing_run`).

    `automatic` marks a run the scheduler started (billing.autorun): its summary is
    e-mailed to the administrators when it ends."""
    from ispgest.billing.tasks import billing_run_task
    from ispgest.core.models import Job

    if run_date is None:
        raise DomainError("Indique la fecha de facturación.", field="run_date")
    job = Job.objects.create(
        kind="billing_run",
        created_by=actor if getattr(actor, "pk", None) else None,
        params={"run_date": run_date.isoformat(), **({"automatic": True} if automatic else {})},
        message="En cola",
    )
    run = BillingRun.objects.create(
        run_date=run_date, job=job, created_by=actor if getattr(actor, "pk", None) else None
    )
    audit(
        actor=actor,
        action="billing_run.started",
        obj=run,
        summary=f"Facturación del {run_date:%d/%m/%Y} iniciada"
        + (" (automática)" if automatic else ""),
    )
    if enqueue:
        transaction.on_commit(lambda: billing_run_task.enqueue(run.pk))
    return run


def mark_sepa_state(invoice_ids: list[int], state: str) -> None:
    Invoice.objects.filter(pk__in=invoice_ids).update(sepa_state=state)


__all__ = [
    "LineInput",
    "SepaState",
    "billing_run_start",
    "credit_note_create",
    "document_create",
    "document_from_package",
    "document_void",
    "payment_register",
    "payment_reverse",
    "wallet_deposit",
    "wallet_movement_reverse",
]
