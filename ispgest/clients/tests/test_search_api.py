"""/api/v1/clients list endpoints: filters, cursor pages, mass update and export jobs."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import BILLING, SELLER
from ispgest.catalog.models import Collector, Seller
from ispgest.clients.models import Client

pytestmark = pytest.mark.django_db


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


def headers(user):
    _token, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_it_searches_with_cursor_pages(client, admin_user):
    for i in range(5):
        make(f"Núñez {i}")
    make("Otro")
    auth = headers(admin_user)
    page = client.get("/api/v1/clients", {"q": "núñez", "limit": 3}, **auth).json()
    assert page["count"] == 5 and not page["count_capped"]
    assert [r["name"] for r in page["items"]] == ["Núñez 0", "Núñez 1", "Núñez 2"]
    rest = client.get(
        "/api/v1/clients", {"q": "núñez", "limit": 3, "cursor": page["next_cursor"]}, **auth
    ).json()
    assert [r["name"] for r in rest["items"]] == ["Núñez 3", "Núñez 4"]
    assert rest["next_cursor"] is None


def test_malformed_filters_are_a_422_in_spanish(client, admin_user):
    response = client.get(
        "/api/v1/clients", {"id": "x1", "created_from": "2025-13-01"}, **headers(admin_user)
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) >= {"id", "created_from"}
    response = client.get("/api/v1/clients", {"after": "basura"}, **headers(admin_user))
    assert response.status_code == 422 and "cursor" in response.json()["detail"]


def test_a_seller_token_sees_only_its_clients(client, make_user):
    mine = Seller.objects.create(name="Vera")
    make("Propio", seller=mine)
    make("Ajeno")
    page = client.get("/api/v1/clients", **headers(make_user(SELLER, seller=mine))).json()
    assert [r["name"] for r in page["items"]] == ["Propio"]


def test_mass_update_and_export_through_the_api(client, admin_user, make_user, smtp_server):
    collector = Collector.objects.create(name="Nuevo")
    make("Pérez")
    make("Gómez")
    auth = headers(admin_user)
    response = client.post(
        "/api/v1/clients/mass-update",
        {"filters": {"q": "perez"}, "changes": {"collector": collector.pk}},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert Client.objects.get(name="Pérez").collector == collector
    forbidden = client.post(
        "/api/v1/clients/mass-update",
        {"changes": {"collector": collector.pk}},
        content_type="application/json",
        **headers(make_user(BILLING)),
    )
    assert forbidden.status_code == 403
    response = client.post(
        "/api/v1/clients/export",
        {"filters": {"status": "all"}, "format": "xlsx"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 202
    job = client.get(f"/api/v1/clients/jobs/{response.json()['id']}", **auth).json()
    assert job["status"] in ("pending", "done")
