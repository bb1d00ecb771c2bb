"""Issuing: number the drafts and bulk-insert invoices, lines and history in the caller's
transaction; renew the invoiced packages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from ispgest.billing import numbering, signals
from ispgest.billing.calc import ZERO, DocumentDraft
from ispgest.billing.engine.balances import bump_balances
from ispgest.billing.models import (
    DEBT_KINDS,
    BillingRun,
    DocumentKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    issued_word,
)
from ispgest.catalog.models import InvoiceType, PointOfSale
from ispgest.clients.history import record_events_bulk
from ispgest.clients.models import EventKind
from ispgest.core.bulk import bulk_write
from ispgest.core.country import get_profile
from ispgest.core.exceptions import DomainError
from ispgest.core.money import default_currency


@dataclass
class Issued:
    """What the writer returns: enough for callers without loading model instances."""

    ids: list[int]
    totals: list[Decimal]

    def fetch(self) -> list[Invoice]:
        by_id = Invoice.objects.in_bulk(self.ids)
        return [by_id[i] for i in self.ids]


def issue_drafts(drafts: list[DocumentDraft], *, actor, run: BillingRun | None = None) -> Issued:
    """Number and insert documents (call inside a transaction).

    A draft a fiscal regime refuses (signals.draft_checks: a recipient NIF with a wrong check
    digit...) is refused here, before any number is taken.
    """
    if not drafts:
        return Issued([], [])
    refused = signals.check_drafts(drafts)
    if refused:
        raise DomainError(refused[min(refused)], field="client")
    seqs = {}
    draft_seq = []
    for d in drafts:
        key = (d.billing_entity_id, d.kind, d.invoice_type_id, d.point_of_sale_id)
        if key not in seqs:
            seqs[key] = numbering.get_sequence(
                entity_id=d.billing_entity_id,
                kind=d.kind,
                invoice_type_id=d.invoice_type_id,
                pos_id=d.point_of_sale_id,
            )
        draft_seq.append(seqs[key])
    dates: dict[int, tuple[date, date]] = {}
    for d, s in zip(drafts, draft_seq, strict=True):
        low, high = dates.get(s.id, (d.issue_date, d.issue_date))
        if d.issue_date < high:
            raise DomainError(
                "Fecha de emisión: los documentos de una misma numeración se emiten en orden "
                "de fecha.",
                field="issue_date",
            )
        dates[s.id] = (min(low, d.issue_date), d.issue_date)
    firsts = numbering.reserve(Counter(s.id for s in draft_seq), dates)
    return _insert(drafts, draft_seq, firsts, actor=actor, run=run)


INVOICE_COLUMNS = (
    "kind",
    "status",
    "client_id",
    "contract_id",
    "billing_run_id",
    "sequence_id",
    "number",
    "number_display",
    "billing_entity_id",
    "invoice_type_id",
    "point_of_sale_id",
    "legal",
    "currency",
    "client_name",
    "client_tax_id",
    "client_tax_id_kind",
    "client_address",
    "client_tax_condition",
    "client_tax_exempt",
    "period_start",
    "period_end",
    "issue_date",
    "due_date",
    "subtotal",
    "tax_total",
    "total",
    "paid_amount",
    "credited_amount",
    "credited_invoice_id",
    "source_package_id",
    "sepa_state",
    "notes",
    "created_by_id",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = (
    "invoice_id",
    "position",
    "source",
    "description",
    "quantity",
    "unit_price",
    "tax_id",
    "tax_name",
    "tax_rate",
    "tax_included",
    "net_amount",
    "tax_amount",
    "total",
)


_KIND_LABELS = dict(DocumentKind.choices)


def _insert(drafts, draft_seq, firsts, *, actor, run) -> Issued:
    type_codes = dict(InvoiceType.objects.values_list("id", "code"))
    pos_numbers = dict(PointOfSale.objects.values_list("id", "number"))
    next_number = dict(firsts)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    run_id = run.pk if run is not None else None
    currency = default_currency()
    now = timezone.now()
    rows = []
    numbers = []
    for d, seq in zip(drafts, draft_seq, strict=True):
        number = next_number[seq.id]
        next_number[seq.id] += 1
        display = numbering.format_number(
            kind=d.kind,
            number=number,
            type_code=type_codes.get(seq.invoice_type_id, ""),
            pos_number=pos_numbers.get(seq.point_of_sale_id),
        )
        numbers.append(display)
        total = d.total
        rows.append(
            (
                d.kind,
                InvoiceStatus.PENDING,
                d.client_id,
                d.contract_id,
                run_id,
                seq.id,
                number,
                display,
                d.billing_entity_id,
                d.invoice_type_id,
                d.point_of_sale_id,
                d.legal,
                currency,
                d.client_name[:255],
                d.client_tax_id,
                d.client_tax_id_kind,
                d.client_address[:255],
                d.client_tax_condition[:120],
                d.client_tax_exempt,
                d.period_start,
                d.period_end,
                d.issue_date,
                d.due_date,
                d.subtotal,
                d.tax_total,
                total,
                ZERO,
                ZERO,
                d.credited_invoice_id,
                d.source_package_id,
                "",
                d.notes,
                actor_id,
                now,
                now,
            )
        )
    ids = bulk_write(Invoice, INVOICE_COLUMNS, rows, ids=True)
    lines = []
    for inv_id, d in zip(ids, drafts, strict=True):
        for pos, ld in enumerate(d.lines, start=1):
            lines.append(
                (
                    inv_id,
                    pos,
                    ld.source,
                    ld.description[:255],
                    ld.quantity,
                    ld.unit_price,
                    ld.tax.id,
                    ld.tax.name,
                    ld.tax.rate,
                    ld.tax.included,
                    ld.net,
                    ld.tax_amount,
                    ld.total,
                )
            )
    bulk_write(InvoiceLine, LINE_COLUMNS, lines)
    profile = get_profile()
    events = []
    totals = []
    deltas: dict[int, tuple] = {}
    for inv_id, d, display in zip(ids, drafts, numbers, strict=True):
        total = d.total
        totals.append(total)
        label = _KIND_LABELS[d.kind]
        events.append(
            (
                d.client_id,
                now,
                actor_id,
                EventKind.AUTO,
                f"{d.kind}.issued",
                "",
                None,
                f"{label} {display} {issued_word(d.kind)} por {profile.format_money(total)}",
                {},
                "billing.invoice",
                str(inv_id),
            )
        )
        if d.kind in DEBT_KINDS:
            n, t, w = deltas.get(d.client_id, (0, ZERO, ZERO))
            deltas[d.client_id] = (n + 1, t + total, w)
    record_events_bulk(events)
    bump_balances(deltas)
    renew_packages([pid for d in drafts for pid in d.package_ids], actor=actor)
    signals.documents_issued.send(sender=Invoice, invoice_ids=list(ids), actor=actor, run=run)
    return Issued(ids, totals)


def renew_packages(package_ids: list[int], *, actor=None) -> None:
    """Move each invoiced package's next renewal date on by its renewal period (through
    contracts' service, which writes their history and audit rows)."""
    from ispgest.contracts.services import package_assignments_renewed

    package_assignments_renewed(actor=actor, assignment_ids=package_ids)
