"""A payment larger than what is owed: refused, or, when the clerk asks for it, the debt is
paid and the excess goes to the client's wallet in the same step, through the service, the
page and the API alike, all or nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ispgest.accounts.models import ApiToken
from ispgest.billing import services, signals
from ispgest.billing.models import (
    ClientBalance,
    Invoice,
    Payment,
    Receipt,
    Wallet,
    WalletMovement,
)
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import make_client, method, setup_billing
from ispgest.clients.models import ClientEvent
from ispgest.core.exceptions import DomainError
from ispgest.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def debtor():
    client = make_client(setup_billing())
    invoice = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    return client, invoice


def _nothing_moved(client, invoice, audit_before: int) -> None:
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0 and invoice.status == "pending"
    assert not Payment.objects.exists() and not Receipt.objects.exists()
    assert not WalletMovement.objects.exists()
    assert Wallet.objects.filter(client=client, balance__gt=0).count() == 0
    balance = ClientBalance.objects.get(client=client)
    assert (balance.unpaid_count, balance.unpaid_total, balance.wallet_balance) == (
        1,
        Decimal("100.00"),
        Decimal("0.00"),
    )
    assert AuditEntry.objects.count() == audit_before


def test_the_service_pays_the_debt_and_deposits_the_excess_with_history_and_audit(
    debtor, admin_user
):
    client, invoice = debtor
    payment = services.payment_register(
        actor=admin_user,
        client=client,
        method=method("cash"),
        amount="130.50",
        invoices=[invoice],
        notify=False,
        excess_to_wallet=True,
    )
    assert payment.amount == Decimal("100.00") and payment.wallet_excess == Decimal("30.50")
    deposit = WalletMovement.objects.get()
    assert (deposit.kind, deposit.amount, deposit.balance_after, deposit.payment_id) == (
        WalletMovement.Kind.DEPOSIT,
        Decimal("30.50"),
        Decimal("30.50"),
        payment.pk,
    )
    assert deposit.created_by == admin_user and deposit.date == payment.date
    registered = ClientEvent.objects.get(client=client, action="payment.registered")
    assert "excedente de $ 30,50 depositado en el monedero" in registered.summary
    wallet_event = ClientEvent.objects.get(client=client, action="wallet.deposit")
    assert wallet_event.object_id == str(deposit.pk) and "excedente" in wallet_event.summary
    entries = AuditEntry.objects.filter(client_id=client.pk, actor=admin_user)
    assert set(entries.values_list("action", flat=True)) >= {
        "payment.registered",
        "wallet.deposit",
    }
    assert entries.get(action="wallet.deposit").object_type == "billing.walletmovement"


def test_without_the_option_an_overpayment_is_refused_on_the_amount_and_nothing_moves(debtor):
    client, invoice = debtor
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match="Depositar el excedente en el monedero") as exc:
        services.payment_register(
            actor=None,
            client=client,
            method=method("cash"),
            amount="130",
            invoices=[invoice],
            notify=False,
        )
    assert list(exc.value.message_dict) == ["amount"]
    _nothing_moved(client, invoice, before)


def test_a_wallet_payment_cannot_deposit_its_own_excess(debtor):
    client, invoice = debtor
    services.wallet_deposit(actor=None, client=client, amount="200", concept="Anticipo")
    with pytest.raises(ValidationError, match="monedero no deposita") as exc:
        services.payment_register(
            actor=None,
            client=client,
            method=method("wallet"),
            amount="130",
            invoices=[invoice],
            notify=False,
            excess_to_wallet=True,
        )
    assert "amount" in exc.value.message_dict
    assert Wallet.objects.get(client=client).balance == Decimal("200.00")
    assert not Payment.objects.exists()


def test_a_failure_after_the_deposit_rolls_back_the_payment_the_deposit_and_their_trail(debtor):
    """A receiver of payment_registered runs inside the payment's transaction (the fiscal
    layer, webhooks): when it fails, the payment, its allocation, its receipt, the excess
    deposit, the balances and the audit rows all go back."""
    client, invoice = debtor
    before = AuditEntry.objects.count()

    def refuse(sender, payment, **kwargs):
        assert WalletMovement.objects.filter(payment=payment).exists()  # already written
        raise DomainError("El sistema fiscal rechazó el pago.")

    signals.payment_registered.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(ValidationError, match="rechazó"):
            services.payment_register(
                actor=None,
                client=client,
                method=method("cash"),
                amount="130",
                invoices=[invoice],
                notify=False,
                excess_to_wallet=True,
            )
    finally:
        signals.payment_registered.disconnect(dispatch_uid="test-refuse")
    _nothing_moved(client, invoice, before)


def test_reversing_refuses_when_the_deposited_excess_was_spent_and_changes_nothing(debtor):
    client, invoice = debtor
    payment = services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="130",
        invoices=[invoice],
        notify=False,
        excess_to_wallet=True,
    )
    second = services.document_create(
        actor=None, client=client, lines=[LineInput("Router", "1", "20")], notify=False
    )
    services.payment_register(
        actor=None,
        client=client,
        method=method("wallet"),
        amount="20",
        invoices=[second],
        notify=False,
    )
    with pytest.raises(ValidationError, match="Saldo insuficiente"):
        services.payment_reverse(actor=None, payment=payment, reason="Cheque rechazado")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and Payment.objects.filter(amount__lt=0).count() == 0
    assert Wallet.objects.get(client=client).balance == Decimal("10.00")


def test_the_page_offers_the_option_with_its_label_and_applies_it(admin_client, debtor):
    client, invoice = debtor
    url = reverse("billing:payment_create", args=[client.pk])
    html = admin_client.get(url).content.decode()
    assert '<label for="id_excess_to_wallet"' in html
    assert 'type="checkbox" name="excess_to_wallet"' in html
    assert "Depositar el excedente en el monedero" in html
    data = {
        "method": method("cash").pk,
        "amount": "150",
        "payment_date": invoice.issue_date.isoformat(),
        "invoices": [invoice.pk],
    }
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    errors = refused.context["form"].errors
    assert list(errors) == ["amount"] and "supera lo adeudado" in errors["amount"][0]
    assert not Payment.objects.exists() and not WalletMovement.objects.exists()

    done = admin_client.post(url, {**data, "excess_to_wallet": "on"}, follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert "Excedente de $ 50,00 depositado en el monedero." in text
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payment = Payment.objects.get()
    assert payment.amount == Decimal("100.00") and payment.wallet_excess == Decimal("50.00")
    assert Wallet.objects.get(client=client).balance == Decimal("50.00")


def test_the_api_takes_the_option_and_answers_the_deposited_excess(client, admin_user, debtor):
    customer, invoice = debtor
    _, raw = ApiToken.issue(user=admin_user, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {
        "client_id": customer.pk,
        "method_id": method("cash").pk,
        "amount": "175.25",
        "invoice_ids": [invoice.pk],
    }
    refused = client.post("/api/v1/billing/payments", body, content_type="application/json", **auth)
    assert refused.status_code == 422
    assert "amount" in refused.json()["errors"] and "supera lo adeudado" in refused.json()["detail"]
    assert not Payment.objects.exists()

    r = client.post(
        "/api/v1/billing/payments",
        {**body, "excess_to_wallet": True},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    assert (r.json()["amount"], r.json()["wallet_excess"]) == ("100.00", "75.25")
    listed = client.get(f"/api/v1/billing/payments?client_id={customer.pk}", **auth).json()
    assert listed["items"][0]["wallet_excess"] == "75.25"
    movements = client.get(
        f"/api/v1/billing/clients/{customer.pk}/wallet/movements", **auth
    ).json()["items"]
    assert [(m["kind"], m["amount"]) for m in movements] == [("deposit", "75.25")]
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


@pytest.mark.django_db(transaction=True)
def test_the_receipt_and_its_mail_say_what_was_received_and_what_went_to_the_wallet(smtp_server):
    import pypdfium2

    client = make_client(setup_billing(), email="ana@cliente.test")
    invoice = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="130",
        invoices=[invoice],
        excess_to_wallet=True,
    )
    (mail,) = [m for m in smtp_server.received if m.subject.startswith("Recibo")]
    assert "Registramos su pago de $ 130,00" in mail.text()
    assert "De él, $ 30,00 quedan en su monedero." in mail.text()
    pdf = mail.attachments()[0].get_content()
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf))
    assert "la suma de $ 130,00" in text and "Depositado en el monedero" in text
    assert "$ 30,00" in text and "$ 100,00" in text
