"""Catalog rows the client tests build on (Argentina unless a test says otherwise)."""

from datetime import date

import pytest

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    City,
    ExtraField,
    InvoiceType,
    LegalKind,
    Neighbourhood,
    PaymentGateway,
    PaymentMethod,
    Region,
    Seller,
    TaxCondition,
    Zone,
)

VALID_CUIT = "20-26756539-3"
BAD_CUIT = "20-26756539-4"
VALID_IBAN = "ES91 2100 0418 4502 0005 1332"
BAD_IBAN = "ES92 2100 0418 4502 0005 1332"


class Cat:
    """Namespace of catalog rows."""


@pytest.fixture
def cat(db, settings):
    settings.ISPGEST_COUNTRY = "AR"
    install_country_defaults("AR")
    c = Cat()
    c.legal = BillingEntity.objects.create(
        name="Red Sur SRL", kind=LegalKind.LEGAL, country="AR", tax_id="30500010912"
    )
    c.fantasy = BillingEntity.objects.create(name="Red Sur X", kind=LegalKind.FANTASY, country="AR")
    allow_default_invoice_types(c.legal)
    allow_default_invoice_types(c.fantasy)
    c.cond = {t.name: t for t in TaxCondition.objects.filter(country="AR")}
    c.types = {t.code: t for t in InvoiceType.objects.all()}
    c.default_cycle = BillingCycle.objects.get(is_default=True)
    c.cycle15 = BillingCycle.objects.create(name="Día 15", day_of_month=15)
    c.region = Region.objects.create(name="Córdoba")
    c.city = City.objects.create(name="Río Cuarto", region=c.region)
    c.hood = Neighbourhood.objects.create(name="Centro", city=c.city)
    c.zone = Zone.objects.create(name="Norte")
    c.seller = Seller.objects.create(name="Ana Vendedora")
    c.other_seller = Seller.objects.create(name="Otro Vendedor")
    c.direct_debit = PaymentMethod.objects.get(kind="direct_debit")
    c.cash = PaymentMethod.objects.get(kind="cash")
    c.gateway = PaymentGateway.objects.create(name="Mercado Pago", code="mercadopago")
    c.antenna = ExtraField.objects.create(name="Altura de antena", field_type="number")
    c.plan_date = ExtraField.objects.create(name="Fecha de visita", field_type="date")
    return c


@pytest.fixture
def natural_data(cat):
    return {
        "person_type": "natural",
        "first_name": "María",
        "first_surname": "González",
        "second_surname": "Pérez",
        "email": "maria@example.com",
        "phone": "0351 555-1234",
        "region": cat.region.pk,
        "city": cat.city.pk,
        "neighbourhood": cat.hood.pk,
        "zone": cat.zone.pk,
        "seller": cat.seller.pk,
        "address": "Av. Siempreviva 742",
        "billing_enabled": True,
        "billing_entity": cat.legal.pk,
        "tax_condition": cat.cond["Consumidor Final"].pk,
        "invoice_type": cat.types["B"].pk,
        "tax_id": VALID_CUIT,
    }


@pytest.fixture
def mandate_data():
    return {
        "account_holder": "María González",
        "iban": VALID_IBAN,
        "bic": "CAIXESBBXXX",
        "mandate_reference": "MAND-0001",
        "signed_on": date(2026, 1, 10),
    }


@pytest.fixture
def make_client(cat, admin_user):
    from ispgest.clients.services import client_create

    counter = {"n": 0}

    def _make(**data):
        counter["n"] += 1
        base = {"name": f"Cliente {counter['n']}", "seller": cat.seller.pk}
        base.update(data)
        return client_create(actor=admin_user, data=base)

    return _make
