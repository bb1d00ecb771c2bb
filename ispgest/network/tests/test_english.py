"""A user who chose English reads every network page in English: routers, pools,
reconciliation, the cut-off rules, the client's PPPoE and Consumo sections and the
messages after an action."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from ispgest.accounts.middleware import SESSION_KEY
from ispgest.billing.tests.factories import setup_billing
from ispgest.network import services, usage
from ispgest.network.models import CutoffRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client, admin_user):
    client.force_login(admin_user)
    session = client.session
    session[SESSION_KEY] = "en"
    session.save()
    return client


@pytest.fixture
def account(admin_user, router, pools, contract, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.pppoe_save(
            actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
        )


def text(response) -> str:
    assert response.status_code == 200
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def check(page: str, english: list[str], spanish: list[str]) -> None:
    for phrase in english:
        assert phrase in page, phrase
    for phrase in spanish:
        assert phrase not in page, phrase


def test_routers_pools_and_reconciliation_read_in_english(english, router, account, peer):
    page = text(english.get(reverse("network:home")))
    check(
        page,
        ["Routers / servers", "New router", "Non-payment cut-off", "API port", "Active only"],
        ["Nuevo router", "Corte por impago", "Puerto de la API", "Solo activos"],
    )
    page = text(english.get(reverse("network:router_detail", args=[router.pk])))
    check(
        page,
        ["Test connection", "New pool", "Ranges", "Reconciliation", "Everything applied."],
        ["Probar conexión", "Nuevo pool", "Rangos", "Conciliación", "Todo aplicado."],
    )
    page = text(english.get(reverse("network:router_edit", args=[router.pk])))
    check(
        page,
        ["Edit router", "Save", "Cancel", "Login method", "Automatic (plain; the challenge"],
        ["Editar router", "Guardar", "Cancelar", "Automático", "sin volver a enviar"],
    )
    page = text(english.get(reverse("network:pool_create", args=[router.pk])))
    check(page, ["IP pool", "Ranges", "Save"], ["Pool de IPs", "Rangos", "Guardar"])

    peer.add_row("/ppp/secret", name="mano", password="x", profile="default")
    page = text(english.get(reverse("network:reconcile", args=[router.pk])))
    check(
        page,
        ["Unknown on the router: 1", "Missing on the router", "Import", "made by hand"],
        ["Desconocidos en el router", "Faltan en el router", "Importar", "creado a mano"],
    )

    response = english.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    check(
        text(response),
        ["Connection OK: identity", "logged in with: Plain (RouterOS 6.43 or later, 7)."],
        ["Conexión correcta", "inicio de sesión"],
    )
    page = text(english.get(reverse("network:router_detail", args=[router.pk])))
    check(page, ["Login method Automatic", "detected: Plain"], ["detectado"])
    response = english.post(
        reverse("network:reconcile", args=[router.pk]), {"action": "apply"}, follow=True
    )
    check(text(response), ["Select at least one row."], ["Seleccione al menos una fila."])


def test_cutoff_rules_read_in_english(english):
    entity = setup_billing()
    page = text(english.get(reverse("network:cutoff_list")))
    check(
        page,
        ["Non-payment cut-off", "New cut-off rule", "There are no cut-off rules."],
        ["Nueva regla de corte", "No hay reglas de corte."],
    )
    page = text(english.get(reverse("network:cutoff_create")))
    check(
        page,
        ["Grace days", "Exempt clients", "Client numbers separated by commas", "Save"],
        ["Días de gracia", "Clientes exentos", "Números de cliente", "Guardar"],
    )
    response = english.post(
        reverse("network:cutoff_create"),
        {"name": "General", "billing_entity": entity.pk, "grace_days": "10", "active": "on"},
        follow=True,
    )
    page = text(response)
    check(
        page,
        ["Cut-off rule saved.", "0 contracts cut off now.", "Grace days", "Active"],
        ["Regla de corte guardada.", "contratos cortados ahora", "Días de gracia"],
    )
    assert CutoffRule.objects.filter(name="General").exists()


def test_the_pppoe_and_consumo_sections_read_in_english(english, router, account, contract, peer):
    section = reverse("clients:section", args=[contract.client_id, "pppoe"])
    page = text(english.get(section))
    check(
        page,
        ["MikroTik PPPoE info", "MikroTik router", "Client's PPPoE user", "Static IP"],
        ["Equipo Mikrotik", "Usuario PPPoe del cliente", "IP Estática"],
    )
    check(
        page,
        ["Save secret", "Restart session", "Switch to no-service mode", "Delete secret"],
        ["Guardar Secret", "Reiniciar sesión", "Pasa a modo sin conexión", "Eliminar secret"],
    )
    status = text(english.get(reverse("network:pppoe_status", args=[account.pk])))
    check(status, ["CPE offline"], ["CMI NO activo"])
    response = english.post(reverse("network:pppoe_kick", args=[account.pk]), follow=True)
    check(text(response), ["The client was not connected."], ["El cliente no estaba conectado."])

    consumo = reverse("clients:section", args=[contract.client_id, "consumo"])
    check(text(english.get(consumo)), ["No usage samples for this contract yet"], ["Todavía no"])
    peer.connect_session("ana")
    usage.sample_router(router)
    peer.add_traffic("ana", download=2_500_000_000, upload=3_000_000)
    usage.sample_router(router)
    html = english.get(consumo).content.decode()
    check(
        html,
        ["Download per day, last 30 days", "Upload per month, last 12 months", "in total"],
        ["Descarga", "Subida", "por día", "en total"],
    )
