"""The documented billing rules that had no test of their own (docs/billing.md)."""

from datetime import date
from decimal import Decimal

import pytest

from ispgest.billing import engine, services
from ispgest.billing.models import BillingRun, Invoice, Payment, WalletMovement
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
    tax,
)
from ispgest.catalog.defaults import allow_default_invoice_types
from ispgest.catalog.models import BillingEntity, LegalKind, TaxCondition
from ispgest.clients.models import ClientEvent
from ispgest.contracts import services as contracts
from ispgest.contracts.models import Plan
from ispgest.core.models import AuditEntry

pytestmark = pytest.mark.django_db
RUN = date(2026, 11, 1)


def run(day=RUN):
    return engine.billing_run_execute(BillingRun.objects.create(run_date=day), notify=False)


def test_the_run_invoices_a_due_package_and_moves_its_renewal_on():
    client = make_client(setup_billing())
    contract = make_contract(client, make_plan("1000"))
    package = contracts.package_create(
        actor=None,
        data={"name": "Mantenimiento", "renewal_months": 12},
        lines=[{"description": "Mantenimiento", "quantity": "1", "unit_price": "500"}],
    )
    assignment = contracts.package_assign(
        actor=None,
        client=client,
        package=package,
        contract=contract,
        start_date=date(2025, 10, 10),
    )
    assert assignment.next_renewal_date == date(2026, 10, 10)
    run()
    inv = Invoice.objects.get()
    assert inv.total == Decimal("1500.00")
    assert [line.description for line in inv.lines.order_by("position")][-1].startswith(
        "Mantenimiento"
    )
    assignment.refresh_from_db()
    assert assignment.next_renewal_date == date(2027, 10, 10)
    assert ClientEvent.objects.filter(client=client, action="package.renewed").count() == 1
    assert AuditEntry.objects.filter(action="package.renewed", client_id=client.pk).count() == 1
    run(date(2026, 12, 1))  # the next month: the package is not due again
    assert Invoice.objects.order_by("-id").first().total == Decimal("1000.00")


def test_a_one_off_plan_is_charged_once_in_the_period_of_its_start():
    client = make_client(setup_billing())
    install = Plan.objects.create(name="Instalación", price=Decimal("300"), kind=Plan.Kind.ONE_OFF)
    make_contract(client, install, start=date(2026, 10, 5))
    run()
    assert Invoice.objects.get().total == Decimal("300.00")
    run(date(2026, 12, 1))
    assert Invoice.objects.count() == 1


def test_the_clients_tax_wins_over_the_plans():
    client = make_client(setup_billing(), billing_tax=tax("IVA 10,5%", "10.50", included=False))
    make_contract(client, make_plan("100", tax=tax("IVA 21%", "21.00", included=False)))
    run()
    inv = Invoice.objects.get()
    assert inv.tax_total == Decimal("10.50") and inv.lines.get().tax_name == "IVA 10,5%"


def test_a_fantasy_entity_charges_no_tax():
    setup_billing()
    fantasy = BillingEntity.objects.create(name="Interno", kind=LegalKind.FANTASY, country="AR")
    allow_default_invoice_types(fantasy)
    client = make_client(
        fantasy,
        billing_tax=tax("IVA 21%", "21.00", included=False),
        condition=TaxCondition.objects.get(name="Sin factura legal"),
    )
    from ispgest.catalog.models import InvoiceType

    type(client).objects.filter(pk=client.pk).update(invoice_type=InvoiceType.objects.get(code="X"))
    client.refresh_from_db()
    inv = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    assert (inv.tax_total, inv.total, inv.legal) == (Decimal("0.00"), Decimal("100.00"), False)


def test_a_partial_credit_note_splits_across_the_invoices_tax_groups():
    client = make_client(setup_billing())
    iva21, iva105 = tax("IVA 21%", "21.00"), tax("IVA 10,5%", "10.50")
    inv = services.document_create(
        actor=None,
        client=client,
        lines=[LineInput("Abono", "1", "300", iva21), LineInput("Router", "1", "100", iva105)],
        notify=False,
    )
    note = services.credit_note_create(actor=None, invoice=inv, amount="200", reason="Error")
    lines = {line.tax_name: line.total for line in note.lines.all()}
    assert lines == {"IVA 21%": Decimal("150.00"), "IVA 10,5%": Decimal("50.00")}
    assert note.total == Decimal("200.00")


def test_reversing_a_wallet_payment_refunds_the_wallet():
    client = make_client(setup_billing())
    inv = services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", "80")], notify=False
    )
    services.wallet_deposit(actor=None, client=client, amount="100", concept="Anticipo")
    payment = services.payment_register(
        actor=None,
        client=client,
        method=method("wallet"),
        amount="80",
        invoices=[inv],
        notify=False,
    )
    client.wallet.refresh_from_db()
    assert client.wallet.balance == Decimal("20.00")
    services.payment_reverse(actor=None, payment=payment, reason="Error")
    client.wallet.refresh_from_db()
    inv.refresh_from_db()
    assert client.wallet.balance == Decimal("100.00") and inv.remaining == Decimal("80.00")
    assert WalletMovement.objects.filter(kind=WalletMovement.Kind.REVERSAL).count() == 1
    assert Payment.objects.filter(reverses=payment).count() == 1
