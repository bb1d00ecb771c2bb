"""The overview ("Vista general") runs a fixed number of queries whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ispgest.clients.services import (
    client_event_create,
    client_extra_values_set,
    contact_create,
    gateway_account_set,
    mandate_create,
)

pytestmark = pytest.mark.django_db


def _client_with(make_client, admin_user, cat, n: int):
    c = make_client(zone=cat.zone.pk, region=cat.region.pk, city=cat.city.pk)
    for i in range(n):
        contact_create(actor=admin_user, client=c, data={"name": f"Contacto {i}", "role": "owner"})
        client_event_create(
            actor=admin_user, client=c, data={"entry_type": "call", "summary": f"Llamada {i}"}
        )
    mandate_create(
        actor=admin_user,
        client=c,
        data={"iban": "ES9121000418450200051332", "signed_on": "2026-01-01"},
    )
    gateway_account_set(actor=admin_user, client=c, gateway=cat.gateway, reference=f"R{n}")
    client_extra_values_set(actor=admin_user, client=c, values={cat.antenna.pk: "3"})
    return c


def _count(admin_client, c) -> int:
    url = reverse("clients:detail", args=[c.pk])
    admin_client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_overview_runs_the_same_queries_for_1_and_30_contacts_and_events(
    admin_client, admin_user, cat, make_client
):
    small = _client_with(make_client, admin_user, cat, 1)
    large = _client_with(make_client, admin_user, cat, 30)
    html = admin_client.get(reverse("clients:detail", args=[large.pk])).content.decode()
    assert "Contacto 29" in html and "Llamada 29" in html
    assert _count(admin_client, small) == _count(admin_client, large)
    assert _count(admin_client, large) <= 40  # other apps add their panels
