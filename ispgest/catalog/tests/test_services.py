from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ispgest.catalog import services
from ispgest.catalog.defaults import install_country_defaults
from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingCycle,
    BillingEntity,
    ExtraField,
    PaymentGateway,
    PaymentMethod,
    Product,
    Tax,
    TaxCondition,
    Zone,
)

pytestmark = pytest.mark.django_db


def _create(model, **data):
    return services.catalog_row_create(actor=None, model=model, data=data)


def _errors(exc) -> dict:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


def test_a_legal_entity_needs_a_valid_tax_id_stored_compact():
    install_country_defaults("AR")
    with pytest.raises(ValidationError) as exc:
        _create(BillingEntity, name="Red Sur SRL", kind="legal", country="AR", tax_id="")
    assert "CUIT" in _errors(exc)["tax_id"]
    entity = _create(
        BillingEntity, name="Red Sur SRL", kind="legal", country="AR", tax_id="30-50001091-2"
    )
    assert entity.tax_id == "30500010912" and entity.tax_id_kind == "CUIT"
    assert AllowedInvoiceType.objects.filter(billing_entity=entity).count() == 5


def test_a_fantasy_entity_may_have_no_tax_id_and_gets_only_fantasy_types():
    install_country_defaults("AR")
    entity = _create(BillingEntity, name="Red Sur X", kind="fantasy", country="AR")
    allowed = AllowedInvoiceType.objects.filter(billing_entity=entity).select_related(
        "invoice_type", "tax_condition"
    )
    assert [(a.tax_condition.name, a.invoice_type.code) for a in allowed] == [
        ("Sin factura legal", "X")
    ]


def test_an_entity_tax_id_kind_must_belong_to_its_country():
    with pytest.raises(ValidationError) as exc:
        _create(
            BillingEntity,
            name="Red",
            kind="legal",
            country="AR",
            tax_id_kind="NIF",
            tax_id="B58378431",
        )
    assert "tax_id_kind" in exc.value.message_dict


def test_sepa_creditor_id_iban_and_bic_are_checked():
    install_country_defaults("ES")
    base = {"name": "Ondas SL", "kind": "legal", "country": "ES", "tax_id": "B58378431"}
    with pytest.raises(ValidationError) as exc:
        _create(BillingEntity, **base, sepa_creditor_id="ES24ZZZ47690558N")
    assert "acreedor SEPA" in _errors(exc)["sepa_creditor_id"]
    with pytest.raises(ValidationError) as exc:
        _create(BillingEntity, **base, iban="ES9121000418450200051333")
    assert "IBAN" in _errors(exc)["iban"]
    with pytest.raises(ValidationError) as exc:
        _create(BillingEntity, **base, bic="CAIXES")
    assert "BIC" in _errors(exc)["bic"]
    assert not BillingEntity.objects.exists()
    entity = _create(
        BillingEntity,
        **base,
        sepa_creditor_id="ES23 ZZZ 47690558N",
        iban="ES91 2100 0418 4502 0005 1332",
        bic="CAIXESBBXXX",
    )
    assert entity.sepa_creditor_id == "ES23ZZZ47690558N"
    assert entity.iban == "ES9121000418450200051332"


def test_the_kind_of_a_condition_in_use_cannot_change():
    install_country_defaults("AR")
    entity = _create(BillingEntity, name="Red", kind="legal", country="AR", tax_id="30500010912")
    ri = TaxCondition.objects.get(name="Responsable Inscripto")
    assert AllowedInvoiceType.objects.filter(billing_entity=entity, tax_condition=ri).exists()
    with pytest.raises(ValidationError) as exc:
        services.catalog_row_update(actor=None, instance=ri, data={"kind": "fantasy"})
    assert "kind" in exc.value.message_dict
    ri.refresh_from_db()
    assert ri.kind == "legal"


def test_changing_an_unused_entity_kind_replaces_its_allowed_types():
    install_country_defaults("AR")
    entity = _create(BillingEntity, name="Red", kind="legal", country="AR", tax_id="30500010912")
    services.catalog_row_update(actor=None, instance=entity, data={"kind": "fantasy"})
    codes = set(
        AllowedInvoiceType.objects.filter(billing_entity=entity).values_list(
            "invoice_type__code", flat=True
        )
    )
    assert codes == {"X"}


def test_a_gateway_payment_method_needs_its_gateway():
    with pytest.raises(ValidationError) as exc:
        _create(PaymentMethod, name="Mercado Pago", kind="gateway", gateway=None)
    assert "pasarela" in _errors(exc)["gateway"]
    gateway = _create(PaymentGateway, name="Mercado Pago", code="mercadopago")
    method = _create(PaymentMethod, name="Mercado Pago", kind="gateway", gateway=gateway.pk)
    assert method.gateway == gateway
    with pytest.raises(ValidationError) as exc:
        _create(PaymentMethod, name="Caja", kind="cash", gateway=gateway)
    assert "gateway" in exc.value.message_dict


def test_one_default_billing_cycle_moves_and_cannot_be_deactivated():
    first = _create(BillingCycle, name="Día 1", day_of_month=1, is_default=True)
    second = _create(BillingCycle, name="Día 15", day_of_month=15, is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    with pytest.raises(ValidationError):
        services.catalog_row_set_active(actor=None, instance=second, active=False)
    with pytest.raises(ValidationError) as exc:
        services.catalog_row_update(actor=None, instance=second, data={"is_default": False})
    assert "is_default" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _create(BillingCycle, name="Día 30", day_of_month=30)
    assert "day_of_month" in exc.value.message_dict


def test_a_choice_extra_field_needs_choices_and_others_none():
    with pytest.raises(ValidationError) as exc:
        _create(ExtraField, name="Tipo de antena", field_type="choice", choices=" \n ")
    assert "choices" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _create(ExtraField, name="Piso", field_type="number", choices="1\n2")
    field = _create(ExtraField, name="Tipo de antena", field_type="choice", choices="Sí\n\n No ")
    assert field.choice_list == ["Sí", "No"]


def test_deactivation_keeps_the_row_and_hides_it_from_active_lists():
    zone = _create(Zone, name="Norte")
    services.catalog_row_set_active(actor=None, instance=zone, active=False)
    assert Zone.objects.filter(pk=zone.pk, active=False).exists()
    from ispgest.catalog.registry import BY_KEY
    from ispgest.catalog.selectors import active_choices, catalog_rows

    assert list(catalog_rows(BY_KEY["zone"])) == []
    assert list(active_choices(Zone)) == []
    assert list(active_choices(Zone, keep=zone.pk)) == [zone]


def test_an_unknown_field_is_refused():
    with pytest.raises(ValidationError):
        _create(Zone, name="Norte", active=False)


def test_product_price_is_decimal_and_not_negative():
    tax = Tax.objects.create(name="IVA 21%", rate=Decimal("21"))
    with pytest.raises(ValidationError) as exc:
        _create(Product, name="Router", price=Decimal("-1"), tax=tax)
    assert "price" in exc.value.message_dict
    product = _create(Product, name="Router AX3000", price=Decimal("45999.90"), tax=tax.pk)
    product.refresh_from_db()
    assert product.price == Decimal("45999.90")


def test_points_of_sale_are_unique_per_entity_and_only_for_legal_entities():
    install_country_defaults("AR")
    legal = _create(BillingEntity, name="Red", kind="legal", country="AR", tax_id="30500010912")
    fantasy = _create(BillingEntity, name="Red X", kind="fantasy", country="AR")
    services.point_of_sale_create(actor=None, billing_entity=legal, number=1, name="Casa central")
    with pytest.raises(ValidationError):
        services.point_of_sale_create(actor=None, billing_entity=legal, number=1)
    with pytest.raises(ValidationError):
        services.point_of_sale_create(actor=None, billing_entity=fantasy, number=1)
