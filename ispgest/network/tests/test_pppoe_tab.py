"""The client's "Info Mikrotik PPPoe" section, driven through its pages."""

import pytest
from django.urls import reverse

from ispgest.accounts.roles import BILLING, COLLECTOR, TECHNICIAN
from ispgest.clients.models import ClientEvent
from ispgest.network.desired import NO_SERVICE_PROFILE
from ispgest.network.models import PPPoEAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech(client, make_user):
    client.force_login(make_user(TECHNICIAN))
    return client


def section(client, contract):
    return client.get(reverse("clients:section", args=[contract.client_id, "pppoe"]))


def test_the_tab_shows_the_seed_labels_and_buttons(
    tech, router, pools, contract, peer, django_capture_on_commit_callbacks
):
    page = section(tech, contract).content.decode()
    cid = contract.pk
    for label, field in [
        ("Equipo Mikrotik", "router"),
        ("Usuario PPPoe del cliente", "username"),
        ("Contraseña de acceso", "password"),
        ("Profile", "profile"),
        ("IP Estática", "static_ip"),
    ]:
        assert f'<label for="id_pppoe{cid}_{field}">{label}' in page
    assert "Guardar Secret" in page and 'value="Fibra-100"' in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = tech.post(
            reverse("network:pppoe_save", args=[cid]),
            {
                "router": router.pk,
                "username": "ana",
                "password": "Cliente-Clave-5",
                "static_ip": "100.64.0.30",
            },
        )
    assert resp.status_code == 302
    assert peer.find("/ppp/secret", name="ana")["remote-address"] == "100.64.0.30"
    page = section(tech, contract).content.decode()
    for button in ("Ping", "Reiniciar sesión", "Pasa a modo sin conexión", "Eliminar secret"):
        assert button in page
    assert "Aplicado" in page and "<code>Cliente-Clave-5</code>" in page
    acc = PPPoEAccount.objects.get()
    status = tech.get(reverse("network:pppoe_status", args=[acc.pk])).content.decode()
    assert "CMI NO activo" in status
    peer.connect_session("ana")
    status = tech.get(reverse("network:pppoe_status", args=[acc.pk])).content.decode()
    assert "CMI activo" in status and "100.64.0.30" in status
    with django_capture_on_commit_callbacks(execute=True):
        tech.post(reverse("network:pppoe_suspend", args=[acc.pk]))
    assert peer.find("/ppp/secret", name="ana")["profile"] == NO_SERVICE_PROFILE
    page = section(tech, contract).content.decode()
    assert "Pasa a modo con conexión" in page and "Modo sin conexión" in page
    assert ClientEvent.objects.filter(action="pppoe.suspended", actor__isnull=False).exists()


def test_a_bad_static_ip_comes_back_with_the_error_under_its_field(tech, router, pools, contract):
    resp = tech.post(
        reverse("network:pppoe_save", args=[contract.pk]),
        {"router": router.pk, "username": "ana", "static_ip": "8.8.8.8"},
    )
    assert resp.status_code == 422
    page = resp.content.decode()
    assert "dentro de la red de servicio" in page and 'value="ana"' in page
    assert not PPPoEAccount.objects.exists()


def test_a_router_that_never_answers_does_not_hang_the_status(
    tech, router, pools, contract, peer, admin_user
):
    from ispgest.network import services

    acc = services.pppoe_save(
        actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
    )
    services.router_update(actor=admin_user, router=router, data={"timeout_seconds": 1})
    peer.silent = True
    status = tech.get(reverse("network:pppoe_status", args=[acc.pk])).content.decode()
    assert "Router no disponible" in status and "tiempo de espera agotado" in status


def test_roles(client, make_user, router, pools, contract):
    client.force_login(make_user(COLLECTOR))
    assert section(client, contract).status_code == 404
    client.force_login(make_user(BILLING))
    page = section(client, contract).content.decode()
    assert "Info Mikrotik PPPoe" in page and "Guardar Secret" not in page
    resp = client.post(
        reverse("network:pppoe_save", args=[contract.pk]), {"router": router.pk, "username": "x"}
    )
    assert resp.status_code == 403
