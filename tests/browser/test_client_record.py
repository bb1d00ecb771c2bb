"""The client record in Chromium: create a Persona física with a valid CUIT, two contacts, a
direct-debit mandate and an extra-field value; edit it; read old and new values in Historial;
deactivate it ("Borrar") and find it among the inactive clients."""

import re

import pytest
from playwright.sync_api import expect

from ispgest.catalog.defaults import allow_default_invoice_types, install_country_defaults
from ispgest.catalog.models import BillingEntity, ExtraField, LegalKind, TaxCondition
from ispgest.clients.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(settings):
    settings.ISPGEST_COUNTRY = "AR"
    install_country_defaults("AR")
    entity = BillingEntity.objects.create(
        name="Red Sur SRL", kind=LegalKind.LEGAL, country="AR", tax_id="30500010912"
    )
    allow_default_invoice_types(entity)
    ExtraField.objects.create(name="Altura de antena", field_type="number")
    return entity


def test_staff_create_edit_review_history_and_deactivate_a_client(page, login, make_user, catalog):
    login(make_user("Administrador"))
    page.goto("/clientes/nuevo/")
    page.select_option("#id_person_type", label="Persona física")
    expect(page.get_by_label("Primer nombre")).to_be_visible()  # swapped in by htmx
    expect(page.locator("#id_name")).to_have_count(0)
    page.get_by_label("Primer nombre").fill("María")
    page.get_by_label("Primer apellido").fill("González")
    page.get_by_label("E-mail de contacto").fill("maria.gonzalez@example.com")

    page.get_by_role("tab", name="Facturación").click()
    page.locator("#id_billing_enabled").check()
    page.select_option("#id_billing_entity", label="Red Sur SRL")
    condition = TaxCondition.objects.get(country="AR", name="Consumidor Final")
    page.select_option("#id_tax_condition", str(condition.pk))
    # The invoice types narrow to the allowed ones for the pair (htmx) before one is picked.
    expect(page.locator("#id_invoice_type option")).to_have_count(2)
    page.select_option("#id_invoice_type", label="Factura B")
    page.get_by_label("Número tributario (CUIT/CUIL)").fill("20-26756539-3")

    page.get_by_role("tab", name="Personas de contacto").click()
    page.locator("#id_contacts-0-name").fill("Juan Pérez")
    page.select_option("#id_contacts-0-role", label="Técnico")
    page.locator("#id_contacts-1-name").fill("Laura Díaz")
    page.select_option("#id_contacts-1-role", label="Propietario")

    page.get_by_role("tab", name="Datos financieros").click()
    page.select_option("#id_fin-payment_method", label="Domiciliación bancaria")
    page.get_by_label("IBAN").fill("ES91 2100 0418 4502 0005 1332")
    page.get_by_label("BIC").fill("CAIXESBBXXX")
    page.get_by_label("Referencia del mandato SEPA").fill("MAND-BROWSER-1")
    page.get_by_label("Fecha de firma del mandato").fill("2026-01-15")

    page.get_by_role("tab", name="Otros").click()
    page.get_by_label("Altura de antena").fill("12")
    page.get_by_role("button", name="Guardar").click()

    expect(page.locator("#client-name")).to_have_text("María González")
    expect(page.locator("#client-tax-id")).to_have_text("20-26756539-3")
    expect(page.locator("#contacts-table")).to_contain_text("Juan Pérez")
    expect(page.locator("#contacts-table")).to_contain_text("Laura Díaz")
    expect(page.get_by_text("MAND-BROWSER-1", exact=True)).to_be_visible()
    client = Client.objects.get()
    assert client.extra_values.get().value == "12"
    assert client.contacts.count() == 2 and client.mandates.get().active

    page.get_by_role("link", name="Editar").click()
    page.get_by_label("Segundo apellido").fill("Núñez")
    page.get_by_role("tab", name="Contacto", exact=True).click()
    page.get_by_label("Teléfono celular").fill("+54 9 351 555 0000")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("#client-name")).to_have_text("María González Núñez")

    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name="Historial").click()
    history = page.locator("#history-table")
    renamed = history.locator("tr[data-action='client.renamed']")
    expect(renamed).to_contain_text("Segundo apellido")
    expect(renamed).to_contain_text("Núñez")
    expect(renamed).to_contain_text("Teléfono celular")
    expect(renamed).to_contain_text("+54 9 351 555 0000")
    expect(renamed).to_contain_text("María González → María González Núñez")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Borrar").click()
    expect(page.locator("#client-status")).to_have_text("Inactivo")
    client.refresh_from_db()
    assert client.status == "inactive"

    page.goto("/clientes/?status=inactive&q=gonzalez")
    expect(page.get_by_role("link", name=re.compile("María González Núñez")).first).to_be_visible()


def test_a_name_over_the_limit_is_refused_with_the_limit_not_cut(page, login, make_user, catalog):
    """The browser must not cut a long name silently: the page says the limit and saves
    nothing."""
    login(make_user("Administrador"))
    page.goto("/clientes/nuevo/")
    long_name = "Cooperativa de Servicios Públicos " * 9  # 306 characters
    name = page.get_by_role("textbox", name="Nombre:", exact=True)
    name.fill(long_name)
    assert name.input_value() == long_name
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text(re.compile(r"255 caracteres \(tiene 30\d\)"))).to_be_visible()
    assert not Client.objects.exists()


def test_the_client_form_narrows_its_choices_and_unfolds_what_applies(
    page, login, make_user, catalog
):
    from ispgest.catalog.models import City, Neighbourhood, Region

    cordoba, santa_fe = (
        Region.objects.create(name="Córdoba"),
        Region.objects.create(name="Santa Fe"),
    )
    rio = City.objects.create(name="Río Cuarto", region=cordoba)
    City.objects.create(name="Rosario", region=santa_fe)
    Neighbourhood.objects.create(name="Centro", city=rio)
    login(make_user("Administrador"))
    page.goto("/clientes/nuevo/")
    page.get_by_role("tab", name="Contacto", exact=True).click()
    city = page.locator("#id_city")
    expect(city.locator("option")).to_have_count(3)  # blank + both cities
    page.select_option("#id_region", label="Córdoba")
    expect(city.locator("option")).to_have_count(2)
    expect(city).to_contain_text("Río Cuarto")
    page.select_option("#id_city", label="Río Cuarto")
    page.select_option("#id_region", label="Santa Fe")
    expect(page.locator("#id_city")).to_have_value("")  # Río Cuarto is not in Santa Fe

    page.get_by_role("tab", name="Facturación").click()
    expect(page.locator("#id_billing_entity")).to_be_hidden()
    page.locator("#id_billing_enabled").check()
    expect(page.locator("#id_billing_entity")).to_be_visible()
    page.select_option("#id_billing_entity", label="Red Sur SRL")
    condition = TaxCondition.objects.get(country="AR", name="Consumidor Final")
    from ispgest.catalog.models import AllowedInvoiceType

    allowed = AllowedInvoiceType.objects.filter(billing_entity=catalog, tax_condition=condition)
    page.select_option("#id_tax_condition", str(condition.pk))
    expect(page.locator("#id_invoice_type option")).to_have_count(allowed.count() + 1)
    offered = page.locator("#id_invoice_type option").all_inner_texts()[1:]
    assert sorted(offered) == sorted(str(a.invoice_type) for a in allowed)

    page.get_by_role("tab", name="Datos financieros").click()
    expect(page.get_by_label("IBAN")).to_be_hidden()
    page.select_option("#id_fin-payment_method", label="Domiciliación bancaria")
    expect(page.get_by_label("IBAN")).to_be_visible()
