"""Money: one rounding rule everywhere, tax exemption by a flag, one currency recorded on
each document, and an overpayment that can go to the wallet in the same step."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ispgest.billing import services
from ispgest.billing.calc import NO_TAX, LineDraft
from ispgest.billing.models import ClientBalance, Payment, WalletMovement
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
    tax,
)
from ispgest.catalog.models import TaxCondition
from ispgest.contracts.models import PackageAssignmentLine
from ispgest.core.money import round_money

pytestmark = pytest.mark.django_db


def test_a_package_line_shows_the_cent_the_invoice_charges():
    quantity, price = Decimal("0.5"), Decimal("0.25")  # 0.125
    package_line = PackageAssignmentLine(quantity=quantity, unit_price=price)
    invoice_line = LineDraft("x", quantity, price, NO_TAX)
    assert package_line.total == invoice_line.total == round_money("0.125") == Decimal("0.13")


def test_tax_exemption_follows_the_flag_not_the_name():
    entity = setup_billing()
    iva = tax("IVA 21%", "21.00", included=False)
    exento = TaxCondition.objects.get(country="AR", name="Exento")
    assert exento.tax_exempt
    exento.name = "Cliente especial"  # renaming changes no tax
    exento.save()
    client = make_client(entity, condition=exento, billing_tax=iva)
    inv = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    assert inv.tax_total == 0 and inv.total == Decimal("100.00")
    plain = TaxCondition.objects.get(country="AR", name="Consumidor Final")
    plain.name = "Exento de palabra"  # a name that reads as exempt taxes nothing away
    plain.save()
    taxed = make_client(entity, condition=plain, billing_tax=iva)
    inv = services.document_create(
        actor=None, client=taxed, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    assert inv.tax_total == Decimal("21.00")


def test_documents_record_the_installations_currency_and_plans_cannot_name_another(settings):
    from ispgest.contracts.services import plan_create

    settings.ISPGEST_COUNTRY = "AR"
    client = make_client(setup_billing())
    inv = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "10")], notify=False
    )
    assert inv.currency == "ARS"
    with pytest.raises(ValidationError, match="factura en ARS") as exc:
        plan_create(actor=None, data={"name": "Dólar", "price": "10", "currency": "USD"})
    assert "currency" in exc.value.message_dict


def test_an_overpayment_can_put_the_excess_in_the_wallet_in_the_same_step():
    client = make_client(setup_billing())
    make_contract(client, make_plan("100"))
    inv = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    with pytest.raises(ValidationError, match="supera lo adeudado"):
        services.payment_register(
            actor=None,
            client=client,
            method=method("cash"),
            amount="130",
            invoices=[inv],
            notify=False,
        )
    payment = services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount="130",
        invoices=[inv],
        notify=False,
        excess_to_wallet=True,
    )
    inv.refresh_from_db()
    assert payment.amount == Decimal("100.00") and inv.remaining == 0
    deposit = WalletMovement.objects.get(payment=payment)
    assert deposit.amount == Decimal("30.00") and deposit.kind == WalletMovement.Kind.DEPOSIT
    balance = ClientBalance.objects.get(client=client)
    assert balance.wallet_balance == Decimal("30.00") and balance.unpaid_total == 0
    # Reversing the payment takes the excess back out of the wallet.
    services.payment_reverse(actor=None, payment=payment, reason="Cheque rechazado")
    balance.refresh_from_db()
    assert balance.wallet_balance == 0 and balance.unpaid_total == Decimal("100.00")
    assert Payment.objects.count() == 2
