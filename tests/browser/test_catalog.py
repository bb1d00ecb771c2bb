"""An administrator manages catalogs in a real Chromium; a Vendedor is kept out."""

import re

import pytest

from ispgest.accounts.roles import SELLER
from ispgest.catalog.defaults import install_country_defaults
from ispgest.catalog.models import AllowedInvoiceType, BillingEntity, Zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _exact(label: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(label)}:?$")


def _rows(page) -> str:
    return page.locator("#catalog-rows tbody").inner_text()


def test_an_admin_creates_edits_and_deactivates_catalog_rows(page, login, admin_user):
    install_country_defaults("AR")
    page.on("dialog", lambda dialog: dialog.accept())
    login(admin_user)
    page.get_by_role("link", name="Configuración").first.click()
    page.get_by_role("link", name="Zonas").click()

    # Create a zone and find it listed.
    page.get_by_role("link", name="Nuevo").click()
    page.get_by_label("Nombre").fill("Barrio Güemes")
    page.get_by_label("Descripción").fill("Nodo norte, sector 2")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/configuracion/zonas/$"))
    assert "Barrio Güemes" in _rows(page)

    # Edit it.
    row = page.locator("#catalog-rows tbody tr", has_text="Barrio Güemes")
    row.get_by_role("link", name="Editar").click()
    page.get_by_label("Nombre").fill("Güemes Norte")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/configuracion/zonas/$"))
    assert "Güemes Norte" in _rows(page)

    # Deactivate it: it leaves the active list, stays among the deactivated rows.
    row = page.locator("#catalog-rows tbody tr", has_text="Güemes Norte")
    row.get_by_role("button", name="Desactivar").click()
    page.wait_for_url(re.compile(r"/configuracion/zonas/$"))
    assert "Güemes Norte" not in _rows(page)
    page.get_by_label("Estado").select_option("inactivos")
    page.get_by_role("button", name="Filtrar").click()
    assert "Güemes Norte" in _rows(page)
    assert Zone.objects.get(name="Güemes Norte").active is False

    # A billing entity with a wrong CUIT is refused, then created with the right one.
    page.goto("/configuracion/razones-sociales/nuevo/")
    page.get_by_label(_exact("Nombre")).fill("Conexión del Sur S.R.L.")
    page.get_by_label(_exact("Tipo")).select_option("legal")
    page.get_by_label("País").select_option("AR")
    page.get_by_label(_exact("Número tributario")).fill("30-50001091-3")
    page.get_by_label("Dirección").fill("Av. Colón 1234, Córdoba")
    page.get_by_role("button", name="Guardar").click()
    assert page.get_by_text("el dígito verificador no coincide").is_visible()
    page.get_by_label(_exact("Número tributario")).fill("30-50001091-2")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/configuracion/razones-sociales/\d+/$"))
    page.get_by_label(_exact("Número")).fill("4")
    page.get_by_label(_exact("Nombre")).fill("Sucursal Centro")
    page.get_by_role("button", name="Agregar punto de venta").click()
    assert "Sucursal Centro" in page.locator("#points-of-sale").inner_text()
    entity = BillingEntity.objects.get(name="Conexión del Sur S.R.L.")
    assert entity.tax_id == "30500010912"
    assert AllowedInvoiceType.objects.filter(billing_entity=entity).count() == 5
    page.get_by_role("link", name="Razones sociales").click()
    assert "Conexión del Sur S.R.L." in _rows(page)


def test_a_seller_gets_403_on_the_catalog_pages(page, login, make_user):
    login(make_user(SELLER))
    # The menu is there (a seller sees Clientes), without Configuración: the absence
    # below cannot pass because the menu itself failed to render.
    menu = page.get_by_role("navigation", name="Navegación principal")
    assert menu.get_by_role("link", name="Clientes", exact=True).count() == 1
    assert menu.get_by_role("link", name="Configuración").count() == 0
    for url in ("/configuracion/", "/configuracion/zonas/", "/configuracion/zonas/nuevo/"):
        response = page.goto(url)
        assert response.status == 403
        assert page.get_by_text("Su rol no tiene permiso").is_visible()
