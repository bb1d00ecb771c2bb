"""Plan and package prices follow clients.view_money (core.visibility): a Técnico reads plans,
contracts and packages without any price, in pages and API; an Administrador sees them."""

import re
from datetime import date

import pytest
from django.urls import reverse

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import ADMIN, TECHNICIAN
from ispgest.contracts import services

pytestmark = pytest.mark.django_db

# 9500.00, 12000.00 and 1500.50 however the country writes them ("9.500,00", "9,500.00").
PRICES = ("950000", "1200000", "150050")


def digits(content: bytes) -> str:
    return re.sub(r"[.,\s\xa0\u202f]", "", content.decode())


def headers(user):
    _token, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def installed(subscriber, make_contract, package, admin_user):
    contract = make_contract(subscriber)
    assignment = services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=date(2026, 1, 31)
    )
    return contract, assignment


def _pages(contract):
    client_id = contract.client_id
    return [
        reverse("contracts:plan_list"),
        reverse("contracts:package_list"),
        reverse("contracts:detail", args=[contract.pk]),
        reverse("clients:section", args=[client_id, "tarifas"]),
        reverse("clients:section", args=[client_id, "renovaciones"]),
    ]


def test_a_technician_sees_no_plan_or_package_price_on_any_page(client, make_user, installed):
    contract, assignment = installed
    client.force_login(make_user(TECHNICIAN))
    for url in _pages(contract):
        response = client.get(url)
        assert response.status_code == 200, url
        text = digits(response.content)
        assert "Fibra30Mbps" in text or "Mantenimiento" in text, url
        assert not any(price in text for price in PRICES), url
        assert ">Precio<" not in response.content.decode(), url
    print_url = reverse("contracts:package_assignment_print", args=[assignment.pk])
    assert client.get(print_url).status_code == 403


def test_an_administrator_sees_the_prices(client, make_user, installed):
    contract, _assignment = installed
    client.force_login(make_user(ADMIN))
    seen = "".join(digits(client.get(url).content) for url in _pages(contract))
    assert all(price in seen for price in PRICES)


def test_the_api_gives_a_technician_no_prices(client, make_user, installed):
    contract, _assignment = installed
    auth = headers(make_user(TECHNICIAN))
    responses = [
        client.get("/api/v1/contracts/plans", **auth),
        client.get(f"/api/v1/contracts/plans/{contract.plan_id}", **auth),
        client.get(f"/api/v1/contracts/{contract.pk}/plan-assignments", **auth),
        client.get("/api/v1/contracts/packages", **auth),
        client.get("/api/v1/contracts/package-assignments", **auth),
    ]
    assert [r.status_code for r in responses] == [200] * 5
    plans = responses[0].json()["items"]
    assert plans and all(p["price"] is None for p in plans)
    assert responses[1].json()["price"] is None
    assert [a["price"] for a in responses[2].json()] == [None]
    lines = [line for p in responses[3].json() for line in p["lines"]]
    lines += [line for a in responses[4].json()["items"] for line in a["lines"]]
    assert len(lines) == 4 and all(line["unit_price"] is None for line in lines)
    for response in responses:
        assert not any(price in digits(response.content) for price in ("9500", "12000", "150050"))


def test_the_api_gives_an_administrator_the_prices(client, make_user, installed):
    contract, _assignment = installed
    auth = headers(make_user(ADMIN))
    plan = client.get(f"/api/v1/contracts/plans/{contract.plan_id}", **auth).json()
    assert plan["price"] == "9500.00"
    assignments = client.get(f"/api/v1/contracts/{contract.pk}/plan-assignments", **auth).json()
    assert [a["price"] for a in assignments] == ["9500.00"]
    packages = client.get("/api/v1/contracts/packages", **auth).json()
    assert [line["unit_price"] for line in packages[0]["lines"]] == ["12000.00", "1500.50"]


def test_the_openapi_schema_says_prices_may_be_null(admin_client):
    schemas = admin_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for schema, field in (
        ("PlanOut", "price"),
        ("PlanAssignmentOut", "price"),
        ("PackageLineOut", "unit_price"),
    ):
        assert "clients.view_money" in schemas[schema]["properties"][field]["description"]
