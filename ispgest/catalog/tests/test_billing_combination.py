import pytest
from django.core.exceptions import ValidationError

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import BillingEntity, InvoiceType, LegalKind, TaxCondition
from ispgest.catalog.services import check_billing_combination

pytestmark = pytest.mark.django_db


@pytest.fixture
def ar():
    install_country_defaults("AR")
    legal = BillingEntity.objects.create(name="Red Sur SRL", kind=LegalKind.LEGAL, country="AR")
    fantasy = BillingEntity.objects.create(name="Red Sur X", kind=LegalKind.FANTASY, country="AR")
    allow_default_invoice_types(legal)
    allow_default_invoice_types(fantasy)
    cond = {c.name: c for c in TaxCondition.objects.filter(country="AR")}
    types = {t.code: t for t in InvoiceType.objects.all()}
    return legal, fantasy, cond, types


def test_it_accepts_an_allowed_legal_combination(ar):
    legal, _fantasy, cond, types = ar
    check_billing_combination(legal, cond["Responsable Inscripto"], types["A"])
    check_billing_combination(legal, cond["Consumidor Final"], types["B"])


def test_it_accepts_a_fantasy_entity_with_a_fantasy_condition(ar):
    _legal, fantasy, cond, types = ar
    check_billing_combination(fantasy, cond["Sin factura legal"], types["X"])


def test_it_refuses_a_fantasy_condition_with_a_legal_entity(ar):
    legal, _fantasy, cond, _types = ar
    with pytest.raises(ValidationError) as exc:
        check_billing_combination(legal, cond["Sin factura legal"], None)
    assert "tax_condition" in exc.value.error_dict
    assert "fantasía" in exc.value.messages[0]


def test_it_refuses_a_legal_condition_with_a_fantasy_entity(ar):
    _legal, fantasy, cond, _types = ar
    with pytest.raises(ValidationError) as exc:
        check_billing_combination(fantasy, cond["Consumidor Final"], None)
    assert list(exc.value.error_dict) == ["tax_condition"]


def test_it_refuses_an_invoice_type_the_pair_does_not_allow(ar):
    legal, _fantasy, cond, types = ar
    with pytest.raises(ValidationError) as exc:
        check_billing_combination(legal, cond["Consumidor Final"], types["A"])
    assert list(exc.value.error_dict) == ["invoice_type"]
    assert "no emite" in exc.value.messages[0]


def test_it_refuses_an_invoice_type_without_entity_and_condition(ar):
    _legal, _fantasy, _cond, types = ar
    with pytest.raises(ValidationError) as exc:
        check_billing_combination(None, None, types["A"])
    assert list(exc.value.error_dict) == ["invoice_type"]


def test_it_accepts_missing_values_without_invoice_type(ar):
    legal, _fantasy, cond, _types = ar
    check_billing_combination(None, None, None)
    check_billing_combination(legal, None, None)
    check_billing_combination(None, cond["Exento"], None)
