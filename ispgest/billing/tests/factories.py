"""Test data for billing: a configured billing entity, clients with billing on, contracts."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    InvoiceType,
    LegalKind,
    PaymentMethod,
    PointOfSale,
    Tax,
    TaxCondition,
)
from ispgest.clients.models import BankMandate, Client
from ispgest.contracts.models import Contract, ContractStatus, Plan, PlanAssignment

_n = itertools.count(1)


def setup_billing(country: str = "AR"):
    install_country_defaults(country)
    entity = BillingEntity.objects.create(
        name="Red Sur S.A.",
        kind=LegalKind.LEGAL,
        tax_id="30500010912",
        tax_id_kind="CUIT",
        country=country,
        address="Av. Siempre Viva 742",
        sepa_creditor_id="ES79ZZZ12345678",
        iban="ES9121000418450200051332",
        bic="CAIXESBBXXX",
    )
    allow_default_invoice_types(entity)
    PointOfSale.objects.create(billing_entity=entity, number=3, name="Central")
    return entity


def tax(name="IVA 21%", rate="21.00", included=True) -> Tax:
    row, _ = Tax.objects.get_or_create(
        name=name, defaults={"rate": Decimal(rate), "included_in_price": included}
    )
    row.rate, row.included_in_price = Decimal(rate), included
    row.save()
    return row


def cycle(day: int = 1) -> BillingCycle:
    row = BillingCycle.objects.filter(day_of_month=day).first()
    return row or BillingCycle.objects.create(name=f"Día {day}", day_of_month=day)


def make_client(entity, *, email=None, notify="", billing_tax=None, day=1, condition=None, **extra):
    n = next(_n)
    condition = condition or TaxCondition.objects.get(name="Consumidor Final")
    client = Client.objects.create(
        name=extra.pop("name", f"Cliente {n}"),
        email=email,
        notify_emails=notify,
        address=f"Calle {n} 100",
        billing_enabled=True,
        billing_entity=entity,
        tax_condition=condition,
        invoice_type=extra.pop("invoice_type", None) or InvoiceType.objects.get(code="B"),
        billing_tax=billing_tax,
        billing_cycle=cycle(day),
        tax_id="20123456786",
        tax_id_kind="CUIT",
        **extra,
    )
    return client


def make_plan(price="1000.00", name=None, tax=None) -> Plan:
    return Plan.objects.create(name=name or f"Plan {next(_n)}", price=Decimal(price), tax=tax)


def make_contract(
    client, plan, *, start=date(2026, 1, 1), status=ContractStatus.ACTIVE, price=None, end=None
):
    contract = Contract.objects.create(
        client=client,
        plan=plan,
        status=status,
        address=client.address or "x",
        start_date=start,
        end_date=end,
    )
    PlanAssignment.objects.create(
        contract=contract, plan=plan, price=Decimal(price or plan.price), start_date=start
    )
    return contract


def method(kind: str) -> PaymentMethod:
    return PaymentMethod.objects.filter(kind=kind).first()


def mandate(client, iban="ES7620770024003102575766", ref=None, signed=date(2025, 6, 1)):
    return BankMandate.objects.create(
        client=client,
        account_holder=client.name,
        iban=iban,
        bic="CAIXESBBXXX",
        mandate_reference=ref or f"MANDATO-{client.pk}",
        signed_on=signed,
    )
