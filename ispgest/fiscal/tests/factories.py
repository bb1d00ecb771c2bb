"""Test data for the fiscal layer: a Spanish legal billing entity under VERI*FACTU and its
clients (valid NIFs), on top of billing's factories."""

from __future__ import annotations

import itertools
from decimal import Decimal

from ispgest.billing.tests.factories import cycle, make_contract, make_plan, tax  # noqa: F401
from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import (
    BillingEntity,
    FiscalRegime,
    InvoiceType,
    LegalKind,
    PointOfSale,
    TaxCondition,
)
from ispgest.clients.models import Client

ISSUER_NIF = "B12345674"
DNIS = ["12345678Z", "87654321X", "00000000T", "11111111H", "22222222J", "33333333P"]
_n = itertools.count(1)


def spanish_entity(*, regime=FiscalRegime.VERIFACTU, nif=ISSUER_NIF, name="Red Norte S.L."):
    install_country_defaults("ES")
    entity = BillingEntity.objects.create(
        name=name,
        kind=LegalKind.LEGAL,
        tax_id=nif,
        tax_id_kind="NIF",
        country="ES",
        address="Calle Mayor 1, Madrid",
        fiscal_regime=regime,
    )
    allow_default_invoice_types(entity)
    PointOfSale.objects.create(billing_entity=entity, number=1, name="Central")
    return entity


def iva21():
    return tax("IVA 21%", "21.00", included=False)


def spanish_client(entity, *, tax_id=None, simplified=False, day=1, **extra) -> Client:
    n = next(_n)
    code = "Factura simplificada" if simplified else "Factura completa"
    return Client.objects.create(
        name=extra.pop("name", f"Cliente Español {n}"),
        address=f"Calle {n}, Madrid",
        billing_enabled=True,
        billing_entity=entity,
        tax_condition=TaxCondition.objects.get(country="ES", name="Régimen general"),
        invoice_type=InvoiceType.objects.get(code=code),
        billing_tax=extra.pop("billing_tax", iva21()),
        billing_cycle=cycle(day),
        tax_id=DNIS[n % len(DNIS)] if tax_id is None else tax_id,
        tax_id_kind="NIF",
        **extra,
    )


def plan(price="30.00"):
    return make_plan(price=price)


def money(value) -> Decimal:
    return Decimal(value)
