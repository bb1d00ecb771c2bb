"""A user who picks English on the profile page gets the client form in English; others in Spanish."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_user_who_chooses_english_sees_the_client_form_in_english(client, admin_user):
    client.force_login(admin_user)
    assert client.post(reverse("accounts:profile"), {"lang-language": "en"}).status_code == 302
    html = client.get(reverse("clients:create")).content.decode()
    assert '<html lang="en">' in html
    assert '<label for="id_email">Contact e-mail:</label>' in html
    assert '<option value="natural">Individual</option>' in html
    assert '<option value="legal">Company</option>' in html
    assert "E-mail de contacto" not in html and "Persona física" not in html


def test_a_default_user_sees_the_client_form_in_spanish(admin_client):
    html = admin_client.get(reverse("clients:create")).content.decode()
    assert '<html lang="es">' in html
    assert '<label for="id_email">E-mail de contacto:</label>' in html
    assert '<option value="natural">Persona física</option>' in html
    assert "Contact e-mail" not in html and ">Individual<" not in html
