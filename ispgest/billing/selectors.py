"""Reads of billing data, each with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from ispgest.billing.models import (
    DEBT_KINDS,
    PAYABLE_KINDS,
    ZERO,
    ClientBalance,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    Wallet,
    WalletMovement,
)
from ispgest.clients.registry import BillingLookups

UNPAID_STATUSES = (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID)


def unpaid_summary(client_ids: Iterable[int]) -> dict[int, dict]:
    """{client_id: {"unpaid_count", "unpaid_total", "wallet_balance", "balance"}} from the
    denormalised ClientBalance rows (one query); clients without a row get zeros."""
    ids = list(client_ids)
    out = {
        cid: {
            "unpaid_count": 0,
            "unpaid_total": ZERO,
            "wallet_balance": ZERO,
            "balance": ZERO,
        }
        for cid in ids
    }
    for row in ClientBalance.objects.filter(client_id__in=ids):
        out[row.client_id] = {
            "unpaid_count": row.unpaid_count,
            "unpaid_total": row.unpaid_total,
            "wallet_balance": row.wallet_balance,
            "balance": row.balance,
        }
    return out


def unpaid_documents(client_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        client_id=client_id, kind__in=PAYABLE_KINDS, status__in=UNPAID_STATUSES
    ).order_by("due_date", "id")


def client_documents(client_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(client_id=client_id).select_related("invoice_type")


def client_payments(client_id: int) -> QuerySet[Payment]:
    return (
        Payment.objects.filter(client_id=client_id)
        .select_related("method", "receipt")
        .prefetch_related("allocations__invoice")
    )


def wallet_balance(client_id: int) -> Decimal:
    row = Wallet.objects.filter(client_id=client_id).values_list("balance", flat=True).first()
    return row if row is not None else ZERO


def wallet_movements(client_id: int) -> QuerySet[WalletMovement]:
    return WalletMovement.objects.filter(wallet_id=client_id).order_by("-date", "-id")


def compute_client_balances(client_ids: Iterable[int]) -> dict[int, tuple[int, Decimal]]:
    """Recompute (unpaid_count, unpaid_total) from the documents themselves (one query)."""
    rows = (
        Invoice.objects.filter(
            client_id__in=list(client_ids),
            kind__in=DEBT_KINDS,
            status__in=UNPAID_STATUSES,
        )
        .values("client_id")
        .annotate(n=Count("id"), total=Sum("total"), paid=Sum("paid_amount"))
        .annotate(credited=Sum("credited_amount"))
    )
    return {r["client_id"]: (r["n"], r["total"] - r["paid"] - r["credited"]) for r in rows}


def rebuild_all_client_balances() -> int:
    """Recompute every ClientBalance in SQL (repair tool and demo data)."""
    unpaid = "(" + ", ".join(f"'{s}'" for s in UNPAID_STATUSES) + ")"
    payable = "(" + ", ".join(f"'{k}'" for k in DEBT_KINDS) + ")"
    with connection.cursor() as cur:
        cur.execute("DELETE FROM billing_clientbalance")
        cur.execute(
            f"""
            INSERT INTO billing_clientbalance
                (client_id, unpaid_count, unpaid_total, wallet_balance, updated_at)
            SELECT c.id,
                   COALESCE(d.n, 0),
                   COALESCE(d.amount, 0),
                   COALESCE(w.balance, 0),
                   CURRENT_TIMESTAMP
            FROM clients_client c
            LEFT JOIN (
                SELECT client_id, COUNT(*) AS n,
                       SUM(total - paid_amount - credited_amount) AS amount
                FROM billing_invoice
                WHERE kind IN {payable} AND status IN {unpaid}
                GROUP BY client_id
            ) d ON d.client_id = c.id
            LEFT JOIN billing_wallet w ON w.client_id = c.id
            """
        )
        return cur.rowcount


# What clients reads of billing (clients.registry).


def client_has_invoices(client_id: int) -> bool:
    return Invoice.objects.filter(client_id=client_id).exists()


def overdue_client_ids() -> QuerySet:
    """Clients with an unpaid invoice past its due date; the subquery walks the (kind, status,
    due_date) index."""
    return Invoice.objects.filter(
        kind=DocumentKind.INVOICE,
        status__in=UNPAID_STATUSES,
        due_date__lt=timezone.localdate(),
    ).values("client_id")


def overdue_payable_documents(due_before: date, billing_entity_id: int | None) -> QuerySet:
    """Payable documents unpaid and due before `due_before` (of one billing entity when
    given): what network's cut-off suspends for."""
    qs = Invoice.objects.filter(
        kind__in=PAYABLE_KINDS, status__in=UNPAID_STATUSES, due_date__lt=due_before
    )
    if billing_entity_id:
        qs = qs.filter(billing_entity_id=billing_entity_id)
    return qs


def client_registry_lookups() -> BillingLookups:
    return BillingLookups(has_invoices=client_has_invoices, overdue_client_ids=overdue_client_ids)
