"""Webhooks in a real Chromium: an administrator is refused a private address with the
message under «URL», creates a subscription to a real receiver on loopback, sends
«Enviar prueba», reads the signed delivery in the log and sends it again («Reenviar»)."""

import json

import pytest
from playwright.sync_api import expect

from ispgest.webhooks.models import Subscription
from ispgest.webhooks.tests.test_webhooks import Receiver, verify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hook(settings):
    settings.ISPGEST_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    r = Receiver()
    yield r
    r.close()


def test_an_administrator_creates_a_webhook_tests_it_and_sends_it_again(
    page, login, admin_user, hook
):
    login(admin_user)
    page.goto("/")
    page.get_by_role("link", name="Webhooks", exact=True).first.click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    page.get_by_role("link", name="Nuevo webhook").click()

    page.get_by_label("Nombre").fill("Cobranzas")
    page.get_by_label("URL").fill("http://10.20.30.40/hook")
    page.get_by_label("Cliente creado").check()
    page.get_by_label("Pago registrado").check()
    page.get_by_role("button", name="Guardar").click()
    url_field = page.get_by_label("URL")
    expect(url_field).to_have_value("http://10.20.30.40/hook")
    expect(page.locator("form:has(#webhook-save)")).to_contain_text(
        "es una dirección local o privada"
    )
    assert not Subscription.objects.exists()

    url_field.fill(hook.url)
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("heading", name="Cobranzas")).to_be_visible()
    secret = page.locator("#webhook-secret").inner_text()
    sub = Subscription.objects.get()
    assert sub.secret == secret and sub.events == ["client.created", "payment.registered"]

    page.get_by_role("button", name="Enviar prueba").click()
    log = page.locator("#webhook-log tbody tr")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("webhook.test")
    expect(log.first).to_contain_text("Entregado")
    expect(log.first).to_contain_text("200")
    assert len(hook.requests) == 1
    first = hook.requests[0]
    assert verify(secret, first["headers"], first["body"])
    assert json.loads(first["body"])["type"] == "webhook.test"

    log.first.get_by_role("button", name="Reenviar").click()
    expect(page.locator("#webhook-log tbody tr")).to_have_count(2)
    assert len(hook.requests) == 2
    again = json.loads(hook.requests[1]["body"])
    assert again["id"] == json.loads(first["body"])["id"]  # the same event, delivered again
    assert verify(secret, hook.requests[1]["headers"], hook.requests[1]["body"])
