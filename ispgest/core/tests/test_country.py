"""Each country profile: default catalog rows with real values, tax ids, money and dates."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingCycle,
    BillingEntity,
    InvoiceType,
    PaymentMethod,
    Tax,
    TaxCondition,
)
from ispgest.core.country import PROFILES, clean_tax_id, format_tax_id, get_profile

# country -> (tax conditions, legal invoice type codes, {tax name: rate}, valid tax id,
#             same id with a wrong check digit, tax-id kind, money 1234567.5, 31 Dec 2026)
EXPECTED = {
    "AR": (
        {"Responsable Inscripto", "Monotributista", "Consumidor Final", "Exento"},
        {"A", "B", "C"},
        {"IVA 21%": "21.000", "IVA 27%": "27.000", "IVA 10,5%": "10.500"},
        "20-26756539-3",
        "20-26756539-4",
        "CUIT",
        "$ 1.234.567,50",
        "31/12/2026",
    ),
    "CO": (
        {"Responsable de IVA", "No responsable de IVA"},
        {"Factura electrónica de venta"},
        {"IVA 19%": "19.000", "IVA 5%": "5.000"},
        "860007386-1",
        "860007386-2",
        "NIT",
        "$ 1.234.567,50",
        "31/12/2026",
    ),
    "EC": (
        {
            "Obligado a llevar contabilidad",
            "No obligado a llevar contabilidad",
            "Consumidor final",
        },
        {"Factura"},
        {"IVA 15%": "15.000", "IVA 0%": "0.000"},
        "1790011674001",
        "1790011675001",
        "RUC",
        "$ 1.234.567,50",
        "31/12/2026",
    ),
    "MX": (
        {
            "601 General de Ley Personas Morales",
            "612 Personas Físicas con Actividades Empresariales",
            "626 Régimen Simplificado de Confianza",
            "616 Sin obligaciones fiscales",
        },
        {"CFDI Ingreso"},
        {"IVA 16%": "16.000", "IVA 8% frontera": "8.000"},
        "GODE561231GR8",
        "GODE561231GR9",
        "RFC",
        "$ 1,234,567.50",
        "31/12/2026",
    ),
    "ES": (
        {"Régimen general", "Recargo de equivalencia", "Exento"},
        {"Factura completa", "Factura simplificada"},
        {"IVA 21%": "21.000", "IVA 10%": "10.000", "IVA 4%": "4.000"},
        "B58378431",
        "B58378432",
        "NIF",
        "1.234.567,50 €",
        "31/12/2026",
    ),
    "OTHER": (
        {"General"},
        {"Factura"},
        {"Impuesto 0%": "0.000"},
        "TAX-12345",
        None,  # no check digit is known for "other"
        "OTHER",
        "$ 1,234,567.50",
        "2026-12-31",
    ),
}


def test_every_profile_is_covered():
    assert set(PROFILES) == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("code", EXPECTED)
def test_it_installs_the_country_defaults_idempotently(code):
    conditions, invoice_types, taxes, *_rest = EXPECTED[code]
    install_country_defaults(code)
    install_country_defaults(code)  # a second run adds nothing
    legal = set(
        TaxCondition.objects.filter(country=code, kind="legal").values_list("name", flat=True)
    )
    assert legal == conditions
    assert TaxCondition.objects.filter(country=code, kind="fantasy").count() == 1
    codes = set(InvoiceType.objects.filter(kind="legal").values_list("code", flat=True))
    assert codes == invoice_types
    assert InvoiceType.objects.get(code="X").kind == "fantasy"
    assert {t.name: str(t.rate) for t in Tax.objects.all()} == taxes
    assert PaymentMethod.objects.count() == 5
    assert BillingCycle.objects.filter(is_default=True).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("code", EXPECTED)
def test_a_new_legal_entity_may_issue_a_legal_type_to_every_legal_condition(code):
    conditions, _types, _taxes, tax_id, _bad, kind, *_ = EXPECTED[code]
    install_country_defaults(code)
    entity = BillingEntity.objects.create(
        name="ISP", kind="legal", country=code, tax_id=tax_id, tax_id_kind=kind
    )
    allow_default_invoice_types(entity)
    covered = set(
        AllowedInvoiceType.objects.filter(billing_entity=entity).values_list(
            "tax_condition__name", flat=True
        )
    )
    assert covered == conditions


@pytest.mark.parametrize("code", EXPECTED)
def test_a_valid_tax_id_passes_and_a_wrong_check_digit_is_refused(code):
    *_, tax_id, bad, kind, _money, _date = EXPECTED[code]
    compact = clean_tax_id(tax_id, kind)
    assert compact.isalnum()
    assert format_tax_id(compact, kind)
    if bad is None:
        with pytest.raises(ValidationError):
            clean_tax_id("X" * 21, kind)
        return
    with pytest.raises(ValidationError) as exc:
        clean_tax_id(bad, kind, field="cuit")
    assert "dígito verificador" in exc.value.message_dict["cuit"][0]


@pytest.mark.parametrize("code", EXPECTED)
def test_money_and_dates_use_the_country_format(code):
    *_, money, day = EXPECTED[code]
    profile = get_profile(code)
    assert profile.format_money(Decimal("1234567.5")) == money
    assert profile.format_date(date(2026, 12, 31)) == day


def test_money_rounds_half_up_and_keeps_the_sign():
    ar = get_profile("AR")
    assert ar.format_money(Decimal("0.005")) == "$ 0,01"
    assert ar.format_money(Decimal("-1500")) == "-$ 1.500,00"
    assert ar.format_money(None) == ""


def test_an_unknown_country_falls_back_to_other():
    assert get_profile("ZZ").code == "OTHER"
