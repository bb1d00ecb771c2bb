"""Background work of billing: thin, load by id, call the service; safe to run twice."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ispgest.billing import signals
from ispgest.billing.models import BillingRun, Invoice, Payment
from ispgest.core.models import Job


@task()
def billing_run_task(run_id: int) -> int:
    from ispgest.billing.engine import billing_run_execute

    run = BillingRun.objects.get(pk=run_id)
    if run.status == BillingRun.Status.DONE:
        return run.invoices_issued
    try:
        billing_run_execute(run)
    except Exception as exc:
        BillingRun.objects.filter(pk=run_id).update(
            status=BillingRun.Status.FAILED, finished_at=timezone.now()
        )
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                status=Job.Status.FAILED,
                finished_at=timezone.now(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        signals.billing_run_finished.send(sender=BillingRun, run=BillingRun.objects.get(pk=run_id))
        raise
    signals.billing_run_finished.send(sender=BillingRun, run=run)
    return run.invoices_issued


@task()
def send_invoice_emails(invoice_ids: list[int]) -> int:
    """E-mail each invoice's PDF to its client's invoice recipients (principal + notify)."""
    from ispgest.billing.emails import send_invoice_email

    sent = 0
    for invoice_id in sorted(set(invoice_ids)):
        with transaction.atomic():
            # The row lock makes a concurrent rerun wait and then see the logged e-mail.
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("client")
                .filter(pk=invoice_id)
                .first()
            )
            if invoice is not None and send_invoice_email(invoice) is not None:
                sent += 1
    return sent


@task()
def send_receipt_email(payment_id: int) -> bool:
    from ispgest.billing.emails import send_payment_email

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=payment_id)
        )
        return send_payment_email(payment) is not None
