"""Rules the billing services enforce on every path (page, API, tasks, commands): documents
numbered in date order, dates that cannot lie, credit notes from the invoice's snapshot,
e-mails sent once per document, the billing-run command calling the service."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from ispgest.billing import services
from ispgest.billing.models import BillingRun, Invoice, NumberSequence, Payment, WalletMovement
from ispgest.billing.services import LineInput
from ispgest.billing.tasks import send_invoice_emails, send_receipt_email
from ispgest.billing.tests.factories import make_client, method, setup_billing
from ispgest.clients.models import Client
from ispgest.core.models import AuditEntry
from ispgest.messaging.models import EmailMessage

pytestmark = pytest.mark.django_db


def manual(client, amount="100", **kw):
    return services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", amount)], notify=False, **kw
    )


def test_a_back_dated_document_cannot_take_a_number_after_a_later_one():
    client = make_client(setup_billing())
    today = timezone.localdate()
    first = manual(client, issue_date=today)
    with pytest.raises(ValidationError, match="cronológica") as exc:
        manual(client, issue_date=today - timedelta(days=31))
    assert "issue_date" in exc.value.message_dict
    assert Invoice.objects.count() == 1
    seq = NumberSequence.objects.get(pk=first.sequence_id)
    assert seq.last_number == 1 and seq.last_issue_date == today
    same_day = manual(client, issue_date=today)
    assert same_day.number == 2


def test_payments_refuse_future_dates_and_dates_before_the_invoice():
    client = make_client(setup_billing())
    today = timezone.localdate()
    inv = manual(client, issue_date=today - timedelta(days=5))
    for bad, text in [
        (date(2099, 1, 1), "posterior a hoy"),
        (today - timedelta(days=6), "anterior"),
    ]:
        with pytest.raises(ValidationError, match=text) as exc:
            services.payment_register(
                actor=None,
                client=client,
                method=method("cash"),
                amount="10",
                invoices=[inv],
                payment_date=bad,
                notify=False,
            )
        assert "payment_date" in exc.value.message_dict
    assert not Payment.objects.exists()
    inv.refresh_from_db()
    assert inv.paid_amount == 0


def test_wallet_deposits_refuse_future_dates_and_dates_before_the_client():
    client = make_client(setup_billing())
    for bad in (timezone.localdate() + timedelta(days=1), date(2000, 1, 1)):
        with pytest.raises(ValidationError) as exc:
            services.wallet_deposit(
                actor=None, client=client, amount="5", concept="Anticipo", movement_date=bad
            )
        assert "movement_date" in exc.value.message_dict
    assert not WalletMovement.objects.exists()


def test_a_credit_note_uses_the_invoices_snapshot_after_the_client_lost_its_entity():
    entity = setup_billing()
    client = make_client(entity)
    inv = manual(client, "121")
    Client.objects.filter(pk=client.pk).update(
        billing_entity=None, tax_condition=None, invoice_type=None, name="Otro nombre"
    )
    note = services.credit_note_create(actor=None, invoice=inv, reason="Error", notify=False)
    assert note.billing_entity_id == entity.pk
    assert note.invoice_type_id == inv.invoice_type_id
    assert note.client_name == inv.client_name != "Otro nombre"
    assert note.client_tax_condition == inv.client_tax_condition
    assert note.total == Decimal("121.00")


def test_rerunning_the_invoice_and_receipt_mail_tasks_sends_each_once(settings):
    client = make_client(setup_billing(), email="pago@cliente.test")
    inv = manual(client)
    assert send_invoice_emails.call([inv.pk]) == 1
    assert send_invoice_emails.call([inv.pk]) == 0
    assert EmailMessage.objects.filter(template="invoice_issued").count() == 1
    payment = services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="100",
        invoices=[inv],
        notify=False,
    )
    assert send_receipt_email.call(payment.pk) is True
    assert send_receipt_email.call(payment.pk) is False
    assert EmailMessage.objects.filter(template="payment_registered").count() == 1
    from ispgest.billing.emails import send_invoice_email

    assert send_invoice_email(inv, resend=True) is not None  # a person asked to resend
    assert EmailMessage.objects.filter(template="invoice_issued").count() == 2


def test_the_billing_run_command_starts_the_run_through_the_service():
    setup_billing()
    call_command("billing_run", "--date", timezone.localdate().isoformat(), "--no-email")
    run = BillingRun.objects.get()
    assert run.status == BillingRun.Status.DONE
    entry = AuditEntry.objects.get(action="billing_run.started")
    assert entry.object_id == str(run.pk)
