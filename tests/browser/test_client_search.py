"""A staff user finds a client by part of an accented surname, filters by contract zone +
plan + unpaid invoices, mass-updates the collector of the result and gets the export by
e-mail with the seed's columns."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ispgest.billing.models import ClientBalance
from ispgest.catalog.models import Collector, Tax, Zone
from ispgest.clients.export import COLUMNS
from ispgest.clients.models import Client
from ispgest.contracts.models import Contract, Plan


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_filter_mass_update_and_export(page, login, admin_user, smtp_server):
    tax = Tax.objects.create(name="IVA 21%", rate=Decimal("21"))
    north = Zone.objects.create(name="Zona Norte")
    fibra = Plan.objects.create(
        name="Fibra 300", price=Decimal("100"), download_kbps=300, upload_kbps=30, tax=tax
    )
    Collector.objects.create(name="Cobrador Nuevo")
    debtor = make("Rocío Núñez Ibáñez")
    paid = make("Rocío Pérez")
    make("Juan Gómez")
    for client in (debtor, paid):
        Contract.objects.create(
            client=client, zone=north, plan=fibra, address="Calle 1", start_date=date(2026, 1, 1)
        )
    ClientBalance.objects.create(client=debtor, unpaid_count=2, unpaid_total=Decimal("19000"))

    login(admin_user)
    page.goto("/clientes/")
    page.get_by_label("Búsqueda rápida").fill("núñ")
    expect(page.locator("#clients-table tbody tr")).to_have_count(1)
    expect(page.locator("#clients-table")).to_contain_text("Rocío Núñez Ibáñez")

    page.get_by_label("Búsqueda rápida").fill("")
    page.locator("#advanced summary").click()
    page.get_by_label("Cobertura / zona del contrato").select_option(label="Zona Norte")
    page.locator("#id_plan").select_option(label="Fibra 300")
    page.get_by_label("Con facturas impagas").check()
    page.locator("#advanced-submit").click()
    expect(page).to_have_url(re.compile(r"unpaid=on"))
    expect(page.locator("#result-count")).to_have_text("1 cliente")
    expect(page.locator("#clients-table")).to_contain_text("Rocío Núñez Ibáñez")

    page.locator("#mass-all").click()
    expect(page.locator("#mass-selected-count")).to_contain_text("1 cliente seleccionado")
    page.get_by_label("Recaudador").select_option(label="Cobrador Nuevo")
    page.get_by_role("button", name="Vista previa").click()
    expect(page.locator("#mass-preview")).to_contain_text("Se modificarán 1 de 1 clientes")
    page.get_by_role("button", name="Actualizar masivamente").click()
    expect(page.locator("#messages")).to_contain_text("1 de 1 clientes cambiaron")
    expect(page.locator("#clients-table .collector")).to_have_text("Cobrador Nuevo")
    debtor.refresh_from_db()
    paid.refresh_from_db()
    assert debtor.collector.name == "Cobrador Nuevo" and paid.collector is None

    page.locator("#export-link").click()
    page.locator("#export-submit").click()
    expect(page.locator("#job-status")).to_contain_text("Terminado")
    mail = next(m for m in smtp_server.received if "Exportación" in m.subject)
    assert mail.rcpt_tos == [admin_user.email]
    [attachment] = mail.attachments()
    content = attachment.get_content()
    text = content.decode() if isinstance(content, bytes) else content
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == list(COLUMNS)
    assert [r[1] for r in rows[1:]] == ["Rocío Núñez Ibáñez"]
    assert rows[1][COLUMNS.index("Número de facturas impagas")] == "2"
