"""Automatic billing runs on the cycle's day, through the manual run's service, once."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from ispgest.accounts.roles import ADMIN, BILLING
from ispgest.billing import autorun
from ispgest.billing.autorun import automatic_billing_start, run_automatic_billing
from ispgest.billing.models import BillingRun, Invoice
from ispgest.billing.services import billing_run_start
from ispgest.billing.tests.factories import (
    cycle,
    make_client,
    make_contract,
    make_plan,
    setup_billing,
)
from ispgest.catalog.models import BillingCycle
from ispgest.catalog.services import catalog_row_create, catalog_row_update
from ispgest.core.models import AuditEntry

pytestmark = pytest.mark.django_db
RUN_DAY = date(2026, 3, 10)


@pytest.fixture
def billed(db, make_user):
    entity = setup_billing()
    auto = cycle(10)
    BillingCycle.objects.filter(pk=auto.pk).update(auto_run=True)
    plan = make_plan("2000.00")
    for _ in range(3):
        make_contract(make_client(entity, day=10), plan, start=date(2026, 1, 1))
    make_user(ADMIN, username="dueña")  # e-mail user1@isp.test
    make_user(BILLING)  # not an administrator: gets no summary
    return auto


def test_on_the_cycles_day_the_run_starts_by_itself_and_mails_its_summary(
    billed, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = automatic_billing_start(today=RUN_DAY)
    run.refresh_from_db()
    assert run.status == BillingRun.Status.DONE and run.created_by is None
    assert run.job.params["automatic"] is True
    assert Invoice.objects.filter(billing_run=run).count() == 3
    (mail,) = [m for m in smtp_server.received if "Facturación automática" in m.subject]
    assert mail.rcpt_tos == ["user1@isp.test"]
    assert "3 facturas" in mail.subject and "6.000,00" in mail.subject
    text = mail.text()
    assert (
        "Facturas emitidas: 3" in text and f"/facturacion/facturacion-periodica/{run.pk}/" in text
    )
    assert AuditEntry.objects.filter(action="billing_run.automatic").count() == 1


def test_a_rerun_the_same_day_starts_no_second_run_and_no_second_mail(
    billed, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = automatic_billing_start(today=RUN_DAY)
        assert automatic_billing_start(today=RUN_DAY) is None
        autorun.send_run_summary(first)  # a duplicate "finished" signal
    assert BillingRun.objects.count() == 1
    assert sum("Facturación automática" in m.subject for m in smtp_server.received) == 1


def test_a_manual_run_of_the_day_leaves_the_automatic_one_nothing_to_do(billed):
    billing_run_start(actor=None, run_date=RUN_DAY)
    assert automatic_billing_start(today=RUN_DAY) is None
    assert BillingRun.objects.count() == 1


def test_other_days_and_manual_cycles_start_nothing(billed):
    assert automatic_billing_start(today=date(2026, 3, 11)) is None
    BillingCycle.objects.update(auto_run=False)
    assert automatic_billing_start(today=RUN_DAY) is None
    assert BillingRun.objects.count() == 0


def test_the_job_task_runs_today(billed, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: RUN_DAY)
    assert run_automatic_billing.call() == BillingRun.objects.get().pk


def test_a_failed_automatic_run_is_reported_to_the_administrators(
    billed, smtp_server, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(run, index):
        raise RuntimeError("disco lleno")

    monkeypatch.setattr("ispgest.billing.engine.run._after_chunk", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = automatic_billing_start(today=RUN_DAY)
    run.refresh_from_db()
    assert run.status == BillingRun.Status.FAILED
    (mail,) = [m for m in smtp_server.received if "automática" in m.subject]
    assert mail.subject.strip().startswith("Falló la facturación automática")
    assert "disco lleno" in mail.text()


def test_cycles_of_one_day_are_all_automatic_or_all_manual(db):
    setup_billing()
    manual = catalog_row_create(
        actor=None, model=BillingCycle, data={"name": "Día 15", "day_of_month": 15}
    )
    with pytest.raises(ValidationError) as info:
        catalog_row_create(
            actor=None,
            model=BillingCycle,
            data={"name": "Día 15 auto", "day_of_month": 15, "auto_run": True},
        )
    assert "también factura el día 15" in info.value.message_dict["auto_run"][0]
    assert not BillingCycle.objects.filter(name="Día 15 auto").exists()
    catalog_row_update(actor=None, instance=manual, data={"auto_run": True})
    assert BillingCycle.objects.get(pk=manual.pk).auto_run is True
