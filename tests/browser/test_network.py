"""The network "Done when" flow in a real Chromium against the RouterOS API peer on
loopback: an administrator adds the router (only an Administrador manages routers); a
technician adds its pools and drives a client's "Info Mikrotik PPPoe" tab (secret with a
static IP, CMI activo, ping, kick, no-service and back, delete); a plan change moves the
secret to the new profile and kicks its session; the reconciliation report shows a secret
made by hand on the router; an unpaid client past the grace days is cut and a payment
restores it; the Consumo chart shows the sampled traffic."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ispgest.accounts.roles import TECHNICIAN
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import make_client, make_contract, setup_billing
from ispgest.contracts.models import ContractStatus, Plan
from ispgest.network import services
from ispgest.network.desired import NO_SERVICE_PROFILE
from ispgest.network.models import PPPoEAccount, Router, ServiceCut
from ispgest.network.testing.peer import RouterOSPeer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ISPGEST_SCREENSHOTS")  # a folder: save a screenshot of each step


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _exact(label: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(label)}:?\s*\*?$")


@pytest.fixture
def peer():
    p = RouterOSPeer(username="api", password="clave-api-1", identity="Nodo-Centro").start()
    yield p
    p.stop()


def _signed_in(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, locale="es-ES")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.on("dialog", lambda dialog: dialog.accept())
    pg.goto("/cuenta/entrar/")
    pg.get_by_label("Usuario").fill(user.username)
    pg.get_by_label("Contraseña").fill("secreto-123456")
    pg.get_by_role("button", name="Entrar").click()
    pg.wait_for_url(re.compile(r"^(?!.*/cuenta/entrar/).*$"))
    return pg


def _open_tab(page, name: str) -> None:
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first.click()
    expect(nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first).to_have_class(
        re.compile(r"\bactive\b")
    )


def _message(page):
    return page.get_by_role("alert").filter(has_not_text="Consultando")


def _block(page, contract):
    """The contract's card in the PPPoE tab (its heading names the contract)."""
    return page.locator(".card").filter(
        has=page.get_by_role("heading", name=re.compile(rf"^Contrato #{contract.pk} "))
    )


def _cmi(page, contract):
    return _block(page, contract).get_by_text(re.compile(r"^CMI (NO )?activo$"))


def test_a_technician_runs_a_clients_pppoe_account_against_the_router(
    page, login, admin_user, make_user, peer, _browser, live_server, smtp_server
):
    entity = setup_billing()
    fibra100 = Plan.objects.create(
        name="Fibra 100", price=Decimal("20.00"), download_kbps=100_000, upload_kbps=10_000
    )
    Plan.objects.create(
        name="Fibra 300", price=Decimal("30.00"), download_kbps=300_000, upload_kbps=30_000
    )
    ana = make_client(entity, name="Ana Pérez Gil")
    contract = make_contract(ana, fibra100)
    luis = make_client(entity, name="Luis Díaz", email="luis@cliente.test")
    late = make_contract(luis, fibra100)
    tech_user = make_user(TECHNICIAN, username="tecnico")

    # The administrator adds the router and checks the connection.
    login(admin_user)
    page.get_by_role("link", name="Red", exact=True).click()
    page.get_by_role("link", name="Nuevo router").click()
    page.get_by_label(_exact("Nombre")).fill("Nodo Centro")
    page.get_by_label(_exact("Dirección IP o nombre del host")).fill("127.0.0.1")
    page.get_by_label(_exact("Puerto de la API")).fill(str(peer.port))
    page.get_by_label(_exact("Usuario de la API")).fill("api")
    page.get_by_label(_exact("Contraseña de la API")).fill("clave-api-1")
    page.get_by_label(_exact("Tiempo de espera (segundos)")).fill("3")
    expect(page.get_by_label(_exact("Método de inicio de sesión"))).to_have_value("auto")
    page.get_by_role("button", name="Guardar").click()
    expect(_message(page)).to_contain_text("Router «Nodo Centro» creado.")
    page.get_by_role("link", name="Nodo Centro").click()
    page.get_by_role("button", name="Probar conexión").click()
    expect(_message(page)).to_contain_text("identidad «Nodo-Centro», RouterOS 7.16.2")
    expect(_message(page)).to_contain_text("inicio de sesión: Normal (RouterOS 6.43")
    _shot(page, "01-router")
    router = Router.objects.get()

    # The technician adds the service pool and the no-service pool; both reach the router.
    tech = _signed_in(_browser, live_server, tech_user)
    tech.get_by_role("link", name="Red", exact=True).click()
    expect(tech.get_by_role("link", name="Nuevo router")).to_have_count(0)
    tech.get_by_role("link", name="Nodo Centro").click()
    for name, network, ranges, no_service in [
        ("clientes", "100.64.0.0/22", "100.64.1.0-100.64.3.250", False),
        ("sin-conexion", "10.99.0.0/24", "10.99.0.2-10.99.0.250", True),
    ]:
        tech.get_by_role("link", name="Nuevo pool").click()
        tech.get_by_label(_exact("Nombre")).fill(name)
        tech.get_by_label(_exact("Red")).fill(network)
        tech.get_by_label(_exact("Rangos")).fill(ranges)
        if no_service:
            tech.get_by_label(_exact("Pool sin conexión")).check()
        tech.get_by_role("button", name="Guardar").click()
        expect(_message(tech)).to_contain_text("Pool de IPs creado.")
    pools = tech.get_by_role("table").filter(has_text="Rangos")
    expect(pools).to_contain_text("100.64.1.0-100.64.3.250")
    expect(pools).to_contain_text("10.99.0.2-10.99.0.250")
    _shot(tech, "02-pools")
    assert peer.find("/ip/pool", name="clientes")["ranges"] == "100.64.1.0-100.64.3.250"
    assert peer.find("/ip/pool", name="sin-conexion")["ranges"] == "10.99.0.2-10.99.0.250"

    # The technician finds the client by the quick search and saves its secret.
    tech.goto("/clientes/")
    tech.get_by_label("Búsqueda rápida").fill("ana pérez")
    tech.get_by_role("link", name="Ana Pérez Gil", exact=True).click()
    _open_tab(tech, "Info Mikrotik PPPoe")
    block = _block(tech, contract)
    block.get_by_label(_exact("Equipo Mikrotik")).select_option(label="Nodo Centro")
    block.get_by_label(_exact("Usuario PPPoe del cliente")).fill("ana.perez")
    block.get_by_label(_exact("IP Estática")).fill("100.64.0.30")
    expect(block.get_by_label(_exact("Profile"))).to_have_value("Fibra-100")
    block.get_by_role("button", name="Guardar Secret").click()
    expect(_message(tech)).to_contain_text("Secret guardado")
    secret = peer.find("/ppp/secret", name="ana.perez")
    assert secret["remote-address"] == "100.64.0.30" and secret["profile"] == "Fibra-100"
    account = PPPoEAccount.objects.get(contract=contract)
    assert secret["password"] == account.password_plain  # generated when left empty
    block = _block(tech, contract)
    expect(block).to_contain_text("Aplicado")
    expect(block).to_contain_text(account.password_plain)  # a Técnico may see it
    expect(_cmi(tech, contract)).to_have_text("CMI NO activo")
    _shot(tech, "03-secret")

    # The client dials in: CMI activo with the session's address.
    peer.connect_session("ana.perez", caller_id="4C:5E:0C:11:22:33")
    peer.state.reachable["100.64.0.30"] = (4, 3)
    tech.reload()
    expect(_cmi(tech, contract)).to_have_text("CMI activo")
    expect(_block(tech, contract)).to_contain_text("100.64.0.30 · 5m12s · 4C:5E:0C:11:22:33")
    _shot(tech, "04-cmi-activo")

    # Ping from the router to the client's address.
    _block(tech, contract).get_by_role("button", name="Ping").click()
    expect(_message(tech)).to_contain_text("Ping a 100.64.0.30: enviados 4, recibidos 4")
    assert any(c[0] == "/ping" for c in peer.commands)

    # "Reiniciar sesión" removes the active session.
    _block(tech, contract).get_by_role("button", name="Reiniciar sesión").click()
    expect(_message(tech)).to_contain_text("Sesión reiniciada.")
    assert peer.find("/ppp/active", name="ana.perez") is None
    expect(_cmi(tech, contract)).to_have_text("CMI NO activo")

    # No-service and back: the no-service profile without the static IP, then both back.
    peer.connect_session("ana.perez")
    _block(tech, contract).get_by_role("button", name="Pasa a modo sin conexión").click()
    expect(_message(tech)).to_contain_text("Pasa a modo sin conexión.")
    secret = peer.find("/ppp/secret", name="ana.perez")
    assert secret["profile"] == NO_SERVICE_PROFILE and not secret.get("remote-address")
    assert peer.find("/ppp/active", name="ana.perez") is None  # kicked onto the new profile
    expect(_block(tech, contract)).to_contain_text("Modo sin conexión")
    _shot(tech, "05-sin-conexion")
    _block(tech, contract).get_by_role("button", name="Pasa a modo con conexión").click()
    expect(_message(tech)).to_contain_text("Vuelve al modo con conexión.")
    secret = peer.find("/ppp/secret", name="ana.perez")
    assert secret["profile"] == "Fibra-100" and secret["remote-address"] == "100.64.0.30"
    expect(_block(tech, contract).get_by_text("Modo sin conexión", exact=True)).to_have_count(0)

    # The administrator changes the plan: new profile on the secret, session kicked.
    peer.connect_session("ana.perez")
    page.goto(f"/clientes/{ana.pk}/")
    _open_tab(page, "Asignación de tarifas")
    form = page.locator("#client-main form[method=post]")
    form.get_by_label(_exact("Contrato")).select_option(str(contract.pk))
    form.get_by_label(_exact("Tarifa")).select_option(label="Fibra 300")
    form.get_by_label(_exact("Fecha de inicio")).fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="Añadir").click()
    page.wait_for_url(re.compile(r"/seccion/tarifas/$"))
    assert peer.find("/ppp/secret", name="ana.perez")["profile"] == "Fibra-300"
    assert peer.find("/ppp/profile", name="Fibra-300")["rate-limit"] == "30000k/300000k"
    assert peer.find("/ppp/active", name="ana.perez") is None
    tech.reload()
    expect(_block(tech, contract).get_by_label(_exact("Profile"))).to_have_value("Fibra-300")

    # "Eliminar secret": gone from the router, and from ispgest.
    _block(tech, contract).get_by_role("button", name="Eliminar secret").click()
    expect(_message(tech)).to_contain_text("Secret eliminándose del equipo.")
    assert peer.find("/ppp/secret", name="ana.perez") is None
    assert not PPPoEAccount.objects.filter(contract=contract).exists()
    expect(_block(tech, contract).get_by_role("button", name="Eliminar secret")).to_have_count(0)
    _shot(tech, "06-deleted")

    # Reconciliation: a secret made by hand on the router is reported as unknown.
    peer.add_row("/ppp/secret", name="vecino-a-mano", password="x1", profile="default")
    tech.goto(f"/red/routers/{router.pk}/")
    tech.get_by_role("link", name="Conciliación").click()
    expect(tech.get_by_text("Desconocidos en el router: 1")).to_be_visible()
    row = tech.get_by_role("row").filter(has_text="vecino-a-mano")
    expect(row).to_contain_text("Desconocido (creado a mano)")
    expect(row.get_by_role("checkbox")).to_be_disabled()  # never changed without confirming
    _shot(tech, "07-reconcile")

    # Corte por impago: Luis owes an invoice 15 days past due; the rule gives 10 days.
    services.pppoe_save(actor=tech_user, contract=late, data={"router": router, "username": "luis"})
    assert peer.find("/ppp/secret", name="luis")["profile"] == "Fibra-100"
    invoice = invoice_due(luis, "1000", due_in=-15)
    page.goto("/red/")
    page.get_by_role("link", name="Corte por impago").click()
    page.get_by_role("link", name="Nueva regla de corte").click()
    page.get_by_label(_exact("Nombre")).fill("Impagos Red Sur")
    page.get_by_label(_exact("Entidad de facturación")).select_option(label=entity.name)
    page.get_by_label(_exact("Días de gracia")).fill("10")
    page.get_by_role("button", name="Guardar").click()
    expect(_message(page)).to_contain_text("Regla de corte guardada.")
    expect(page.get_by_role("row").filter(has_text="Impagos Red Sur")).to_contain_text("10")
    _run_job(page, "network.cutoff")
    late.refresh_from_db()
    assert late.status == ContractStatus.SUSPENDED
    assert peer.find("/ppp/secret", name="luis")["profile"] == NO_SERVICE_PROFILE
    assert ServiceCut.objects.filter(contract=late, restored_at__isnull=True).count() == 1
    _run_job(page, "network.cutoff")  # a rerun cuts nobody twice
    assert ServiceCut.objects.filter(contract=late).count() == 1
    page.goto("/red/cortes/")
    expect(page.get_by_text("1 contrato cortado ahora.")).to_be_visible()
    tech.goto(f"/clientes/{luis.pk}/seccion/pppoe/")
    expect(_block(tech, late)).to_contain_text("Modo sin conexión")
    expect(_block(tech, late).get_by_role("heading")).to_contain_text("Suspendido")
    _shot(tech, "08-cut")

    # The payment that settles the debt restores the service.
    page.goto(f"/facturacion/clientes/{luis.pk}/pagos/nuevo/?invoice={invoice.pk}")
    page.get_by_label("Forma de pago").select_option(label="Efectivo")
    page.get_by_label("Importe").fill(str(invoice.total))
    page.get_by_role("button", name="Pagar").click()
    page.wait_for_load_state()
    late.refresh_from_db()
    assert late.status == ContractStatus.ACTIVE
    assert peer.find("/ppp/secret", name="luis")["profile"] == "Fibra-100"
    assert ServiceCut.objects.get(contract=late).restored_at is not None
    page.goto("/red/cortes/")
    expect(page.get_by_text("0 contratos cortados ahora.")).to_be_visible()
    tech.reload()
    expect(_block(tech, late).get_by_text("Modo sin conexión", exact=True)).to_have_count(0)
    expect(_block(tech, late).get_by_role("heading")).not_to_contain_text("Suspendido")
    mails = {m.subject for m in smtp_server.received if m.rcpt_tos == ["luis@cliente.test"]}
    assert f"Servicio suspendido por falta de pago (contrato #{late.pk})" in mails
    assert f"Servicio restablecido (contrato #{late.pk})" in mails

    # Consumo: two readings of the session's counters; the chart shows the traffic between.
    peer.connect_session("luis")
    _run_job(page, "network.usage_sample")  # the baseline
    peer.add_traffic("luis", download=3_400_000_000, upload=250_000_000)
    _run_job(page, "network.usage_sample")
    tech.goto(f"/clientes/{luis.pk}/")
    _open_tab(tech, "Consumo")
    download = tech.get_by_role("img", name=re.compile(r"^Descarga por día"))
    expect(download).to_have_attribute("aria-label", re.compile(r"3,4 GB en total"))
    upload = tech.get_by_role("img", name=re.compile(r"^Subida por día"))
    expect(upload).to_have_attribute("aria-label", re.compile(r"250 MB en total"))
    today = timezone.localdate().strftime("%d/%m")
    expect(download.get_by_text(f"{today}: 3,4 GB")).to_have_count(1)  # the bar's tooltip
    _shot(tech, "09-usage")


def _run_job(page, name: str) -> None:
    """Configuración → Tareas programadas → "Ejecutar ahora" on the job's row."""
    page.goto("/")
    page.get_by_role("link", name="Configuración", exact=True).first.click()
    page.get_by_role("link", name="Tareas programadas").click()
    row = page.locator(f'tr[data-job="{name}"]')
    row.get_by_role("button", name="Ejecutar ahora").click()
    expect(page.locator(f'tr[data-job="{name}"]')).to_contain_text("Correcta")
