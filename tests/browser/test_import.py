"""Done-when of the client import: an administrator imports an export file of another
installation with two bad rows, sees both errors in the dry run, imports the valid rows and
finds the clients with their history."""

import re

import pytest
from playwright.sync_api import expect

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import BillingEntity, LegalKind, Zone
from ispgest.clients.export import COLUMNS
from ispgest.clients.models import Client


def _export_file() -> bytes:
    def row(cid, name, email, billing="No", condition="", kind="", tax_id="", zone="Norte"):
        cells = [cid, name, "", email, "", "", "Calle 1", "", zone, "", "", "", billing]
        cells += [kind, condition, tax_id, "0", "0.00", "", "2025-01-01 10:00:00"]
        cells += ["2025-01-02 10:00:00"]
        return ",".join(f'"{c}"' for c in cells)

    lines = [
        ",".join(f'"{c}"' for c in COLUMNS),
        row("101", "Lucía Fernández", "lucia@otra.test"),
        row("102", "", "sin-nombre@otra.test"),
        row("103", "Comercio Sur", "sur@otra.test", "Sí", "Consumidor Final", "B", "20-26756539-3"),
        row("104", "Mal NIT", "nit@otra.test", "Sí", "Consumidor Final", "B", "20-26756539-4"),
    ]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_administrator_imports_the_valid_rows_of_an_export(page, login, admin_user, tmp_path):
    install_country_defaults("AR")
    entity = BillingEntity.objects.create(
        name="Red Sur SRL", kind=LegalKind.LEGAL, country="AR", tax_id="30500010912"
    )
    allow_default_invoice_types(entity)
    Zone.objects.create(name="Norte")
    path = tmp_path / "clientes-otra-instalacion.csv"
    path.write_bytes(_export_file())

    login(admin_user)
    page.goto("/clientes/")
    page.get_by_role("link", name="Importar").click()
    page.get_by_label("Archivo (CSV o XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Subir").click()
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("email")
    page.get_by_role("button", name="Comprobar (simulación)").click()

    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("Nombre: es obligatorio.")
    expect(errors.nth(1)).to_contain_text("5")
    expect(errors.nth(1)).to_contain_text("Número de identificación tributaria")
    expect(errors.nth(1)).to_contain_text("dígito verificador")
    expect(page.locator("#import-status")).to_contain_text("2 válidas, 2 con errores")

    page.get_by_label("Solo las filas válidas").check()
    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator("#import-status")).to_contain_text("Importado")
    expect(page.locator("#import-status")).to_contain_text("2 importados")
    assert set(Client.objects.values_list("custom_id", flat=True)) == {"101", "103"}

    page.get_by_role("link", name="Ver los clientes").click()
    page.get_by_role("link", name="Lucía Fernández").first.click()
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name="Historial").click()
    imported = page.locator("#history-table tr[data-action='client.imported']")
    expect(imported).to_contain_text(
        re.compile(r"Importación #\d+ \(clientes-otra-instalacion\.csv\) fila 2")
    )
