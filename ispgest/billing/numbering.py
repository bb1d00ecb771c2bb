"""Gapless document numbers per (billing entity, document kind, invoice type, point of sale).

`reserve` locks the sequence rows (in id order, so two transactions never wait on each other
in a cycle) and advances them by the count needed; the caller inserts its documents in the
same transaction, so a rollback returns the numbers and no gap can appear.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ispgest.billing.models import DocumentKind, NumberSequence

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


def reserve(counts: dict[int, int]) -> dict[int, int]:
    """{sequence id: how many} -> {sequence id: first number}; call inside a transaction."""
    if not counts:
        return {}
    rows = list(
        NumberSequence.objects.select_for_update().filter(id__in=counts.keys()).order_by("id")
    )
    firsts = {}
    for row in rows:
        firsts[row.id] = row.last_number + 1
        row.last_number += counts[row.id]
    NumberSequence.objects.bulk_update(rows, ["last_number"])
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
