"""The clerk's workspace in a real Chromium at 1440 px: a contract, equipment, a payment and
a wallet deposit, each opened and saved without leaving the client's header; screenshots of
the client page, the list and the billing form go to test-artifacts/workspace/ (the ones in
docs/img/ come from this test)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ispgest.billing import services as billing
from ispgest.billing.models import Payment, WalletMovement
from ispgest.billing.tests.factories import make_client, make_plan, method, setup_billing, tax
from ispgest.catalog.models import Product
from ispgest.contracts.models import Contract, Equipment
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "workspace"


def _exact(label: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(label)}:?\s*\*?$")


def _header_is_there(page, name: str) -> None:
    header = page.get_by_role("banner", name="Cliente").or_(page.locator("header.client-header"))
    expect(header.first).to_be_visible()
    expect(page.locator("#client-name")).to_have_text(name)
    expect(page.get_by_role("navigation", name="Secciones del cliente")).to_be_visible()


def _open(page, name: str) -> None:
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first.click()
    expect(nav.locator("a.active")).to_contain_text(name)


def test_a_clerk_works_a_client_without_leaving_its_header(page, login, admin_user):
    page.set_viewport_size({"width": 1440, "height": 900})
    SHOTS.mkdir(parents=True, exist_ok=True)
    entity = setup_billing()
    iva = tax("IVA 21%", "21.00", included=True)
    client = make_client(entity, name="Marta Quiroga", email="marta@cliente.test", billing_tax=iva)
    make_plan("12500.00", name="Fibra 200 Mbps")
    Product.objects.create(name="ONU GPON", price=Decimal("30000"), tax=iva)
    invoice = billing.document_create(
        actor=admin_user,
        client=client,
        lines=[
            billing.LineInput(description="Instalación", quantity=1, unit_price=Decimal("8000"))
        ],
        notify=False,
    )
    page.on("dialog", lambda dialog: dialog.accept())
    login(admin_user)

    page.goto("/clientes/")
    page.screenshot(path=str(SHOTS / "client-list.png"))

    page.goto(f"/clientes/{client.pk}/")
    _header_is_there(page, "Marta Quiroga")
    expect(page.locator("#client-facts")).to_contain_text("$ 8.000,00")
    page.screenshot(path=str(SHOTS / "client-page.png"))

    # A contract: the form opens inside the workspace and saving returns to Contratos.
    _open(page, "Contratos")
    page.get_by_role("link", name="Nuevo contrato").click()
    _header_is_there(page, "Marta Quiroga")
    page.get_by_label(_exact("Tarifa")).select_option(label="Fibra 200 Mbps")
    page.get_by_label(_exact("Fecha de alta")).fill("2026-11-02")
    page.get_by_label(_exact("Dirección del servicio")).fill("San Martín 900, Rosario")
    page.get_by_role("button", name="Guardar contrato").click()
    page.wait_for_url(re.compile(r"/seccion/contratos/$"))
    _header_is_there(page, "Marta Quiroga")
    expect(page.locator("#contracts-table")).to_contain_text("San Martín 900")
    contract = Contract.objects.get(client=client)

    # Equipment on that contract.
    _open(page, "Equipamiento")
    page.get_by_role("link", name="Añadir nuevo").click()
    _header_is_there(page, "Marta Quiroga")
    page.get_by_label(_exact("Producto")).select_option(label="ONU GPON")
    page.get_by_label(_exact("Contrato")).select_option(str(contract.pk))
    page.get_by_label(_exact("Número de serie")).fill("ZTEG-1234")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/seccion/equipamiento/$"))
    _header_is_there(page, "Marta Quiroga")
    expect(page.locator("#equipment-table")).to_contain_text("ZTEG-1234")
    assert Equipment.objects.get().contract_id == contract.pk

    # A payment of the invoice: the header's debt follows.
    _open(page, "Pagos")
    page.get_by_role("link", name="Registrar pago").first.click()
    _header_is_there(page, "Marta Quiroga")
    page.screenshot(path=str(SHOTS / "billing-form.png"))
    page.get_by_label(_exact("Forma de pago")).select_option(label=method("cash").name)
    page.get_by_label(invoice.number_display, exact=False).check()
    page.get_by_label(_exact("Importe")).fill("8000")
    page.get_by_role("button", name="Pagar").click()
    page.wait_for_url(re.compile(r"/seccion/pagos/$"))
    _header_is_there(page, "Marta Quiroga")
    expect(page.locator("#messages")).to_contain_text("Pago registrado")
    assert Payment.objects.get(client=client).amount == Decimal("8000")
    expect(page.locator("#client-facts")).not_to_contain_text("$ 8.000,00")

    # A wallet deposit.
    _open(page, "Monedero")
    page.get_by_role("link", name="Añadir movimiento").click()
    _header_is_there(page, "Marta Quiroga")
    page.get_by_label(_exact("Concepto")).fill("Depósito en efectivo")
    page.get_by_label(_exact("Importe")).fill("2500")
    page.get_by_role("button", name="Añadir movimiento").click()
    _header_is_there(page, "Marta Quiroga")
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(r"Monedero \(\$ 2\.500,00\)")).wait_for()
    assert WalletMovement.objects.get(wallet__client=client).amount == Decimal("2500")
