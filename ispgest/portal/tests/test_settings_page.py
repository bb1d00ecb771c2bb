"""Configuración del Portal de Clientes (Administrador only)."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ispgest.catalog.models import PaymentGateway
from ispgest.core.identity import isp_identity
from ispgest.core.models import AuditEntry
from ispgest.portal.models import GatewayInstructions
from ispgest.portal.selectors import portal_settings

pytestmark = pytest.mark.django_db

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _data(**extra):
    data = {
        "enabled": "on",
        "welcome_text": "Bienvenido a su cuenta",
        "sections": ["facturas", "pagos", "tickets"],
        "clients_edit_phones": "on",
        "isp_name": "Red Sur Internet",
        "primary_color": "#123456",
        "accent_color": "#654321",
    }
    data.update(extra)
    return data


def test_an_administrator_configures_the_portal(admin_client):
    gateway = PaymentGateway.objects.create(name="Mercado Pago", code="mp")
    url = reverse("portal_staff:settings")
    page = admin_client.get(url).content.decode()
    assert 'for="id_welcome_text"' in page and f'for="id_gateway_{gateway.pk}"' in page
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = admin_client.post(
        url, _data(**{f"gateway_{gateway.pk}": "Pague con el QR.", "logo": logo})
    )
    assert response.status_code == 302
    conf = portal_settings()
    assert conf.welcome_text == "Bienvenido a su cuenta"
    assert conf.sections == ["facturas", "pagos", "tickets"]
    assert conf.clients_edit_phones and not conf.clients_edit_notify_emails
    identity = isp_identity()
    assert identity.name == "Red Sur Internet" and identity.primary_color == "#123456"
    assert identity.logo.name.startswith("identity/") and identity.logo.name.endswith(".png")
    assert GatewayInstructions.objects.get(gateway=gateway).text == "Pague con el QR."
    assert AuditEntry.objects.filter(action="portal.settings_updated").exists()
    assert admin_client.get(reverse("portal:logo")).status_code == 200
    assert url in admin_client.get(reverse("catalog:index")).content.decode()


def test_a_logo_that_is_not_an_image_is_refused_and_nothing_changes(admin_client):
    fake = SimpleUploadedFile(
        "logo.png", b"<html><script>x</script></html>", content_type="image/png"
    )
    response = admin_client.post(reverse("portal_staff:settings"), _data(logo=fake))
    assert response.status_code == 200
    assert "Logo: el archivo debe ser una imagen" in response.content.decode()
    assert portal_settings().welcome_text == ""
    assert isp_identity().name != "Red Sur Internet"


def test_a_bad_colour_is_refused_naming_the_field(admin_client):
    response = admin_client.post(reverse("portal_staff:settings"), _data(primary_color="rojo"))
    assert "Color principal" in response.content.decode()
    assert portal_settings().welcome_text == ""


@pytest.mark.parametrize("role", ["Facturación", "Vendedor", "Recaudador", "Técnico"])
def test_other_roles_get_403(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("portal_staff:settings")).status_code == 403
