"""Staff manage a client's contracts in a real Chromium: two contracts at different
addresses, a plan change with the old plan under "Mostrar tarifas de baja", equipment
installed and retired, a renewable package (a quote from it when billing offers it, else its
PDF), a signed contract uploaded and downloaded back, and every step in the history."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import BillingEntity, InvoiceType, Product, Tax, TaxCondition
from ispgest.clients.models import Client, ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import Contract, Equipment, PackageAssignment, Plan, PlanAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _exact(label: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(label)}:?\s*\*?$")


def _client_url(client_id: int) -> str:
    try:
        return reverse("clients:detail", args=[client_id])
    except NoReverseMatch:
        return reverse("contracts:client", args=[client_id])


def _open_tab(page, name: str) -> None:
    """Open a section of the client's workspace from its navigation."""
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first.click()
    expect(nav.locator("a.active")).to_contain_text(name)


def test_staff_manage_contracts_equipment_renewals_and_signed_documents(
    page, login, admin_user, tmp_path
):
    tax = Tax.objects.create(name="IVA 21% (prueba)", rate=Decimal("21"))
    Plan.objects.create(name="Fibra 30 Mbps", price=Decimal("9500"), download_kbps=30_000)
    Plan.objects.create(name="Fibra 100 Mbps", price=Decimal("15900"), download_kbps=100_000)
    Plan.objects.create(name="Fibra 300 Mbps", price=Decimal("24900"), download_kbps=300_000)
    Product.objects.create(name="Router WiFi", price=Decimal("45000"), tax=tax)
    services.package_create(
        actor=admin_user,
        data={"name": "Mantenimiento anual", "renewal_months": 12},
        lines=[{"description": "Mantenimiento", "unit_price": Decimal("12000"), "tax": tax}],
    )
    install_country_defaults("AR")
    entity = BillingEntity.objects.create(
        name="Conexión del Sur S.R.L.", tax_id="30500010913", tax_id_kind="CUIT", country="AR"
    )
    allow_default_invoice_types(entity)
    client = Client(
        name="Lucía Fernández",
        billing_enabled=True,
        billing_entity=entity,
        tax_condition=TaxCondition.objects.get(country="AR", name="Consumidor Final"),
        invoice_type=InvoiceType.objects.get(code="B"),
    )
    client.refresh_search_fields()
    client.save()
    page.on("dialog", lambda dialog: dialog.accept())
    login(admin_user)
    client_page = _client_url(client.pk)

    # Two contracts at different addresses with different plans.
    for plan, address, lat, lon in [
        ("Fibra 30 Mbps", "Av. Colón 1200, Córdoba", "-31.411", "-64.196"),
        ("Fibra 100 Mbps", "Belgrano 45, Villa Allende", "-31.295", "-64.295"),
    ]:
        page.goto(client_page)
        _open_tab(page, "Contratos")
        page.get_by_role("link", name="Nuevo contrato").click()
        page.get_by_label(_exact("Tarifa")).select_option(label=plan)
        page.get_by_label(_exact("Fecha de alta")).fill("2026-01-05")
        page.get_by_label(_exact("Dirección del servicio")).fill(address)
        page.get_by_label(_exact("Latitud")).fill(lat)
        page.get_by_label(_exact("Longitud")).fill(lon)
        page.get_by_role("button", name="Guardar contrato").click()
        page.wait_for_url(re.compile(r"/seccion/contratos/$"))
        assert "creado" in page.locator("#messages").inner_text()
    table = page.locator("#contracts-table")
    assert "Av. Colón 1200" in table.inner_text() and "Belgrano 45" in table.inner_text()
    assert (
        table.get_by_role("link", name="Abrir en el mapa")
        .first.get_attribute("href")
        .startswith("https://www.openstreetmap.org/?mlat=")
    )
    first = Contract.objects.get(address__startswith="Av. Colón")

    # Change the plan of the first one; the old assignment shows with "Mostrar tarifas de baja".
    _open_tab(page, "Asignación de tarifas")
    form = page.locator("#client-main form[method=post]")
    form.get_by_label(_exact("Contrato")).select_option(str(first.pk))
    form.get_by_label(_exact("Tarifa")).select_option(label="Fibra 300 Mbps")
    form.get_by_label(_exact("Fecha de inicio")).fill("2026-03-01")
    form.get_by_role("button", name="Añadir").click()
    page.wait_for_url(re.compile(r"/seccion/tarifas/$"))
    rows = page.locator("#plan-assignments-table")
    assert "Fibra 300 Mbps" in rows.inner_text() and "Fibra 30 Mbps" not in rows.inner_text()
    page.get_by_label("Mostrar tarifas de baja").check()
    page.wait_for_url(re.compile(r"tarifas_baja=1"))
    ended = page.locator("#plan-assignments-table tr.ended-plan")
    assert "Fibra 30 Mbps" in ended.inner_text() and "01/03/2026" in ended.inner_text()

    # Install equipment, then retire it (the row stays).
    page.goto(client_page)
    _open_tab(page, "Equipamiento")
    page.get_by_role("link", name="Añadir nuevo").click()
    page.get_by_label(_exact("Producto")).select_option(label="Router WiFi")
    page.get_by_label(_exact("Contrato")).select_option(str(first.pk))
    page.get_by_label(_exact("Número de serie")).fill("SN-778899")
    page.get_by_label(_exact("Dirección MAC")).fill("c4-ad-34-01-02-03")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/seccion/equipamiento/$"))
    equipment_table = page.locator("#equipment-table")
    assert "C4:AD:34:01:02:03" in equipment_table.inner_text()
    equipment_table.get_by_role("button", name="Retirar").click()
    page.wait_for_url(re.compile(r"/seccion/equipamiento/$"))
    assert "Retirado" in page.locator("#equipment-table").inner_text()
    assert Equipment.objects.get().status == "retired"

    # Assign a renewable package with the client's own price.
    _open_tab(page, "Renovaciones")
    page.get_by_label("Paquete a añadir").select_option(label="Mantenimiento anual")
    page.get_by_role("button", name="Añadir paquete").click()
    page.get_by_label(_exact("Fecha de inicio")).fill("2026-02-10")
    page.get_by_label(_exact("Precio unitario")).first.fill("11000")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/seccion/renovaciones/$"))
    renewals = page.locator("#renewals-table")
    assert "Mantenimiento anual" in renewals.inner_text()
    assert "10/02/2027" in renewals.inner_text()
    assignment = PackageAssignment.objects.get()
    href = renewals.get_by_role("link", name="Imprimir").first.get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    # A quote from the package: the button must be there (a missing one fails the test).
    quote = renewals.get_by_role("button", name="Generar presupuesto")
    expect(quote).to_have_count(1)
    quote.click()
    page.wait_for_url(re.compile(r"/facturacion/"))
    assert "Presupuesto" in page.locator("#messages").inner_text()
    assert "Mantenimiento" in page.content()

    # Upload a signed contract and download it back.
    page.goto(client_page)
    _open_tab(page, "Contratos firmados")
    signed = tmp_path / "contrato-firmado.pdf"
    signed.write_bytes(PDF)
    panel = page.locator("#client-main")
    panel.get_by_label(_exact("Descripción")).fill("Contrato de alta firmado")
    panel.get_by_label(_exact("Archivo del contrato firmado")).set_input_files(str(signed))
    panel.get_by_role("button", name="Guardar contrato").click()
    page.wait_for_url(re.compile(r"/seccion/contratos-firmados/$"))
    assert "Contrato de alta firmado" in page.locator("#signed-documents-table").inner_text()
    with page.expect_download() as info:
        page.locator("#signed-documents-table").get_by_role("link", name="Descargar").click()
    download = info.value
    assert download.suggested_filename == "contrato-firmado.pdf"
    assert open(download.path(), "rb").read() == PDF

    # The history holds every step.
    all_actions = list(
        ClientEvent.objects.filter(client=client).order_by("id").values_list("action", flat=True)
    )
    mine = ("contract.", "equipment.", "package.", "signed_document.")
    actions = [a for a in all_actions if a.startswith(mine)]
    assert "quote.issued" in all_actions
    assert actions == [
        "contract.created",
        "contract.created",
        "contract.plan_assigned",
        "equipment.installed",
        "equipment.retired",
        "package.assigned",
        "signed_document.uploaded",
    ]
    assert PlanAssignment.objects.get(contract=first, plan__name="Fibra 30 Mbps").end_date == (
        date(2026, 3, 1)
    )
    assert assignment.lines.get().unit_price == Decimal("11000.00")
    # ...and the client's "Historial" section shows them.
    assert client_page == reverse("clients:detail", args=[client.pk])
    page.goto(client_page)
    _open_tab(page, "Historial")
    history = page.locator("#client-main").inner_text()
    for text in (
        "Contrato #",
        "cambiada a «Fibra 300 Mbps»",
        "Equipo instalado",
        "Equipo retirado",
        "Paquete renovable «Mantenimiento anual» asignado",
        "Contrato firmado subido",
    ):
        assert text in history, text
