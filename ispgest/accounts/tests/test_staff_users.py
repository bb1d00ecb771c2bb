import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from ispgest.accounts.models import User
from ispgest.accounts.roles import ADMIN, BILLING, COLLECTOR, SELLER
from ispgest.catalog.models import Collector, Seller

pytestmark = pytest.mark.django_db


def _form(**extra):
    data = {
        "username": "vera",
        "first_name": "Vera",
        "last_name": "Núñez",
        "email": "vera@isp.test",
        "role": SELLER,
        "password": "una-clave-larga-2026",
    }
    data.update(extra)
    return data


def test_the_form_labels_every_field(admin_client):
    body = admin_client.get(reverse("catalog:user_create")).content.decode()
    for name in ("username", "first_name", "last_name", "email", "role", "seller", "password"):
        assert f'for="id_{name}"' in body


def test_an_admin_creates_a_seller_user_linked_to_its_seller(admin_client):
    seller = Seller.objects.create(name="Martín Gómez")
    resp = admin_client.post(reverse("catalog:user_create"), _form(seller=seller.pk))
    assert resp.status_code == 302
    user = User.objects.get(username="vera")
    assert user.seller == seller and user.has_role(SELLER) and not user.has_role(ADMIN)
    assert identify_hasher(user.password).algorithm == "argon2"
    listing = admin_client.get(reverse("catalog:user_list")).content.decode()
    assert "Martín Gómez" in listing and "Vendedor" in listing


def test_a_seller_link_needs_the_seller_role(admin_client):
    seller = Seller.objects.create(name="Martín Gómez")
    resp = admin_client.post(reverse("catalog:user_create"), _form(role=BILLING, seller=seller.pk))
    assert resp.status_code == 200
    assert "Solo un usuario con rol Vendedor" in resp.content.decode()
    assert not User.objects.filter(username="vera").exists()


def test_a_weak_password_is_refused(admin_client):
    resp = admin_client.post(reverse("catalog:user_create"), _form(password="123"))
    assert resp.status_code == 200
    assert not User.objects.filter(username="vera").exists()


def test_an_admin_changes_role_and_link(admin_client, make_user):
    user = make_user(SELLER, username="raul")
    collector = Collector.objects.create(name="Raúl Ibáñez")
    resp = admin_client.post(
        reverse("catalog:user_update", args=[user.pk]),
        {
            "first_name": "Raúl",
            "last_name": "Ibáñez",
            "email": "",
            "role": COLLECTOR,
            "collector": collector.pk,
        },
    )
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.collector == collector and user.has_role(COLLECTOR) and not user.has_role(SELLER)


def test_an_admin_cannot_deactivate_themself(admin_client, admin_user):
    admin_client.post(reverse("catalog:user_deactivate", args=[admin_user.pk]), follow=True)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_other_roles_cannot_manage_users(client, make_user):
    client.force_login(make_user(BILLING))
    assert client.get(reverse("catalog:user_list")).status_code == 403
    assert client.post(reverse("catalog:user_create"), _form()).status_code == 403
    assert not User.objects.filter(username="vera").exists()
