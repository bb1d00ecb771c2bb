"""The seller scope (who may see and change which clients) lives in the services, so the
page, the API and mass update obey the same rule: a Vendedor keeps its clients its own."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from ispgest.accounts.models import ApiToken
from ispgest.clients.mass_update import clients_mass_update
from ispgest.clients.models import Client
from ispgest.clients.services import client_create, client_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller_user(make_user, cat):
    return make_user("Vendedor", seller=cat.seller)


def test_the_service_refuses_a_seller_handing_its_client_to_another_seller(
    seller_user, make_client, cat
):
    mine = make_client(seller=cat.seller.pk)
    with pytest.raises(ValidationError) as exc:
        client_update(actor=seller_user, client=mine, data={"seller": cat.other_seller.pk})
    assert "Vendedor" in exc.value.message_dict["seller"][0]
    mine.refresh_from_db()
    assert mine.seller_id == cat.seller.pk


def test_the_service_refuses_a_seller_changing_a_client_it_cannot_see(
    seller_user, make_client, cat
):
    theirs = make_client(seller=cat.other_seller.pk)
    with pytest.raises(PermissionDenied):
        client_update(actor=seller_user, client=theirs, data={"phone": "123"})


def test_a_seller_creating_a_client_gets_it_as_its_own(seller_user, cat):
    created = client_create(actor=seller_user, data={"name": "Mío"})
    assert created.seller_id == cat.seller.pk
    with pytest.raises(ValidationError):
        client_create(actor=seller_user, data={"name": "Ajeno", "seller": cat.other_seller.pk})


def test_billing_staff_may_move_clients_between_sellers(make_user, make_client, cat):
    billing = make_user("Facturación")
    client = make_client(seller=cat.seller.pk)
    client_update(actor=billing, client=client, data={"seller": cat.other_seller.pk})
    client.refresh_from_db()
    assert client.seller_id == cat.other_seller.pk


def test_the_api_patch_cannot_hand_a_client_to_another_seller(
    client, seller_user, make_client, cat
):
    mine = make_client(seller=cat.seller.pk)
    _token, raw = ApiToken.issue(user=seller_user, name="tests")
    r = client.patch(
        f"/api/v1/clients/{mine.pk}",
        data={"seller": cat.other_seller.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 422, r.content
    assert "Vendedor" in r.content.decode()
    mine.refresh_from_db()
    assert mine.seller_id == cat.seller.pk


def test_the_page_cannot_hand_a_client_to_another_seller(client, seller_user, make_client, cat):
    mine = make_client(seller=cat.seller.pk)
    client.force_login(seller_user)
    r = client.get(f"/clientes/{mine.pk}/editar/")
    assert r.status_code == 200
    select = re.search(r'<select name="seller".*?</select>', r.content.decode(), re.S).group(0)
    assert cat.seller.name in select and cat.other_seller.name not in select


def test_mass_update_refuses_a_scoped_user_moving_clients_to_another_seller(
    seller_user, make_client, cat
):
    seller_user.user_permissions.add(Permission.objects.get(codename="mass_update_client"))
    seller_user = type(seller_user).objects.get(pk=seller_user.pk)
    mine = make_client(seller=cat.seller.pk)
    with pytest.raises(ValidationError) as exc:
        clients_mass_update(
            actor=seller_user, targets=[mine.pk], changes={"seller": cat.other_seller.pk}
        )
    assert "seller" in exc.value.message_dict
    theirs = make_client(seller=cat.other_seller.pk)
    with pytest.raises(PermissionDenied):
        clients_mass_update(actor=seller_user, targets=[theirs.pk], changes={"zone": cat.zone.pk})
    assert set(Client.objects.values_list("seller_id", flat=True)) == {
        cat.seller.pk,
        cat.other_seller.pk,
    }
