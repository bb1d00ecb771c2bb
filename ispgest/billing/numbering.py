"""Gapless document numbers per (billing entity, document kind, invoice type, point of sale).

`reserve` locks the sequence rows (in id order, so two transactions never wait on each other
in a cycle) and advances them by the count needed; the caller inserts its documents in the
same transaction, so a rollback returns the numbers and no gap can appear.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from ispgest.billing.models import DocumentKind, NumberSequence
from ispgest.core.exceptions import DomainError

_PREFIX = {
    DocumentKind.QUOTE: "PRE",
    DocumentKind.DELIVERY_NOTE: "ALB",
}
RECEIPT_KIND = "receipt"


def get_sequence(
    *, entity_id: int, kind: str, invoice_type_id: int | None, pos_id: int | None
) -> NumberSequence:
    # Quotes, delivery notes and receipts number per entity only.
    if kind not in (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE):
        invoice_type_id = pos_id = None
    key = NumberSequence.make_key(entity_id, kind, invoice_type_id, pos_id)
    row = NumberSequence.objects.filter(key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return NumberSequence.objects.create(
                key=key,
                billing_entity_id=entity_id,
                kind=kind,
                invoice_type_id=invoice_type_id,
                point_of_sale_id=pos_id,
            )
    except IntegrityError:  # another worker created it first
        return NumberSequence.objects.get(key=key)


def reserve(
    counts: dict[int, int], dates: dict[int, tuple[date, date]] | None = None
) -> dict[int, int]:
    """{sequence id: how many} -> {sequence id: first number}; call inside a transaction.

    `dates` ({sequence id: (earliest, latest) issue date}) keeps the numbering chronological:
    a date before the sequence's last issue date is refused (DomainError on `issue_date`),
    and the latest date becomes the sequence's last issue date.
    """
    if not counts:
        return {}
    dates = dates or {}
    rows = list(
        NumberSequence.objects.select_for_update().filter(id__in=counts.keys()).order_by("id")
    )
    for row in rows:
        if row.id in dates and row.last_issue_date and dates[row.id][0] < row.last_issue_date:
            raise DomainError(
                "Fecha de emisión: la numeración ya tiene un documento del "
                f"{row.last_issue_date:%d/%m/%Y}; la numeración es cronológica y no admite "
                f"un documento del {dates[row.id][0]:%d/%m/%Y}.",
                field="issue_date",
                code="issue_date_before_last",
            )
    firsts = {}
    for row in rows:
        firsts[row.id] = row.last_number + 1
        row.last_number += counts[row.id]
        if row.id in dates:
            latest = dates[row.id][1]
            row.last_issue_date = max(latest, row.last_issue_date or latest)
    NumberSequence.objects.bulk_update(rows, ["last_number", "last_issue_date"])
    return firsts


def format_number(
    *, kind: str, number: int, type_code: str = "", pos_number: int | None = None
) -> str:
    if kind == RECEIPT_KIND:
        return f"REC-{number:08d}"
    if kind in _PREFIX:
        return f"{_PREFIX[kind]}-{number:06d}"
    head = f"NC {type_code}" if kind == DocumentKind.CREDIT_NOTE else type_code
    head = head.strip() or "F"
    if pos_number:
        return f"{head} {pos_number:05d}-{number:08d}"
    return f"{head} {number:08d}"
