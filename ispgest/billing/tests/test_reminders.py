"""Due-date reminders: who gets them, when, what they say, and never twice."""

import threading

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from ispgest.billing import reminders, services
from ispgest.billing.models import InvoiceReminder
from ispgest.billing.reminders import reminder_settings_update, send_due_reminders
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import make_client, method, setup_billing
from ispgest.catalog.models import PaymentGateway
from ispgest.clients.models import ClientEvent, GatewayAccount
from ispgest.core.identity import isp_identity
from ispgest.core.models import AuditEntry
from ispgest.messaging.models import EmailMessage

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _invoice(client, amount="1500", *, due_in: int):
    return invoice_due(client, amount, due_in=due_in, text="Abono mensual")


@pytest.fixture
def entity(db):
    identity = isp_identity()
    identity.name, identity.support_phone = "Red Sur Internet", "0800-555-1234"
    identity.save()
    return setup_billing()


def test_a_reminder_goes_to_the_principal_address_with_amount_due_date_and_references(
    entity, smtp_server, django_capture_on_commit_callbacks
):
    client = make_client(entity, email="ana@cliente.test", notify="contable@cliente.test")
    gateway = PaymentGateway.objects.create(name="Pago Fácil", code="pagofacil")
    GatewayAccount.objects.create(client=client, gateway=gateway, reference="7788990")
    inv = _invoice(client, "1500", due_in=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == {"before": 1, "after": 0}
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["ana@cliente.test"]  # never the "Emails a notificar"
    assert inv.number_display in mail.subject and "Red Sur Internet" in mail.subject
    text = mail.text()
    assert "1.500,00" in text and inv.due_date.strftime("%d/%m/%Y") in text
    assert "en 3 días" in text
    assert "Pago Fácil: código de pago 7788990" in text
    assert f"Número de cliente: {client.pk}" in text
    assert "IBAN ES9121000418450200051332" in text
    assert "Red Sur Internet" in text and "0800-555-1234" in text
    log = EmailMessage.objects.get(template="invoice_due_soon")
    assert log.client == client and log.related_id == str(inv.pk)
    event = ClientEvent.objects.get(client=client, action="invoice.reminder_before")
    assert inv.number_display in event.summary
    assert AuditEntry.objects.filter(action="invoice.reminder_before").count() == 1
    assert InvoiceReminder.objects.get().email == log


def test_an_unpaid_invoice_gets_the_overdue_notice_m_days_after(entity):
    client = make_client(entity, email="b@cliente.test")
    _invoice(client, due_in=-90)  # ancient debt: left to the collectors
    late = _invoice(client, due_in=-5)
    _invoice(client, due_in=-4)  # not yet M days late
    assert send_due_reminders() == {"before": 0, "after": 1}
    reminder = InvoiceReminder.objects.get()
    assert (reminder.invoice, reminder.stage) == (late, "after")
    body = EmailMessage.objects.get().body_text
    assert "venció el" in body and "hace 5 días" in body


def test_paid_invoices_and_clients_without_reminders_get_nothing(entity):
    paid_client = make_client(entity, email="p@cliente.test")
    paid = _invoice(paid_client, "100", due_in=2)
    services.payment_register(
        actor=None,
        client=paid_client,
        method=method("cash"),
        amount="100",
        invoices=[paid],
        notify=False,
    )
    off = make_client(entity, email="off@cliente.test", send_reminder_emails=False)
    _invoice(off, due_in=2)
    nobody = make_client(entity, email=None)
    _invoice(nobody, due_in=2)
    gone = make_client(entity, email="gone@cliente.test")
    _invoice(gone, due_in=2)
    from ispgest.clients.services import client_deactivate

    client_deactivate(actor=None, client=gone)
    partly = make_client(entity, email="partly@cliente.test")
    half = _invoice(partly, "100", due_in=1)
    services.payment_register(
        actor=None, client=partly, method=method("cash"), amount="40", invoices=[half], notify=False
    )
    assert send_due_reminders() == {"before": 1, "after": 0}
    assert EmailMessage.objects.get().to == ["partly@cliente.test"]
    assert "60,00" in EmailMessage.objects.get().body_text  # what is left, not the total


def test_a_rerun_sends_nothing_twice_and_a_crash_half_way_resumes(entity, monkeypatch):
    clients = [make_client(entity, email=f"c{i}@cliente.test") for i in range(4)]
    for c in clients:
        _invoice(c, due_in=1)
    real = reminders.send_email
    calls = {"n": 0}

    def dies_on_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("el trabajador murió")
        return real(**kwargs)

    monkeypatch.setattr(reminders, "send_email", dies_on_third)
    with pytest.raises(RuntimeError):
        send_due_reminders()
    assert InvoiceReminder.objects.count() == 2  # the third rolled back with its e-mail
    assert EmailMessage.objects.count() == 2
    monkeypatch.setattr(reminders, "send_email", real)
    assert send_due_reminders() == {"before": 2, "after": 0}
    assert send_due_reminders() == {"before": 0, "after": 0}
    assert sorted(m.to[0] for m in EmailMessage.objects.all()) == sorted(c.email for c in clients)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(entity):
    for i in range(6):
        _invoice(make_client(entity, email=f"w{i}@cliente.test"), due_in=2)
    errors = []

    def worker():
        try:
            send_due_reminders()
        except OperationalError:
            pass  # a locked SQLite test database: the next run finishes the job
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    send_due_reminders()
    assert errors == []
    assert InvoiceReminder.objects.count() == 6
    assert EmailMessage.objects.count() == 6
    assert len({m.to[0] for m in EmailMessage.objects.all()}) == 6


def test_the_days_and_texts_are_configurable(entity):
    reminder_settings_update(
        actor=None,
        data={
            "days_before": 7,
            "before_text": "Evite el corte del servicio.",
            "after_enabled": False,
        },
    )
    client = make_client(entity, email="t@cliente.test")
    _invoice(client, due_in=-5)
    _invoice(client, due_in=6)
    assert send_due_reminders() == {"before": 1, "after": 0}
    assert "Evite el corte del servicio." in EmailMessage.objects.get().body_text


def test_the_settings_page_refuses_bad_values_in_spanish_and_changes_nothing(admin_client):
    url = reverse("billing:reminder_settings")
    response = admin_client.post(
        url,
        {"before_enabled": "on", "days_before": "0", "after_enabled": "on", "days_after": "cinco"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "mayor o igual a 1" in html and "Introduzca un número entero" in html
    row = reminders.reminder_settings()
    assert (row.days_before, row.days_after) == (3, 5)
    response = admin_client.post(
        url,
        {"before_enabled": "on", "days_before": "2", "days_after": "10", "after_text": "Hola"},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.days_before, row.days_after, row.after_enabled) == (2, 10, False)
    assert AuditEntry.objects.filter(action="reminders.settings_changed").count() == 1
