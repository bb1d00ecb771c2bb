"""The client list page: htmx rows, bookmarkable filters, permissions."""

import pytest
from django.urls import reverse

from ispgest.accounts.roles import COLLECTOR, SELLER
from ispgest.clients.models import Client


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


@pytest.mark.django_db
def test_htmx_requests_get_only_the_rows(admin_client):
    make("Íñigo Zúñiga")
    response = admin_client.get(reverse("clients:list"), {"q": "ZUÑI"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Íñigo Zúñiga" in body and "<html" not in body


@pytest.mark.django_db
def test_the_page_keeps_the_filters_in_the_url_and_escapes_names(admin_client):
    make("<script>alert(1)</script> Pérez")
    response = admin_client.get(reverse("clients:list"), {"q": "perez", "status": "active"})
    body = response.content.decode()
    assert "&lt;script&gt;" in body and "<script>alert" not in body
    assert "q=perez" in body  # export and mass-update links carry the filters


@pytest.mark.django_db
def test_only_staff_with_the_view_permission_see_the_list(client, make_user):
    assert client.get(reverse("clients:list")).status_code == 302
    client.force_login(make_user(None))
    assert client.get(reverse("clients:list")).status_code == 403


@pytest.mark.django_db
def test_mass_update_and_export_pages_check_permissions(client, make_user):
    client.force_login(make_user(SELLER))
    assert client.get(reverse("clients:mass_update")).status_code == 403
    assert client.get(reverse("clients:export")).status_code == 200
    client.force_login(make_user(COLLECTOR))
    assert client.get(reverse("clients:export")).status_code == 403
