"""Who receives which e-mail (seed 000 section 4): invoices to the principal address and the
notify list, payments/reminders/manual notices only to the principal address."""

import pytest

from ispgest.clients.notifications import (
    invoice_recipients,
    manual_recipients,
    payment_recipients,
    reminder_recipients,
)

pytestmark = pytest.mark.django_db


def test_invoices_go_to_the_principal_and_the_notify_list(make_client):
    c = make_client(email="Ppal@example.com", notify_emails="conta@example.com, ppal@example.com")
    assert invoice_recipients(c) == ["Ppal@example.com", "conta@example.com"]
    assert payment_recipients(c) == ["Ppal@example.com"]
    assert reminder_recipients(c) == ["Ppal@example.com"]
    assert manual_recipients(c) == ["Ppal@example.com"]


def test_a_client_without_principal_email_receives_nothing(make_client):
    c = make_client(notify_emails="conta@example.com")
    assert invoice_recipients(c) == []
    assert payment_recipients(c) == []
    assert not c.receives_email


def test_each_switch_turns_its_kind_off(make_client):
    c = make_client(
        email="a@example.com",
        send_invoice_emails=False,
        send_payment_emails=False,
        send_reminder_emails=False,
        send_manual_emails=False,
    )
    assert invoice_recipients(c) == payment_recipients(c) == []
    assert reminder_recipients(c) == manual_recipients(c) == []
