import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.urls import reverse

from ispgest.accounts.models import ApiToken, User
from ispgest.accounts.roles import SELLER

pytestmark = pytest.mark.django_db

PASSWORD = "secreto-123456"


def test_the_login_page_is_in_spanish_with_labelled_fields(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="es">' in body
    assert "Iniciar sesión" in body
    assert '<label class="form-label" for="id_username">Usuario</label>' in body
    assert '<label class="form-label" for="id_password">Contraseña</label>' in body


def test_a_user_logs_in_and_out(client, admin_user):
    resp = client.post(reverse("accounts:login"), {"username": "jefa", "password": PASSWORD})
    assert resp.status_code == 302 and resp.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    resp = client.post(reverse("accounts:logout"))
    assert resp.status_code == 302 and resp.url == reverse("accounts:login")
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_in_spanish(client, admin_user):
    resp = client.post(reverse("accounts:login"), {"username": "jefa", "password": "nope"})
    assert resp.status_code == 200
    assert "Por favor, introduzca un nombre de usuario y clave correctos" in resp.content.decode()


def test_passwords_are_hashed_with_argon2(admin_user):
    assert identify_hasher(admin_user.password).algorithm == "argon2"


def test_repeated_failures_lock_the_account_with_a_spanish_page(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "jefa", "password": "mal"})
    resp = client.post(reverse("accounts:login"), {"username": "jefa", "password": PASSWORD})
    assert resp.status_code == 429  # Too Many Requests, django-axes' default
    assert "Demasiados intentos fallidos" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_chooses_english_and_pages_come_out_in_english(client, admin_user):
    client.force_login(admin_user)
    assert "Mi perfil" in client.get(reverse("accounts:profile")).content.decode()
    resp = client.post(reverse("accounts:profile"), {"lang-language": "en"})
    assert resp.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.language == "en"
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "My profile" in body and '<html lang="en">' in body
    catalog = client.get(reverse("catalog:index")).content.decode()
    assert "Catalogs" in catalog and "Zones" in catalog and "Sign out" in catalog
    # A new session picks the saved choice up at login.
    client.logout()
    client.cookies.clear()
    client.post(reverse("accounts:login"), {"username": "jefa", "password": PASSWORD})
    assert "My profile" in client.get(reverse("accounts:profile")).content.decode()


def test_a_token_is_created_from_the_profile_shown_once_and_revoked(client, make_user):
    user = make_user(SELLER)
    client.force_login(user)
    resp = client.post(reverse("accounts:profile"), {"token-name": "Integración"})
    body = resp.content.decode()
    token = ApiToken.objects.get(user=user)
    raw = body.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]
    assert raw.startswith(token.prefix) and token.key_hash != raw
    assert raw not in client.get(reverse("accounts:profile")).content.decode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/catalog/zones", **auth).status_code == 200
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    resp = client.get("/api/v1/catalog/zones", **auth)
    assert resp.status_code == 401
    assert resp.json()["detail"] == "Token ausente, revocado, caducado o no válido."


def test_a_user_cannot_revoke_someone_elses_token(client, make_user):
    owner, other = make_user(SELLER), make_user(SELLER)
    token, _raw = ApiToken.issue(user=owner, name="x")
    client.force_login(other)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_create_api_token_prints_the_token_as_the_last_word(client, make_user, capsys):
    user = make_user(SELLER, username="vera")
    call_command("create_api_token", "vera")
    raw = capsys.readouterr().out.split()[-1]
    assert ApiToken.objects.filter(user=user).count() == 1
    resp = client.get("/api/v1/catalog/zones", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert resp.status_code == 200
    # The Vendedor role may read catalogs but not change them.
    resp = client.post(
        "/api/v1/catalog/zones",
        {"name": "Norte"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert resp.status_code == 403


def test_requests_without_a_token_get_401(client):
    assert client.get("/api/v1/catalog/zones").status_code == 401
    resp = client.get("/api/v1/catalog/zones", HTTP_AUTHORIZATION="Bearer isp_nope")
    assert resp.status_code == 401


def test_a_deactivated_user_has_its_tokens_revoked(admin_client, make_user):
    user = make_user(SELLER)
    token, raw = ApiToken.issue(user=user, name="x")
    admin_client.post(reverse("catalog:user_deactivate", args=[user.pk]))
    user.refresh_from_db()
    token.refresh_from_db()
    assert not user.is_active and token.revoked_at is not None
    assert User.objects.filter(pk=user.pk).exists()  # never deleted


@pytest.mark.django_db
def test_pages_stay_in_spanish_for_a_browser_that_prefers_english(client):
    response = client.get("/cuenta/entrar/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert 'for="id_username">Usuario<' in response.content.decode()
