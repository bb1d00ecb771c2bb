import io
import random

import pytest

from ispgest.catalog import demo
from ispgest.catalog.defaults import install_country_defaults
from ispgest.catalog.models import AllowedInvoiceType, BillingEntity, PointOfSale
from ispgest.core.country import PROFILES, clean_tax_id
from ispgest.core.management.commands.demo_data import DemoContext

pytestmark = pytest.mark.django_db

KEYS = [
    "zone_ids",
    "seller_ids",
    "collector_ids",
    "region_ids",
    "city_ids",
    "neighbourhood_ids",
    "billing_entity_ids",
    "tax_condition_ids",
    "gateway_ids",
    "product_ids",
    "extra_field_ids",
    "payment_method_ids",
]


def _ctx(country: str) -> DemoContext:
    return DemoContext(
        clients=0, seed=1, country=country, rng=random.Random(1), stdout=io.StringIO()
    )


@pytest.mark.parametrize("country", PROFILES)
def test_demo_catalogs_are_realistic_and_a_second_run_changes_nothing(country):
    install_country_defaults(country)
    ctx = _ctx(country)
    demo.generate(ctx)
    assert all(ctx.data[k] for k in KEYS)
    assert len(ctx.data["seller_ids"]) == 5 and len(ctx.data["collector_ids"]) == 4
    legal, fantasy = BillingEntity.objects.filter(pk__in=ctx.data["billing_entity_ids"]).order_by(
        "-kind"
    )
    assert legal.kind == "legal" and fantasy.kind == "fantasy"
    assert clean_tax_id(legal.tax_id, legal.tax_id_kind) == legal.tax_id
    assert PointOfSale.objects.filter(billing_entity=legal).count() == 2
    assert AllowedInvoiceType.objects.filter(billing_entity=fantasy).exists()
    again = _ctx(country)
    demo.generate(again)
    assert {k: sorted(again.data[k]) for k in KEYS} == {k: sorted(ctx.data[k]) for k in KEYS}
