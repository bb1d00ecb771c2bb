"""The server errors a fuzzing run found, each kept as a test of its root fix (the limit/
offset bounds, control characters and the LineOut schema name are in test_conventions.py)."""

from datetime import date
from decimal import Decimal

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.contracts.models import Equipment, Plan

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


@pytest.fixture
def api(client, admin_user):
    _token, raw = ApiToken.issue(user=admin_user, name="fuzz")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def _error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "field", "errors"}
    if field:
        assert body["field"] == field, body
    return body


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_null_plan_name_or_description_is_a_spanish_422(api, field):
    plan = Plan.objects.create(name="Fibra", price=Decimal("10.00"), description="x")
    response = api.patch(
        f"{BASE}/contracts/plans/{plan.pk}", {field: None}, content_type="application/json"
    )
    assert response.status_code in (200, 422), response.content
    plan.refresh_from_db()
    if response.status_code == 422:
        _error(response, 422, field)
        assert plan.name == "Fibra" and plan.description == "x"
    else:
        assert field == "description" and plan.description == ""


def test_a_mass_update_with_a_non_numeric_extra_key_is_a_spanish_422(api):
    response = api.post(
        f"{BASE}/clients/mass-update",
        {"changes": {}, "extra": {"abc": "1"}},
        content_type="application/json",
    )
    body = _error(response, 422)
    assert "extra" in (body["field"] or "") or "Campo extra" in body["detail"]


def test_a_credit_note_of_1e30_is_a_spanish_422(api):
    from ispgest.billing import services
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.factories import make_client, setup_billing

    invoice = services.document_create(
        actor=None,
        client=make_client(setup_billing()),
        lines=[LineInput("Alta", "1", "100")],
        notify=False,
    )
    response = api.post(
        f"{BASE}/billing/invoices/{invoice.pk}/credit-notes",
        {"amount": "1e30", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"]


def test_equipment_moved_to_a_contract_that_does_not_exist_is_a_spanish_422(api):
    from ispgest.clients.models import Client

    client = Client(name="Eq")
    client.refresh_search_fields()
    client.save()
    equipment = Equipment.objects.create(
        client=client, description="ONU", installed_on=date(2026, 1, 1)
    )
    response = api.patch(
        f"{BASE}/contracts/equipment/{equipment.pk}",
        {"contract": 999999},
        content_type="application/json",
    )
    assert response.status_code in (404, 422), response.content
    _error(response, response.status_code)
    equipment.refresh_from_db()
    assert equipment.contract_id is None


@pytest.mark.parametrize(
    "url",
    [
        "/contracts/equipment?client=-975527045810031554481358897152",
        "/contracts/package-assignments?client=-975527045810031554481358897152",
        "/contracts/signed-documents?client=-975527045810031554481358897152",
        "/billing/payments?client_id=-975527045810031554481358897152",
        "/billing/payments?client_id=9223372036854775808",
    ],
)
def test_a_filter_by_an_id_no_column_holds_is_an_empty_page(api, url):
    response = api.get(BASE + url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["items"] == []
