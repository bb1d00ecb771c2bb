"""Portal accounts: "Regenerar contraseña", login, lockout, reset links, password change,
and the separation of portal and staff sessions."""

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from ispgest.clients.models import Client, ClientEvent
from ispgest.core.models import AuditEntry
from ispgest.messaging.models import EmailMessage
from ispgest.portal import services
from ispgest.portal.models import PortalAccount
from ispgest.portal.selectors import portal_settings
from ispgest.portal.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

_committed = None


@pytest.fixture(autouse=True)
def _commit(django_capture_on_commit_callbacks):
    global _committed
    _committed = django_capture_on_commit_callbacks


def committed(fn, *args, **kwargs):
    """Call fn and run what it left for after the commit (the mail delivery)."""
    with _committed(execute=True):
        return fn(*args, **kwargs)


def _regenerate(admin_client, client):
    return committed(
        admin_client.post,
        reverse("portal_staff:regenerate_password", args=[client.pk]),
        follow=True,
    )


def _password_from(mail) -> str:
    return re.search(r"Contraseña: (\S+)", mail.text()).group(1)


def test_it_regenerates_a_password_and_mails_it_with_the_portal_address(
    admin_client, alice, smtp_server
):
    old_hash = alice.account.password
    response = _regenerate(admin_client, alice.client)
    assert "Contraseña del portal regenerada" in response.content.decode()
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["Alicia@Example.test"]
    assert "Portal de Clientes" in mail.subject
    assert "http://127.0.0.1:8000/portal/entrar/" in mail.text()
    raw = _password_from(mail)
    assert len(raw) >= 16
    account = PortalAccount.objects.get(client=alice.client)
    assert account.password != old_hash and account.password.startswith("argon2")
    assert raw not in account.password and check_password(raw, account.password)
    event = ClientEvent.objects.get(client=alice.client, action="portal.password_regenerated")
    assert raw not in event.summary and raw not in str(event.changes)
    entry = AuditEntry.objects.get(action="portal.password_regenerated")
    assert raw not in entry.summary and entry.client_id == alice.client.pk
    assert EmailMessage.objects.filter(template="portal_password", client=alice.client).exists()


@pytest.mark.parametrize("case", ["no_email", "inactive", "portal_off"])
def test_it_refuses_to_regenerate_with_a_clear_message(admin_client, alice, smtp_server, case):
    if case == "no_email":
        Client.objects.filter(pk=alice.client.pk).update(email=None)
        expected = "no tiene e-mail principal"
    elif case == "inactive":
        Client.objects.filter(pk=alice.client.pk).update(status=Client.Status.INACTIVE)
        expected = "El cliente está desactivado"
    else:
        conf = portal_settings()
        conf.enabled = False
        conf.save()
        expected = "El portal de clientes está desactivado"
    before = PortalAccount.objects.get(client=alice.client).password
    response = _regenerate(admin_client, alice.client)
    assert expected in response.content.decode()
    assert PortalAccount.objects.get(client=alice.client).password == before
    assert smtp_server.received == []
    assert not ClientEvent.objects.filter(action="portal.password_regenerated").exists()


def test_it_rate_limits_regeneration(admin_client, alice, smtp_server):
    for _ in range(services.REGENERATE_LIMIT):
        _regenerate(admin_client, alice.client)
    response = _regenerate(admin_client, alice.client)
    assert "espere antes de volver a hacerlo" in response.content.decode()
    assert len(smtp_server.received) == services.REGENERATE_LIMIT


def test_the_key_button_is_in_the_workspace_header_and_on_the_list_rows(admin_client, alice):
    url = reverse("portal_staff:regenerate_password", args=[alice.client.pk])
    page = admin_client.get(reverse("clients:detail", args=[alice.client.pk])).content.decode()
    assert url in page and "Regenerar contraseña" in page
    listing = admin_client.get(reverse("clients:list")).content.decode()
    assert url in listing


def test_a_collector_has_no_key_button_and_gets_403(client, make_user, alice):
    client.force_login(make_user("Recaudador"))
    page = client.get(reverse("clients:detail", args=[alice.client.pk])).content.decode()
    assert "regenerar-contrasena" not in page
    url = reverse("portal_staff:regenerate_password", args=[alice.client.pk])
    assert client.post(url).status_code == 403


def _login(client, email, password):
    return client.post(reverse("portal:login"), {"email": email, "password": password})


def test_it_logs_in_with_the_email_in_another_case(client, alice):
    response = _login(client, "  alicia@EXAMPLE.test ", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_it_locks_the_address_after_repeated_failures_and_says_so(client, alice, settings):
    settings.ISPGEST_PORTAL_LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        assert (
            "E-mail o contraseña incorrectos"
            in _login(client, alice.client.email, "mala").content.decode()
        )
    locked = _login(client, alice.client.email, "mala").content.decode()
    assert "quedó bloqueado" in locked
    # Even the right password is refused while locked.
    assert "quedó bloqueado" in _login(client, alice.client.email, PASSWORD).content.decode()


def test_an_unknown_address_fails_and_locks_exactly_like_a_known_one(client, alice, settings):
    settings.ISPGEST_PORTAL_LOGIN_FAILURE_LIMIT = 2
    known = [_login(client, alice.client.email, "x").content.decode() for _ in range(2)]
    unknown = [_login(client, "nadie@example.test", "x").content.decode() for _ in range(2)]
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert [strip(h) for h in known] == [strip(h) for h in unknown]


def test_a_deactivated_client_cannot_log_in(client, alice):
    Client.objects.filter(pk=alice.client.pk).update(status=Client.Status.INACTIVE)
    assert "incorrectos" in _login(client, alice.client.email, PASSWORD).content.decode()


def test_a_staff_session_does_not_open_the_portal(admin_client, alice):
    assert admin_client.get(reverse("portal:home")).status_code == 403
    assert admin_client.get(reverse("portal:invoices")).status_code == 403


def test_a_portal_session_does_not_open_staff_pages(portal_client, alice):
    response = portal_client.get(reverse("clients:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    response = portal_client.get(reverse("clients:detail", args=[alice.client.pk]))
    assert response.status_code == 302


def test_a_portal_login_ends_a_staff_login_in_the_same_browser(admin_client, alice):
    _login(admin_client, alice.client.email, PASSWORD)
    assert admin_client.get(reverse("portal:home")).status_code == 200
    assert admin_client.get(reverse("clients:list")).status_code == 302


def test_a_staff_login_ends_the_portal_session(portal_client, admin_user):
    portal_client.post(
        reverse("accounts:login"), {"username": admin_user.username, "password": "secreto-123456"}
    )
    assert portal_client.get(reverse("clients:list")).status_code == 200
    assert portal_client.get(reverse("portal:home")).status_code == 403
    portal_client.post(reverse("accounts:logout"))
    assert portal_client.get(reverse("portal:home")).status_code == 302


def test_logout_ends_the_portal_session(portal_client):
    portal_client.post(reverse("portal:logout"))
    response = portal_client.get(reverse("portal:home"))
    assert response.status_code == 302 and reverse("portal:login") in response.url


def test_a_regenerated_password_ends_the_other_sessions(portal_client, alice):
    committed(services.portal_password_regenerate, actor=None, client=alice.client)
    assert portal_client.get(reverse("portal:home")).status_code == 302


def _reset_link(mail) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/portal/restablecer/\S+/)", mail.text()).group(1)


def test_the_reset_page_answers_the_same_whether_the_address_exists(client, alice, smtp_server):
    known = committed(
        client.post, reverse("portal:reset_request"), {"email": "ALICIA@example.test"}, follow=True
    )
    unknown = committed(
        client.post, reverse("portal:reset_request"), {"email": "nadie@example.test"}, follow=True
    )
    strip = lambda html: re.sub(r'value="[^"]*"', "", html.decode())  # noqa: E731
    assert strip(known.content) == strip(unknown.content)
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].rcpt_tos == ["Alicia@Example.test"]


def test_a_reset_link_works_once(client, alice, smtp_server):
    committed(client.post, reverse("portal:reset_request"), {"email": alice.client.email})
    link = _reset_link(smtp_server.received[0])
    new = {"new_password": "Otra-clave-segura-99", "confirm_password": "Otra-clave-segura-99"}
    response = client.post(link, new)
    assert response.status_code == 302 and response.url == reverse("portal:home")
    account = PortalAccount.objects.get(client=alice.client)
    assert check_password("Otra-clave-segura-99", account.password)
    client.post(reverse("portal:logout"))
    again = client.post(
        link, {**new, "new_password": "Tercera-clave-77", "confirm_password": "Tercera-clave-77"}
    )
    assert again.status_code == 400 and "ya fue usado" in again.content.decode()
    assert check_password("Otra-clave-segura-99", PortalAccount.objects.get(pk=account.pk).password)


def test_an_expired_reset_link_is_refused(client, alice, monkeypatch):
    import time

    from django.core import signing

    past = int(time.time()) - services.RESET_MAX_AGE - 60
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(past))
    link = reverse("portal:reset_confirm", args=[services.reset_token(alice.client)])
    monkeypatch.undo()
    response = client.get(link)
    assert response.status_code == 400 and "venció" in response.content.decode()
    fresh = reverse("portal:reset_confirm", args=[services.reset_token(alice.client)])
    assert client.get(fresh).status_code == 200


def test_a_logged_in_client_changes_its_password(portal_client, alice):
    url = reverse("portal:profile")
    wrong = portal_client.post(
        url,
        {
            "form": "password",
            "current_password": "no",
            "new_password": "Nueva-clave-2027",
            "confirm_password": "Nueva-clave-2027",
        },
    )
    assert "Contraseña actual: no es correcta." in wrong.content.decode()
    mismatch = portal_client.post(
        url,
        {
            "form": "password",
            "current_password": PASSWORD,
            "new_password": "Nueva-clave-2027",
            "confirm_password": "Otra",
        },
    )
    assert "no coinciden" in mismatch.content.decode()
    ok = portal_client.post(
        url,
        {
            "form": "password",
            "current_password": PASSWORD,
            "new_password": "Nueva-clave-2027",
            "confirm_password": "Nueva-clave-2027",
        },
    )
    assert ok.status_code == 302
    assert portal_client.get(reverse("portal:home")).status_code == 200  # this session stays
    assert check_password(
        "Nueva-clave-2027", PortalAccount.objects.get(client=alice.client).password
    )
    assert ClientEvent.objects.filter(
        client=alice.client, action="portal.password_changed"
    ).exists()
