"""Choices that narrow: region -> city -> neighbourhood, entity -> condition -> invoice type."""

import pytest
from django.urls import reverse
from lxml import html as lxml_html

from ispgest.catalog.models import City, ExtraField, Neighbourhood, Region, TaxCondition

pytestmark = pytest.mark.django_db


def _options(html: str, select_id: str) -> list[str]:
    """The options of a page's select, or of the one a choices answer swaps into it."""
    page = lxml_html.fromstring(html)
    path = f"//select[@id='{select_id}']/option"
    return [o.text_content().strip() for o in page.xpath(path)]


def test_cities_and_neighbourhoods_narrow_to_the_region_and_name_their_city(admin_client, cat):
    other = Region.objects.create(name="Santa Fe")
    rosario = City.objects.create(name="Rosario", region=other)
    Neighbourhood.objects.create(name="Centro", city=rosario)
    url = reverse("clients:choices")
    html = admin_client.get(url, {"group": "place", "region": cat.region.pk}).content.decode()
    assert _options(html, "id_city") == ["---------", "Río Cuarto"]
    html = admin_client.get(
        url, {"group": "place", "region": other.pk, "city": cat.city.pk}
    ).content.decode()
    page = lxml_html.fromstring(html)
    assert not page.xpath(
        "//select[@hx-swap-oob='innerHTML:#id_city']/option[@selected and @value!='']"
    )
    # Two "Centro": each names its city.
    html = admin_client.get(url, {"group": "place"}).content.decode()
    assert {"Centro (Río Cuarto)", "Centro (Rosario)"} <= set(_options(html, "id_neighbourhood"))


def test_conditions_and_invoice_types_offer_only_allowed_combinations(admin_client, cat):
    url = reverse("clients:choices")
    html = admin_client.get(url, {"group": "billing", "billing_entity": cat.fantasy.pk})
    conditions = _options(html.content.decode(), "id_tax_condition")[1:]
    fantasy = set(TaxCondition.objects.filter(kind="fantasy").values_list("name", flat=True))
    assert conditions and set(conditions) <= fantasy
    final = cat.cond["Consumidor Final"]
    html = admin_client.get(
        url, {"group": "billing", "billing_entity": cat.legal.pk, "tax_condition": final.pk}
    ).content.decode()
    types = _options(html, "id_invoice_type")[1:]
    assert types == ["Factura B"]
    form = admin_client.get(reverse("clients:create")).content.decode()
    assert 'hx-get="/clientes/opciones/?group=billing"' in form  # on #billing-fields


def test_the_billing_and_bank_fields_say_when_they_apply(admin_client, cat):
    page = lxml_html.fromstring(admin_client.get(reverse("clients:create")).content.decode())
    billing = page.xpath("//*[@id='billing-fields']")[0]
    assert billing.get("data-reveal-with") == "id_billing_enabled"
    assert billing.xpath(".//select[@id='id_billing_entity']")
    bank = page.xpath("//*[@id='bank-fields']")[0]
    assert bank.get("data-reveal-values").split(",") == [str(cat.direct_debit.pk)]
    assert bank.xpath(".//input[@name='fin-iban']")


def test_mass_update_offers_a_list_extra_field_as_a_select(admin_client, cat):
    tech = ExtraField.objects.create(
        name="Tecnología", field_type="choice", choices="Fibra\nRadio\nCobre"
    )
    resp = admin_client.post(reverse("clients:mass_update"), {"scope": "all"})
    options = _options(resp.content.decode(), f"id_extra_{tech.pk}")
    assert options == ["Sin cambios", "Fibra", "Radio", "Cobre"]
