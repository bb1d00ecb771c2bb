"""Automatic billing runs: on the day of each billing cycle marked "Facturación automática"
the scheduled job `billing.automatic_runs` starts the billing run through the same service
as the manual one (`services.billing_run_start`); when it ends, its summary is e-mailed to
the administrators.

At most one run per day: the cycles of the day are locked and a run already started that
day (automatic or by hand, unless it failed) means nothing to do, so a rerun of the job, two
workers or a restarted scheduler start no second run (and the engine never invoices a
contract twice for a period anyway). A failed run is reported by e-mail; staff relaunch it.
"""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from ispgest.accounts.roles import ADMIN
from ispgest.accounts.selectors import users_with_role
from ispgest.billing import signals
from ispgest.billing.models import BillingRun
from ispgest.catalog.models import BillingCycle
from ispgest.core.audit import audit
from ispgest.core.identity import isp_identity
from ispgest.core.models import Job
from ispgest.messaging.emails import send_email

logger = logging.getLogger(__name__)


@transaction.atomic
def automatic_billing_start(*, today: date | None = None) -> BillingRun | None:
    """Start today's run when a cycle of today bills automatically; None otherwise."""
    from ispgest.billing.services import billing_run_start

    today = today or timezone.localdate()
    cycles = list(
        BillingCycle.objects.select_for_update()
        .filter(active=True, auto_run=True, day_of_month=today.day)
        .order_by("id")
    )
    if not cycles:
        return None
    if BillingRun.objects.filter(run_date=today).exclude(status=BillingRun.Status.FAILED).exists():
        return None
    run = billing_run_start(actor=None, run_date=today, automatic=True)
    audit(
        actor=None,
        action="billing_run.automatic",
        obj=run,
        summary=f"Facturación automática del {today:%d/%m/%Y} "
        f"(ciclos: {', '.join(c.name for c in cycles)})",
    )
    return run


@task()
def run_automatic_billing() -> int | None:
    """Scheduled job `billing.automatic_runs`: the id of the run started, or None."""
    run = automatic_billing_start()
    return run.pk if run is not None else None


def administrator_emails() -> list[str]:
    return sorted({u.email for u in users_with_role(ADMIN) if u.email})


def send_run_summary(run: BillingRun):
    """E-mail an automatic run's summary to the administrators, once (marked on its Job)."""
    if run.job_id is None:
        return None
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=run.job_id)
        if not job.params.get("automatic") or job.params.get("summary_email"):
            return None
        to = administrator_emails()
        if not to:
            logger.warning("automatic billing run %s: no administrator has an e-mail", run.pk)
            return None
        run = BillingRun.objects.get(pk=run.pk)
        message = send_email(
            template="billing_run_summary",
            to=to,
            context={
                "run": run,
                "job": job,
                "errors": run.errors[:20],
                "isp": isp_identity(),
                "url": settings.SITE_URL.rstrip("/") + reverse("billing:run_detail", args=[run.pk]),
            },
            related=run,
        )
        job.params = {**job.params, "summary_email": message.pk}
        job.save(update_fields=["params"])
        return message


def _on_run_finished(sender, run, **kwargs):
    send_run_summary(run)


def connect() -> None:
    signals.billing_run_finished.connect(_on_run_finished, dispatch_uid="autorun.summary")
