"""Demo billing: the last two months' runs for the demo contracts, then payments in bulk.

Runs the real billing engine (its bulk path) for the last two cycle dates of every cycle
in use, so invoices, numbering, history and balances are exactly what production makes.
Then, per run except the latest, pays most invoices in full and some in part with set-based
SQL (payments, allocations, numbered receipts, history rows), leaving the rest unpaid.
Deterministic: which invoices are paid depends only on their ids.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from ispgest.billing import numbering
from ispgest.billing.engine import billing_run_execute
from ispgest.billing.models import BillingRun, NumberSequence
from ispgest.billing.selectors import rebuild_all_client_balances
from ispgest.catalog.models import BillingCycle, PaymentMethod, PaymentMethodKind
from ispgest.clients.models import Client
from ispgest.core.dates import add_months


def _run_dates(today, months: int = 2) -> list:
    days = set(
        Client.objects.filter(billing_enabled=True, billing_cycle__isnull=False)
        .values_list("billing_cycle__day_of_month", flat=True)
        .distinct()
    )
    default = BillingCycle.objects.filter(is_default=True).first()
    if default and Client.objects.filter(billing_enabled=True, billing_cycle__isnull=True).exists():
        days.add(default.day_of_month)
    dates = []
    for day in days:
        last = today.replace(day=day)
        if last > today:
            last = add_months(last, -1)
        dates.extend(add_months(last, -i) for i in range(months))
    return sorted(dates)


def generate(ctx) -> None:
    today = timezone.localdate()
    dates = _run_dates(today)
    if not dates:
        ctx.log("  billing: no billing-enabled clients, nothing to invoice")
        return
    runs = []
    for run_date in dates:
        run = billing_run_execute(BillingRun.objects.create(run_date=run_date), notify=False)
        runs.append(run)
        ctx.log(f"  billing: {run_date} -> {run.invoices_issued} invoices ({run.seconds:.1f} s)")
    cash = PaymentMethod.objects.filter(kind=PaymentMethodKind.CASH, active=True).first()
    latest = max(dates)
    if cash is not None:
        for run in runs:
            if run.run_date == latest or not run.invoices_issued:
                continue  # the latest month stays unpaid
            _pay(run, cash.pk, run.run_date + timedelta(days=5))
    rebuild_all_client_balances()
    ctx.data["billing_run_ids"] = [r.pk for r in runs]


@transaction.atomic
def _pay(run: BillingRun, method_id: int, pay_date) -> None:
    """Pay 60 % of a run's invoices in full and 10 % by half, in set-based SQL."""
    with connection.cursor() as cur:
        # Payments: reference DEMO-<invoice id> links each payment to its invoice.
        cur.execute(
            """
            INSERT INTO billing_payment (client_id, method_id, amount, date, reference, notes,
                                         created_at, updated_at)
            SELECT client_id, %s,
                   CASE WHEN id %% 10 < 6 THEN total ELSE ROUND(total / 2, 2) END,
                   %s, 'DEMO-' || id, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
            FROM billing_invoice
            WHERE billing_run_id = %s AND id %% 10 < 7 AND total > 0
            """,
            [method_id, pay_date, run.pk],
        )
        cur.execute(
            """
            INSERT INTO billing_paymentallocation (payment_id, invoice_id, amount)
            SELECT p.id, i.id, p.amount
            FROM billing_invoice i JOIN billing_payment p ON p.reference = 'DEMO-' || i.id
            WHERE i.billing_run_id = %s
            """,
            [run.pk],
        )
        cur.execute(
            """
            UPDATE billing_invoice SET
                paid_amount = CASE WHEN id %% 10 < 6 THEN total ELSE ROUND(total / 2, 2) END,
                status = CASE WHEN id %% 10 < 6 THEN 'paid' ELSE 'partially_paid' END
            WHERE billing_run_id = %s AND id %% 10 < 7 AND total > 0
            """,
            [run.pk],
        )
        # Receipts, numbered per billing entity from its receipt sequence.
        cur.execute(
            "SELECT DISTINCT billing_entity_id FROM billing_invoice WHERE billing_run_id = %s",
            [run.pk],
        )
        entities = [r[0] for r in cur.fetchall()]
        number = "%s + ROW_NUMBER() OVER (ORDER BY p.id)"
        if connection.vendor == "postgresql":
            display = f"'REC-' || LPAD(({number})::text, 8, '0')"
        else:
            display = f"'REC-' || SUBSTR('00000000' || ({number}), -8, 8)"
        for entity_id in entities:
            seq = numbering.get_sequence(
                entity_id=entity_id, kind=numbering.RECEIPT_KIND, invoice_type_id=None, pos_id=None
            )
            seq = NumberSequence.objects.select_for_update().get(pk=seq.pk)
            cur.execute(
                f"""
                INSERT INTO billing_receipt (payment_id, sequence_id, number, number_display,
                                             billing_entity_id, issued_at)
                SELECT p.id, %s, {number}, {display}, %s, CURRENT_TIMESTAMP
                FROM billing_payment p
                JOIN billing_invoice i ON p.reference = 'DEMO-' || i.id
                WHERE i.billing_run_id = %s AND i.billing_entity_id = %s
                """,
                [seq.pk, seq.last_number, seq.last_number, entity_id, run.pk, entity_id],
            )
            added = cur.rowcount
            NumberSequence.objects.filter(pk=seq.pk).update(last_number=seq.last_number + added)
        cur.execute(
            """
            INSERT INTO clients_clientevent (client_id, created_at, actor_id, kind, action,
                entry_type, occurred_on, summary, changes, object_type, object_id)
            SELECT p.client_id, CURRENT_TIMESTAMP, NULL, 'auto', 'payment.registered', '', NULL,
                   'Pago de ' || p.amount || ' imputado a ' || i.number_display, %s,
                   'billing.payment', '' || p.id
            FROM billing_payment p JOIN billing_invoice i ON p.reference = 'DEMO-' || i.id
            WHERE i.billing_run_id = %s
            """,
            ["{}", run.pk],
        )
