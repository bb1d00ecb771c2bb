"""Done-when of the client import: an administrator imports an export file of another
installation with two bad rows, sees both errors in the dry run, imports the valid rows and
finds the clients with their history."""

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import BillingEntity, InvoiceType, LegalKind, TaxCondition, Zone
from ispgest.clients.export import write_export
from ispgest.clients.models import Client


def _export_of_another_installation(path, entity) -> list[Client]:
    """The product's own export of clients that exist only inside a transaction rolled back
    afterwards, so that to this installation they are another one's; in the file, one tax
    id gets a wrong check digit and one e-mail becomes that of a client of this
    installation. Returns the exported clients (each is on row position + 2)."""
    zone = Zone.objects.get(name="Norte")
    billing = {
        "billing_enabled": True,
        "billing_entity": entity,
        "tax_condition": TaxCondition.objects.get(name="Consumidor Final"),
        "invoice_type": InvoiceType.objects.get(code="B"),
        "tax_id_kind": "CUIT",
    }
    with transaction.atomic():
        exported = [
            Client.objects.create(name="Lucía Fernández", email="lucia@otra.test", zone=zone),
            Client.objects.create(
                name="Comercio Sur",
                email="sur@otra.test",
                zone=zone,
                tax_id="20267565393",
                **billing,
            ),
            Client.objects.create(
                name="CUIT Errado",
                email="cuit@otra.test",
                zone=zone,
                tax_id="20123456786",
                **billing,
            ),
            Client.objects.create(name="Email Repetido", email="repetido@otra.test", zone=zone),
        ]
        with path.open("wb") as out:
            write_export(Client.objects.filter(pk__in=[c.pk for c in exported]), "csv", out)
        transaction.set_rollback(True)
    assert not Client.objects.filter(name__in=[c.name for c in exported]).exists()

    data = path.read_bytes()
    assert data.count(b"20-12345678-6") == data.count(b"repetido@otra.test") == 1
    path.write_bytes(
        data.replace(b"20-12345678-6", b"20-12345678-7").replace(
            b"repetido@otra.test", b"ana@red.test"
        )
    )
    return exported


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_administrator_imports_the_valid_rows_of_an_export(page, login, admin_user, tmp_path):
    install_country_defaults("AR")
    entity = BillingEntity.objects.create(
        name="Red Sur SRL", kind=LegalKind.LEGAL, country="AR", tax_id="30500010912"
    )
    allow_default_invoice_types(entity)
    Zone.objects.create(name="Norte")
    Client.objects.create(name="Ana Local", email="ana@red.test")
    path = tmp_path / "clientes-otra-instalacion.csv"
    lucia, sur, _bad_tax_id, _taken_email = _export_of_another_installation(path, entity)

    login(admin_user)
    page.goto("/clientes/")
    page.get_by_role("link", name="Importar").click()
    page.get_by_label("Archivo (CSV o XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Subir").click()
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("email")
    page.get_by_role("button", name="Comprobar (simulación)").click()

    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").first).to_have_text("4")
    expect(errors.nth(0)).to_contain_text("Número de identificación tributaria")
    expect(errors.nth(0)).to_contain_text("dígito verificador")
    expect(errors.nth(1).locator("td").first).to_have_text("5")
    expect(errors.nth(1)).to_contain_text("«ana@red.test» ya lo usa otro cliente")
    expect(page.locator("#import-status")).to_contain_text("2 válidas, 2 con errores")

    page.get_by_label("Solo las filas válidas").check()
    page.get_by_role("button", name="Importar", exact=True).click()
    expect(page.locator("#import-status")).to_contain_text("Importado")
    expect(page.locator("#import-status")).to_contain_text("2 importados")
    new_clients = Client.objects.exclude(name="Ana Local")
    assert set(new_clients.values_list("custom_id", "name")) == {
        (str(lucia.pk), "Lucía Fernández"),
        (str(sur.pk), "Comercio Sur"),
    }

    page.get_by_role("link", name="Ver los clientes").click()
    page.get_by_role("link", name="Lucía Fernández").first.click()
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name="Historial").click()
    imported = page.locator("#history-table tr[data-action='client.imported']")
    expect(imported).to_contain_text(
        re.compile(r"Importación #\d+ \(clientes-otra-instalacion\.csv\) fila 2")
    )
