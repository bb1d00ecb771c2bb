"""Billing's dashboard figures.

- `MonthlyMoney` (month x seller): invoiced, credited and collected. The receivers below
  bump it inside the transaction that issues documents or registers/reverses a payment,
  so "Cobrado este mes" moves with the payment; `rebuild_monthly_money()` recomputes the
  last months from the documents and payments (nightly job), correcting any drift.
- `MoneyTally` (per seller): recurring revenue, unpaid and overdue debt, wallets; rebuilt
  every few minutes by `refresh_money_tallies()` (overdue debt changes with the calendar,
  not only with writes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django_tasks import task

from ispgest.billing import signals
from ispgest.billing.engine import in_ids
from ispgest.billing.models import (
    ZERO,
    ClientBalance,
    DocumentKind,
    Invoice,
    InvoiceStatus,
    MoneyTally,
    MonthlyMoney,
    Payment,
)
from ispgest.clients.models import Client
from ispgest.clients.scoping import ClientScope
from ispgest.core.dates import add_months

UNPAID = (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID)
REBUILD_MONTHS = 13


def _first(day: date) -> date:
    return day.replace(day=1)


# --- incremental bumps (same transaction as the change) ------------------------------------


def bump_monthly(deltas: dict[tuple[date, int], dict[str, Decimal | int]]) -> None:
    """Add `deltas` {(month, seller_key): {column: delta}} to MonthlyMoney, in key order
    (a fixed lock order), creating missing rows."""
    for key in sorted(deltas):
        changes = {k: v for k, v in deltas[key].items() if v}
        if not changes:
            continue
        month, seller = key
        expressions = {k: F(k) + v for k, v in changes.items()}
        qs = MonthlyMoney.objects.filter(month=month, seller_key=seller)
        if qs.update(**expressions):
            continue
        try:
            with transaction.atomic():
                MonthlyMoney.objects.create(month=month, seller_key=seller, **changes)
        except IntegrityError:  # created in between by another transaction
            qs.update(**expressions)


def _on_documents_issued(sender, invoice_ids, **kwargs):
    rows = (
        Invoice.objects.filter(in_ids("id", invoice_ids))
        .filter(kind__in=[DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE])
        .annotate(m=TruncMonth("issue_date"))
        .values("m", "kind", "client__seller_id")
        .annotate(total=Sum("total"), n=Count("id"))
        .order_by()
    )
    deltas: dict = defaultdict(dict)
    for r in rows:
        key = (r["m"], r["client__seller_id"] or 0)
        if r["kind"] == DocumentKind.INVOICE:
            deltas[key]["invoiced"] = deltas[key].get("invoiced", ZERO) + r["total"]
            deltas[key]["invoices"] = deltas[key].get("invoices", 0) + r["n"]
        else:
            deltas[key]["credited"] = deltas[key].get("credited", ZERO) + r["total"]
    bump_monthly(deltas)


def _payment_delta(payment: Payment) -> None:
    seller = Client.objects.filter(pk=payment.client_id).values_list("seller_id", flat=True)[0]
    count = 1 if payment.amount > 0 else -1
    bump_monthly(
        {(_first(payment.date), seller or 0): {"collected": payment.amount, "payments": count}}
    )


def _on_payment_registered(sender, payment, **kwargs):
    _payment_delta(payment)


def _on_payment_reversed(sender, payment, reversal, **kwargs):
    _payment_delta(reversal)


def connect() -> None:
    """Called from BillingConfig.ready()."""
    signals.documents_issued.connect(_on_documents_issued, dispatch_uid="stats.documents")
    signals.payment_registered.connect(_on_payment_registered, dispatch_uid="stats.payment")
    signals.payment_reversed.connect(_on_payment_reversed, dispatch_uid="stats.reversal")


# --- rebuilds ------------------------------------------------------------------------------


@transaction.atomic
def rebuild_monthly_money(*, months: int = REBUILD_MONTHS, today: date | None = None) -> int:
    """Recompute the last `months` months (this one included) from documents and payments.

    The rows of those months are locked first, so a payment committing meanwhile either is
    seen by the aggregates or bumps the rebuilt row after this transaction: none is lost.
    """
    today = today or timezone.localdate()
    start = add_months(_first(today), -(months - 1))
    list(MonthlyMoney.objects.select_for_update().filter(month__gte=start).order_by("id"))
    fresh: dict = defaultdict(
        lambda: {
            "invoiced": ZERO,
            "invoices": 0,
            "credited": ZERO,
            "collected": ZERO,
            "payments": 0,
        }
    )
    for r in (
        Invoice.objects.filter(
            kind__in=[DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE], issue_date__gte=start
        )
        .annotate(m=TruncMonth("issue_date"))
        .values("m", "kind", "client__seller_id")
        .annotate(total=Sum("total"), n=Count("id"))
        .order_by()
    ):
        row = fresh[(r["m"], r["client__seller_id"] or 0)]
        if r["kind"] == DocumentKind.INVOICE:
            row["invoiced"] += r["total"]
            row["invoices"] += r["n"]
        else:
            row["credited"] += r["total"]
    for r in (
        Payment.objects.filter(date__gte=start)
        .annotate(m=TruncMonth("date"))
        .values("m", "client__seller_id")
        .annotate(
            total=Sum("amount"),
            n=Count("id", filter=Q(amount__gt=0)),
            back=Count("id", filter=Q(amount__lt=0)),
        )
        .order_by()
    ):
        row = fresh[(r["m"], r["client__seller_id"] or 0)]
        row["collected"] += r["total"]
        row["payments"] += r["n"] - r["back"]
    MonthlyMoney.objects.filter(month__gte=start).delete()
    MonthlyMoney.objects.bulk_create(
        [MonthlyMoney(month=m, seller_key=s, **values) for (m, s), values in fresh.items()],
        batch_size=1000,
    )
    return len(fresh)


def contracts_without_open_assignment():
    """Active monthly contracts with no open plan assignment (they bill their plan's price).

    NOT EXISTS, not NOT IN: PostgreSQL plans `NOT IN (subquery)` as a subplan rescanned for
    every contract once the subquery's ids outgrow work_mem (over an hour at 1.2M contracts),
    and NOT EXISTS as an anti join."""
    from ispgest.contracts.models import Contract, ContractStatus, Plan, PlanAssignment

    open_assignment = PlanAssignment.objects.filter(contract=OuterRef("pk"), end_date__isnull=True)
    return Contract.objects.filter(
        status=ContractStatus.ACTIVE, plan__kind=Plan.Kind.MONTHLY
    ).filter(~Exists(open_assignment))


def _mrr_rows():
    from ispgest.contracts.models import ContractStatus, Plan, PlanAssignment

    open_assignment = PlanAssignment.objects.filter(end_date__isnull=True)
    with_open = open_assignment.filter(
        contract__status=ContractStatus.ACTIVE, contract__plan__kind=Plan.Kind.MONTHLY
    )
    for r in (
        with_open.values("contract__client__seller_id")
        .annotate(total=Sum("price"), n=Count("contract_id", distinct=True))
        .order_by()
    ):
        yield r["contract__client__seller_id"], r["total"], r["n"]
    without = contracts_without_open_assignment()
    for r in (
        without.values("client__seller_id")
        .annotate(total=Sum("plan__price"), n=Count("id"))
        .order_by()
    ):
        yield r["client__seller_id"], r["total"], r["n"]


@transaction.atomic
def refresh_money_tallies(now: datetime | None = None) -> int:
    """Rebuild the per-seller snapshot; returns its number of rows."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    rows: dict[int, MoneyTally] = {}

    def row(seller) -> MoneyTally:
        key = seller or 0
        if key not in rows:
            rows[key] = MoneyTally(seller_key=key, computed_at=now)
        return rows[key]

    for seller, total, n in _mrr_rows():
        tally = row(seller)
        tally.mrr += total or ZERO
        tally.active_contracts += n
    for r in (
        ClientBalance.objects.values("client__seller_id")
        .annotate(
            unpaid=Sum("unpaid_total"),
            unpaid_n=Count("pk", filter=Q(unpaid_count__gt=0)),
            wallet=Sum("wallet_balance"),
            wallet_n=Count("pk", filter=Q(wallet_balance__gt=0)),
        )
        .order_by()
    ):
        tally = row(r["client__seller_id"])
        tally.unpaid_total = r["unpaid"] or ZERO
        tally.unpaid_clients = r["unpaid_n"]
        tally.wallet_total = r["wallet"] or ZERO
        tally.wallet_clients = r["wallet_n"]
    for r in (
        Invoice.objects.filter(kind=DocumentKind.INVOICE, status__in=UNPAID, due_date__lt=today)
        .values("client__seller_id")
        .annotate(
            owed=Sum(F("total") - F("paid_amount") - F("credited_amount")),
            n=Count("client_id", distinct=True),
        )
        .order_by()
    ):
        tally = row(r["client__seller_id"])
        tally.overdue_total = r["owed"] or ZERO
        tally.overdue_clients = r["n"]
    MoneyTally.objects.all().delete()
    MoneyTally.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


@task()
def refresh_money_tallies_task() -> int:
    """Scheduled job `billing.dashboard_refresh`."""
    return refresh_money_tallies()


@task()
def rebuild_monthly_money_task() -> int:
    """Scheduled job `billing.dashboard_rebuild`."""
    return rebuild_monthly_money()


# --- reads --------------------------------------------------------------------------------


@dataclass
class MoneyFigures:
    computed_at: datetime | None
    mrr: Decimal = ZERO
    active_contracts: int = 0
    unpaid_total: Decimal = ZERO
    unpaid_clients: int = 0
    overdue_total: Decimal = ZERO
    overdue_clients: int = 0
    wallet_total: Decimal = ZERO
    wallet_clients: int = 0
    months: list[MonthlyMoney] = field(default_factory=list)  # oldest first, 12 of them

    @property
    def ready(self) -> bool:
        return self.computed_at is not None

    @property
    def this_month(self) -> MonthlyMoney:
        return self.months[-1]


def _scoped(qs, scope: ClientScope):
    if scope.all:
        return qs
    if scope.seller_id is not None:
        return qs.filter(seller_key=scope.seller_id)
    return qs.none()


def money_figures(scope: ClientScope, *, today: date | None = None, months: int = 12):
    """The snapshot and the last `months` months for the scope: two small queries."""
    today = today or timezone.localdate()
    agg = _scoped(MoneyTally.objects.all(), scope).aggregate(
        computed_at=Max("computed_at"),
        mrr=Sum("mrr"),
        active_contracts=Sum("active_contracts"),
        unpaid_total=Sum("unpaid_total"),
        unpaid_clients=Sum("unpaid_clients"),
        overdue_total=Sum("overdue_total"),
        overdue_clients=Sum("overdue_clients"),
        wallet_total=Sum("wallet_total"),
        wallet_clients=Sum("wallet_clients"),
    )
    if agg["computed_at"] is None:
        agg["computed_at"] = MoneyTally.objects.aggregate(at=Max("computed_at"))["at"]
    figures = MoneyFigures(**{k: (v if v is not None else ZERO) for k, v in agg.items()})
    figures.computed_at = agg["computed_at"]
    for name in ("active_contracts", "unpaid_clients", "overdue_clients", "wallet_clients"):
        setattr(figures, name, int(getattr(figures, name)))
    start = add_months(_first(today), -(months - 1))
    by_month: dict[date, MonthlyMoney] = {}
    for r in (
        _scoped(MonthlyMoney.objects.filter(month__gte=start), scope)
        .values("month")
        .annotate(
            invoiced=Sum("invoiced"),
            invoices=Sum("invoices"),
            credited=Sum("credited"),
            collected=Sum("collected"),
            payments=Sum("payments"),
        )
        .order_by()
    ):
        month = r.pop("month")
        by_month[month] = MonthlyMoney(month=month, seller_key=0, **r)
    figures.months = [
        by_month.get(add_months(start, i)) or MonthlyMoney(month=add_months(start, i), seller_key=0)
        for i in range(months)
    ]
    return figures
