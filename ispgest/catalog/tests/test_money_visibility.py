"""A product's price is money (clients.view_money, core.visibility): the catalog API answers
it null to a Técnico, who still reads the products; an Administrador gets it."""

from decimal import Decimal

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import ADMIN, TECHNICIAN
from ispgest.catalog.models import Product

pytestmark = pytest.mark.django_db


def headers(user):
    _token, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def router_product(db):
    return Product.objects.create(name="Router WiFi", price=Decimal("45123.50"))


def test_a_technician_reads_products_without_their_price(client, make_user, router_product):
    auth = headers(make_user(TECHNICIAN))
    listed = client.get("/api/v1/catalog/products", **auth)
    one = client.get(f"/api/v1/catalog/products/{router_product.pk}", **auth)
    assert listed.status_code == one.status_code == 200
    assert [(p["name"], p["price"]) for p in listed.json()["items"]] == [("Router WiFi", None)]
    assert one.json()["price"] is None
    assert b"45123" not in listed.content + one.content


def test_an_administrator_reads_the_price(client, make_user, router_product):
    body = client.get(
        f"/api/v1/catalog/products/{router_product.pk}", **headers(make_user(ADMIN))
    ).json()
    assert body["price"] == "45123.50"


def test_the_openapi_schema_says_the_price_may_be_null(admin_client):
    schema = admin_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "clients.view_money" in schema["ProductOut"]["properties"]["price"]["description"]
