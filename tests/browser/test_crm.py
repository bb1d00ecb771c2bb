"""The CRM in a real Chromium: a Vendedor registers a prospect, adds an opportunity and two
actuaciones, moves it across the board to "Ganada" without a page reload (stage controls and
one drag-and-drop), converts the prospect into a client through the prefilled client form
and creates the contract from the opportunity; an administrator adds a company to that client
with registry data, two apoderados and shareholders adding up to 100 %, and sees every step
in the client's Historial."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ispgest.accounts.roles import SELLER
from ispgest.catalog.models import Seller
from ispgest.clients.models import Client, ClientEvent
from ispgest.contracts.models import Contract, Plan
from ispgest.crm.models import Attorney, Company, Opportunity, Prospect, Shareholder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _exact(label: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(label)}:?\s*\*?$")


def _open_section(page, name: str) -> None:
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first.click()
    expect(nav.locator("a.active")).to_contain_text(name)


def _move(page, opp: Opportunity, stage: str) -> None:
    card = page.locator(f"#card-{opp.pk}")
    card.get_by_label(re.compile("^Mover «")).select_option(label=stage)
    card.get_by_role("button", name="Mover").click()


def _in_column(page, opp: Opportunity, code: str) -> None:
    page.locator(f"#column-{code} #card-{opp.pk}").wait_for()


def test_a_seller_takes_a_prospect_to_a_client_with_a_contract_and_an_admin_adds_its_company(
    page, login, make_user, admin_user
):
    plan = Plan.objects.create(name="Fibra 300 Mbps", price=Decimal("24900"), download_kbps=300_000)
    seller = Seller.objects.create(name="Marta Ríos")
    vendedor = make_user(SELLER, username="marta", seller=seller)
    page.on("dialog", lambda dialog: dialog.accept())
    login(vendedor)

    # A prospect with minimal data.
    page.goto("/crm/prospectos/")
    page.get_by_role("link", name="Nuevo prospecto").click()
    page.get_by_label(_exact("Nombre")).fill("Julieta Paz")
    page.get_by_label(_exact("Teléfono")).fill("351 555-0101")
    page.get_by_label(_exact("E-mail")).fill("julieta.paz@correo.test")
    page.get_by_role("button", name="Guardar prospecto").click()
    page.locator("#prospect-name").wait_for()
    prospect = Prospect.objects.get()
    assert prospect.seller == seller

    # An opportunity with a plan of interest.
    page.get_by_role("link", name="Nueva oportunidad").click()
    page.get_by_label(_exact("Título")).fill("Fibra para el hogar")
    page.get_by_label(_exact("Importe")).fill("24900")
    page.get_by_label("Fibra 300 Mbps").check()
    page.get_by_role("button", name="Guardar oportunidad").click()
    page.locator("#opportunity-title").wait_for()
    opp = Opportunity.objects.get()
    assert opp.stage.code == "nueva" and list(opp.plans.all()) == [plan]

    # Two actuaciones.
    for kind, notes in (("Llamada", "Pide precio de 300 Mbps"), ("Visita", "Mide la casa")):
        summary = page.get_by_text("Nueva actuación", exact=True)
        if not page.locator("#id_act_kind").is_visible():
            summary.click()
        page.locator("#id_act_kind").select_option(label=kind)
        page.get_by_label(_exact("Notas")).fill(notes)
        page.get_by_role("button", name="Guardar actuación").click()
        page.locator("#activities-table").get_by_text(notes).wait_for()
    assert opp.activities.count() == 2

    # Across the board to "Ganada", without reloading the page.
    page.goto("/crm/embudo/")
    page.evaluate("window.__sameDocument = true")
    # Dropped on "Ganada" straight from "Nueva": the transition map refuses it.
    page.locator(f"#card-{opp.pk}").drag_to(
        page.locator("#column-ganada .crm-dropzone"), source_position={"x": 4, "y": 4}
    )
    page.locator("#board-error").wait_for()
    _in_column(page, opp, "nueva")
    assert "no se puede pasar" in page.locator("#board-error").inner_text()
    _move(page, opp, "Calificada")
    _in_column(page, opp, "calificada")
    page.locator(f"#card-{opp.pk}").drag_to(
        page.locator("#column-propuesta .crm-dropzone"), source_position={"x": 4, "y": 4}
    )
    _in_column(page, opp, "propuesta")
    _move(page, opp, "Negociación")
    _in_column(page, opp, "negociacion")
    _move(page, opp, "Ganada")
    _in_column(page, opp, "ganada")
    assert page.evaluate("window.__sameDocument") is True
    opp.refresh_from_db()
    assert opp.stage.code == "ganada" and opp.probability == 100

    # The prospect becomes a client: the client form opens prefilled.
    page.goto(f"/crm/prospectos/{prospect.pk}/")
    page.get_by_role("link", name="Convertir en cliente").click()
    page.locator("#client-source").wait_for()
    assert page.locator("#id_email").input_value() == "julieta.paz@correo.test"
    assert page.locator("#id_name").input_value() == "Julieta Paz"
    page.get_by_role("tab", name="Contacto", exact=True).click()
    page.get_by_label(_exact("Dirección")).fill("San Martín 1450, Córdoba")
    page.locator("#client-form").get_by_role("button", name="Guardar").click()
    page.locator("#client-name").wait_for()
    client = Client.objects.get()
    prospect.refresh_from_db()
    opp.refresh_from_db()
    assert prospect.converted_client == client and opp.client == client
    assert client.seller == seller and client.mobile == "351 555-0101"

    # The contract from the won opportunity, prefilled with its plan and the address.
    page.goto(f"/crm/oportunidades/{opp.pk}/")
    page.get_by_role("link", name="Crear contrato desde la oportunidad").click()
    assert page.get_by_label(_exact("Tarifa")).input_value() == str(plan.pk)
    assert page.get_by_label(_exact("Dirección del servicio")).input_value() == (
        "San Martín 1450, Córdoba"
    )
    page.get_by_role("button", name="Guardar contrato").click()
    page.wait_for_url(re.compile(r"/seccion/contratos/$"))
    contract = Contract.objects.get()
    opp.refresh_from_db()
    assert opp.contract == contract and contract.plan == plan

    # An administrator adds the client's company.
    page.locator("nav").get_by_role("button", name="Salir").click()
    login(admin_user)
    page.goto(f"/clientes/{client.pk}/")
    _open_section(page, "Sociedades")
    page.get_by_role("link", name="Nueva sociedad").click()
    page.get_by_label(_exact("Razón social")).fill("Paz Servicios S.R.L.")
    page.get_by_label(_exact("CUIT/CUIL")).fill("30-71234567-1")
    page.get_by_label(_exact("Forma jurídica")).select_option("S.R.L.")
    page.get_by_role("button", name="Guardar").click()
    page.locator("#company-name").wait_for()
    company = Company.objects.get()
    assert company.tax_id == "30712345671"

    page.get_by_role("tab", name="Mercantil").click()
    section = page.locator("#section-mercantil")
    section.get_by_label(_exact("Registro mercantil")).fill("Inspección General de Justicia")
    section.get_by_label(_exact("Tomo")).fill("12")
    section.get_by_label(_exact("Folio")).fill("345")
    section.get_by_label(_exact("Inscripción")).fill("8841")
    section.get_by_label(_exact("Fecha de inscripción")).fill("2019-04-02")
    section.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"seccion=mercantil"))
    for name, doc in (("Julieta Paz", "30111222"), ("Tomás Paz", "28999000")):
        page.get_by_text("Añadir apoderado", exact=True).click()
        form = page.locator("#form-apoderado")
        form.get_by_label(_exact("Nombre")).fill(name)
        form.get_by_label(_exact("Documento")).fill(doc)
        form.get_by_label(_exact("Notario")).fill("Esc. Ramírez")
        form.get_by_label(_exact("Fecha de otorgamiento")).fill("2023-05-10")
        form.get_by_label(_exact("Fecha de vencimiento")).fill("2028-05-10")
        form.get_by_role("button", name="Guardar").click()
        page.wait_for_url(re.compile(r"seccion=mercantil"))
    assert Attorney.objects.filter(company=company).count() == 2

    # Shareholders: 101 % is refused, 60 + 40 is accepted.
    for name, pct in (("Julieta Paz", "60"), ("Tomás Paz", "41")):
        page.get_by_text("Añadir socio", exact=True).click()
        form = page.locator("#form-socio")
        form.get_by_label(_exact("Nombre")).fill(name)
        form.get_by_label(_exact("Porcentaje")).fill(pct)
        form.get_by_role("button", name="Guardar").click()
        page.wait_for_load_state()
    assert "100 %" in page.locator("#form-socio").inner_text()
    form = page.locator("#form-socio")
    form.get_by_label(_exact("Porcentaje")).fill("40")
    form.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"seccion=mercantil"))
    assert page.locator("#shareholder-total").inner_text() == "100 %"
    assert sum(s.percentage for s in Shareholder.objects.filter(company=company)) == 100

    # Every step is in the client's Historial.
    page.goto(f"/clientes/{client.pk}/")
    _open_section(page, "Historial")
    history = page.locator("#history-table")
    for text in (
        "Prospecto registrado: Julieta Paz",
        "Oportunidad creada: Fibra para el hogar",
        "Pide precio de 300 Mbps",
        "Mide la casa",
        "Nueva → Calificada",
        "Negociación → Ganada",
        "Cliente creado desde el prospecto",
        "creado desde la oportunidad",
        "Sociedad creada: Paz Servicios S.R.L.",
        "Mercantil modificada",
        "apoderado añadido: Tomás Paz",
        "socio añadido: Tomás Paz (40 %)",
    ):
        assert history.get_by_text(text).count() >= 1, text
    actions = set(ClientEvent.objects.filter(client=client).values_list("action", flat=True))
    assert {"contract.created", "opportunity.contract_created", "company.attorney_added"} <= actions
