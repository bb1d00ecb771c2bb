"""The catalog rows a fresh install starts with, from the country profile."""

from decimal import Decimal

from django.db import transaction

from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingCycle,
    InvoiceType,
    LegalKind,
    PaymentMethod,
    PaymentMethodKind,
    Tax,
    TaxCondition,
)
from ispgest.core.country import get_profile

PAYMENT_METHODS = [
    ("Efectivo", PaymentMethodKind.CASH),
    ("Transferencia bancaria", PaymentMethodKind.TRANSFER),
    ("Tarjeta", PaymentMethodKind.CARD),
    ("Domiciliación bancaria", PaymentMethodKind.DIRECT_DEBIT),
    ("Monedero", PaymentMethodKind.WALLET),
]

FANTASY_INVOICE_TYPE = "X"


@transaction.atomic
def install_country_defaults(country: str | None = None) -> None:
    """Create (idempotently) the tax conditions, invoice types, taxes, payment methods and the
    default billing cycle of the country. Allowed invoice types per billing entity are made
    when an entity is created (see allow_default_invoice_types)."""
    profile = get_profile(country)
    for code in (*profile.invoice_types, FANTASY_INVOICE_TYPE):
        fantasy = code == FANTASY_INVOICE_TYPE
        InvoiceType.objects.get_or_create(
            code=code,
            defaults={
                "name": "Comprobante X (sin validez legal)"
                if fantasy
                else f"Factura {code}"
                if len(code) == 1
                else code,
                "kind": LegalKind.FANTASY if fantasy else LegalKind.LEGAL,
            },
        )
    for cond in profile.tax_conditions:
        TaxCondition.objects.get_or_create(
            country=profile.code,
            name=cond.name,
            defaults={
                "kind": LegalKind.LEGAL if cond.legal else LegalKind.FANTASY,
                "tax_exempt": cond.tax_exempt,
            },
        )
    for tax in profile.taxes:
        Tax.objects.get_or_create(
            name=tax.name,
            defaults={"rate": Decimal(tax.rate), "included_in_price": tax.included_in_price},
        )
    for name, kind in PAYMENT_METHODS:
        PaymentMethod.objects.get_or_create(name=name, defaults={"kind": kind})
    if not BillingCycle.objects.filter(is_default=True).exists():
        BillingCycle.objects.get_or_create(
            name="Día 1", defaults={"day_of_month": 1, "days_until_due": 10, "is_default": True}
        )


def allow_default_invoice_types(billing_entity) -> None:
    """Allow, for a new billing entity, the invoice types its country gives each tax condition."""
    profile = get_profile(billing_entity.country)
    for cond in profile.tax_conditions:
        condition = TaxCondition.objects.filter(country=profile.code, name=cond.name).first()
        if condition is None or condition.kind != billing_entity.kind:
            continue
        for code in cond.invoice_types:
            invoice_type = InvoiceType.objects.filter(code=code).first()
            if invoice_type is not None:
                AllowedInvoiceType.objects.get_or_create(
                    billing_entity=billing_entity,
                    tax_condition=condition,
                    invoice_type=invoice_type,
                )
