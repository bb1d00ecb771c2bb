"""/api/v1/portal/: regenerate a portal password with the key button's rules."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.clients.models import Client
from ispgest.portal.models import PortalAccount

pytestmark = pytest.mark.django_db


def _token(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user=user, name='t')[1]}"}


def test_it_regenerates_through_the_api_without_returning_the_password(
    client, admin_user, alice, smtp_server, django_capture_on_commit_callbacks
):
    url = f"/api/v1/portal/accounts/{alice.client.pk}/regenerate-password"
    before = alice.account.password
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, **_token(admin_user))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["client"] == alice.client.pk and body["has_password"] is True
    assert "password" not in body
    assert PortalAccount.objects.get(client=alice.client).password != before
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == [alice.client.email]


def test_it_refuses_a_client_without_email_in_the_one_error_shape(client, admin_user, alice):
    Client.objects.filter(pk=alice.client.pk).update(email=None)
    url = f"/api/v1/portal/accounts/{alice.client.pk}/regenerate-password"
    response = client.post(url, **_token(admin_user))
    assert response.status_code == 422
    assert response.json()["field"] == "email"


def test_a_collector_gets_403_and_a_sellers_foreign_client_404(client, make_user, alice):
    url = f"/api/v1/portal/accounts/{alice.client.pk}/regenerate-password"
    assert client.post(url, **_token(make_user("Recaudador"))).status_code == 403
    assert client.post(url, **_token(make_user("Vendedor"))).status_code == 404


def test_it_reads_the_portal_access(client, admin_user, alice):
    response = client.get(f"/api/v1/portal/accounts/{alice.client.pk}", **_token(admin_user))
    assert response.status_code == 200
    assert response.json()["login_email"] == alice.client.email
