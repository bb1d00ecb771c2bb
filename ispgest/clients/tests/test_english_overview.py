"""An English-choosing user sees the client overview, the client form and billing in English."""

import re

import pytest
from django.urls import reverse

from ispgest.accounts.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db


def _english(client, admin_user):
    client.force_login(admin_user)
    session = client.session
    session[SESSION_KEY] = "en"
    session.save()
    return client


def _visible_text(html: str) -> str:
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_english_user_sees_the_overview_in_english(client, admin_user, make_client):
    obj = make_client()
    text = _visible_text(
        _english(client, admin_user).get(reverse("clients:detail", args=[obj.pk])).content.decode()
    )
    for english in ("Overview", "Personal details", "History", "Edit"):
        assert english in text
    for spanish in ("Vista general", "Datos personales", "Historial", "Editar"):
        assert spanish not in text


def test_english_user_sees_the_new_client_form_and_billing_in_english(client, admin_user):
    c = _english(client, admin_user)
    text = _visible_text(c.get(reverse("clients:create")).content.decode())
    assert "Financial details" in text and "Datos financieros" not in text
    assert "Tax number type" in text or "Tipo de número tributario" not in text
    text = _visible_text(c.get(reverse("billing:home")).content.decode())
    assert "Start recurring billing" in text and "Lanzar facturación periódica" not in text
