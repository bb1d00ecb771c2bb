from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ispgest.accounts.roles import COLLECTOR, SELLER, TECHNICIAN
from ispgest.catalog.models import Seller
from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    Equipment,
    PackageAssignment,
    Plan,
    PlanAssignment,
    SignedDocument,
)
from ispgest.contracts.panels import client_panels
from ispgest.core.testing import form_values

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def _messages(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]] if resp.context else []


def test_the_contracts_list_filters_and_paginates(
    admin_client, subscriber, make_contract, plans, zone
):
    make_contract(subscriber, plan=plans["30"], address="Uno 1", zone=zone)
    make_contract(subscriber, plan=plans["100"], address="Dos 2")
    resp = admin_client.get(reverse("contracts:list"), {"tarifa": plans["100"].pk})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Dos 2" in body and "Uno 1" not in body
    body = admin_client.get(reverse("contracts:list"), {"zona": zone.pk}).content.decode()
    assert "Uno 1" in body and "Dos 2" not in body
    body = admin_client.get(reverse("contracts:list"), {"estado": "active"}).content.decode()
    assert "Uno 1" not in body
    assert '<label class="form-label" for="id_estado">Estado</label>' in body


def test_create_contract_page_refuses_latitude_123_with_a_spanish_message(
    admin_client, subscriber, plans
):
    url = reverse("contracts:create", args=[subscriber.pk])
    page = admin_client.get(url).content.decode()
    for label in ("Tarifa", "Dirección del servicio", "Latitud", "Longitud", "Fecha de alta"):
        assert f">{label}:</label>" in page
    resp = admin_client.post(
        url,
        {
            "plan": plans["30"].pk,
            "start_date": "2026-01-01",
            "address": "Calle 1",
            "latitude": "123",
            "longitude": "-64",
        },
    )
    assert resp.status_code == 200
    assert "La latitud debe estar entre -90 y 90." in resp.content.decode()
    assert not Contract.objects.exists()
    resp = admin_client.post(
        url,
        {
            "plan": plans["30"].pk,
            "start_date": "2026-01-01",
            "address": "Calle 1",
            "latitude": "-34.6",
            "longitude": "-58.38",
        },
    )
    assert resp.status_code == 302
    assert Contract.objects.get().latitude == Decimal("-34.600000")


def test_status_buttons_and_an_illegal_move_through_the_page(
    admin_client, subscriber, make_contract, admin_user
):
    contract = make_contract(subscriber)
    page = admin_client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "Marcar como instalado (activar)" in page and "Dar de baja" in page
    url = reverse("contracts:transition", args=[contract.pk])
    assert admin_client.post(url, {"to_status": "cancelled"}).status_code == 302
    resp = admin_client.post(url, {"to_status": "active"}, follow=True)
    assert "No se puede pasar un contrato de «Dado de baja» a «Activo»." in _messages(resp)
    assert Contract.objects.get().status == ContractStatus.CANCELLED


def test_a_technician_may_install_but_not_suspend(client, make_user, subscriber, make_contract):
    contract = make_contract(subscriber)
    client.force_login(make_user(TECHNICIAN))
    url = reverse("contracts:transition", args=[contract.pk])
    assert client.post(url, {"to_status": "active"}).status_code == 302
    assert client.post(url, {"to_status": "suspended"}).status_code == 403
    assert Contract.objects.get().status == ContractStatus.ACTIVE


def test_roles_without_the_permission_get_403(client, make_user, subscriber, plans):
    client.force_login(make_user(COLLECTOR))
    assert client.get(reverse("contracts:list")).status_code == 200
    assert client.get(reverse("contracts:create", args=[subscriber.pk])).status_code == 403
    assert client.get(reverse("contracts:plan_create")).status_code == 403
    assert (
        client.get(reverse("contracts:equipment_create", args=[subscriber.pk])).status_code == 403
    )
    assert client.get(reverse("network:router_create")).status_code == 403


def test_a_seller_only_reaches_its_own_clients(client, make_user, make_client, make_contract):
    mine, theirs = Seller.objects.create(name="Mía"), Seller.objects.create(name="Otra")
    own = make_client(name="Propio", seller=mine)
    other = make_client(name="Ajeno", seller=theirs)
    own_contract, other_contract = make_contract(own), make_contract(other)
    client.force_login(make_user(SELLER, seller=mine))
    assert client.get(reverse("contracts:create", args=[own.pk])).status_code == 200
    assert client.get(reverse("contracts:create", args=[other.pk])).status_code == 404
    assert client.get(reverse("contracts:detail", args=[other_contract.pk])).status_code == 404
    assert client.get(reverse("contracts:detail", args=[own_contract.pk])).status_code == 200
    body = client.get(reverse("contracts:list")).content.decode()
    assert "Propio" in body and "Ajeno" not in body


def test_client_tabs_run_a_fixed_number_of_queries(
    rf, admin_user, make_client, make_contract, plans, package, router_product
):
    def load(n):
        client_row = make_client()
        for i in range(n):
            contract = make_contract(client_row, address=f"Calle {i}")
            services.plan_assign(
                actor=admin_user, contract=contract, plan=plans["100"], start_date=date(2026, 2, 1)
            )
            services.equipment_install(
                actor=admin_user,
                client=client_row,
                data={"product": router_product, "contract": contract},
            )
            services.package_assign(
                actor=admin_user, client=client_row, package=package, start_date=date(2026, 1, 1)
            )
            services.signed_document_upload(
                actor=admin_user,
                client=client_row,
                uploaded_file=SimpleUploadedFile("c.pdf", PDF),
            )
        request = rf.get("/", {"tarifas_baja": "1"})
        request.user = admin_user
        from django.template.loader import render_to_string

        with CaptureQueriesContext(connection) as ctx:
            for panel in client_panels(request, client_row):
                render_to_string(panel.template, {"panel": panel}, request=request)
        return len(ctx.captured_queries)

    admin_user.has_perm("contracts.view_contract")  # warm the permission cache
    assert load(1) == load(6)


def test_ui_refuses_a_duplicate_mac_and_overlapping_plans(
    admin_client, subscriber, make_contract, plans, router_product, admin_user
):
    contract = make_contract(subscriber)
    services.equipment_install(
        actor=admin_user,
        client=subscriber,
        data={"product": router_product, "mac_address": "AA:BB:CC:00:00:01"},
    )
    resp = admin_client.post(
        reverse("contracts:equipment_create", args=[subscriber.pk]),
        {"product": router_product.pk, "mac_address": "aa-bb-cc-00-00-01"},
    )
    assert "ya está en otro equipo instalado" in resp.content.decode()
    assert Equipment.objects.count() == 1
    url = reverse("contracts:client_assign_plan", args=[subscriber.pk])
    admin_client.post(
        url, {"contract": contract.pk, "plan": plans["100"].pk, "start_date": "2026-03-01"}
    )
    before = list(PlanAssignment.objects.values_list("id", "plan_id", "start_date", "end_date"))
    assert len(before) == 2
    resp = admin_client.post(
        url,
        {"contract": contract.pk, "plan": plans["300"].pk, "start_date": "2026-02-01"},
        follow=True,
    )
    assert any("se solapan con la tarifa «Fibra 100 Mbps»" in m for m in _messages(resp))
    after = list(PlanAssignment.objects.values_list("id", "plan_id", "start_date", "end_date"))
    assert after == before


def test_ui_upload_refuses_executables_and_big_files_and_downloads_as_attachment(
    admin_client, client, make_user, subscriber, settings
):
    url = reverse("contracts:document_upload", args=[subscriber.pk])
    exe = SimpleUploadedFile("contrato.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")
    resp = admin_client.post(url, {"file": exe})
    assert "no es un PDF ni una imagen" in resp.content.decode()
    settings.ISPGEST_UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("contrato.pdf", PDF + b"x" * 200, "application/pdf")
    resp = admin_client.post(url, {"file": big})
    assert "supera el tamaño máximo" in resp.content.decode()
    assert not SignedDocument.objects.exists()
    settings.ISPGEST_UPLOAD_MAX_BYTES = 10_000
    ok = SimpleUploadedFile("firmado.pdf", PDF, "application/pdf")
    admin_client.post(url, {"file": ok, "title": "Alta"})
    document = SignedDocument.objects.get()
    resp = admin_client.get(reverse("contracts:document_download", args=[document.pk]))
    assert resp["Content-Disposition"].startswith("attachment;")
    assert resp["Content-Type"] == "application/pdf"
    assert b"".join(resp.streaming_content) == PDF
    client.force_login(make_user(TECHNICIAN))
    assert client.get(reverse("contracts:document_download", args=[document.pk])).status_code == 403


def test_renewal_actions_print_configure_edit_remove(admin_client, subscriber, package, admin_user):
    resp = admin_client.post(
        reverse("contracts:package_assign", args=[subscriber.pk]),
        {
            "package": package.pk,
            "start_date": "2026-01-15",
            "notes": "",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Hosting",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "5000",
        },
    )
    assert resp.status_code == 302
    assignment = PackageAssignment.objects.get()
    assert assignment.next_renewal_date == date(2027, 1, 15)
    pdf = admin_client.get(reverse("contracts:package_assignment_print", args=[assignment.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    resp = admin_client.post(
        reverse("contracts:package_assignment_configure", args=[assignment.pk]),
        {"renewal_months": "6", "next_renewal_date": "2026-07-15", "notes": "x"},
    )
    assert resp.status_code == 302
    resp = admin_client.post(
        reverse("contracts:package_assignment_edit", args=[assignment.pk]),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-description": "Hosting",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "5000",
        },
    )
    assert resp.status_code == 302
    admin_client.post(reverse("contracts:package_assignment_remove", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == "removed" and assignment.renewal_months == 6
    assert assignment.lines.get().quantity == Decimal("2")
    assert ClientEvent.objects.filter(action__startswith="package.").count() == 4


def test_plan_pages_for_administrators(admin_client, tax):
    resp = admin_client.post(
        reverse("contracts:plan_create"),
        {
            "name": "Radio 10 Mbps",
            "kind": "monthly",
            "price": "7000",
            "currency": "ARS",
            "tax": tax.pk,
            "download_kbps": "10000",
            "upload_kbps": "1000",
            "priority": "8",
            "active": "on",
        },
    )
    assert resp.status_code == 302, resp.content.decode()
    plan = Plan.objects.get(name="Radio 10 Mbps")
    assert "Radio 10 Mbps" in admin_client.get(reverse("contracts:plan_list")).content.decode()
    admin_client.post(reverse("contracts:plan_deactivate", args=[plan.pk]))
    assert Plan.objects.get(pk=plan.pk).active is False


def test_the_client_workspace_lists_every_section_and_shows_each(
    admin_client, subscriber, make_contract, admin_user
):
    make_contract(subscriber, latitude=Decimal("-34.6"), longitude=Decimal("-58.4"))
    old_page = admin_client.get(reverse("contracts:client", args=[subscriber.pk]))
    assert old_page.status_code == 302
    contracts = admin_client.get(old_page["Location"]).content.decode()
    for title in (
        "Contratos",
        "Asignación de tarifas",
        "Equipamiento",
        "Renovaciones",
        "Contratos firmados",
        "Nuevo contrato",
    ):
        assert title in contracts
    assert "https://www.openstreetmap.org/?mlat=-34.600000&amp;mlon=-58.400000" in contracts
    section = reverse("clients:section", args=[subscriber.pk, "tarifas"])
    assert "Mostrar tarifas de baja" in admin_client.get(section).content.decode()
    section = reverse("clients:section", args=[subscriber.pk, "equipamiento"])
    assert "Añadir nuevo" in admin_client.get(section).content.decode()


def test_the_contracts_list_searches_address_and_client_name(
    admin_client, make_client, make_contract
):
    make_contract(make_client(name="José Núñez"), address="Rivadavia 300")
    make_contract(make_client(name="Marta Gómez"), address="Colón 12")
    url = reverse("contracts:list")
    body = admin_client.get(url, {"q": "JOSE núñez"}).content.decode()
    assert "Rivadavia 300" in body and "Colón 12" not in body
    body = admin_client.get(url, {"q": "colón"}).content.decode()
    assert "Colón 12" in body and "Rivadavia 300" not in body


def test_saving_a_package_with_its_lines_untouched_keeps_them(admin_client, package):
    url = reverse("contracts:package_edit", args=[package.pk])
    before = [(line.description, line.quantity, line.unit_price) for line in package.lines.all()]
    data = form_values(admin_client.get(url).content)
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()
    after = [(line.description, line.quantity, line.unit_price) for line in package.lines.all()]
    assert after == before


def test_adding_a_line_while_editing_keeps_the_untouched_ones(admin_client, package):
    url = reverse("contracts:package_edit", args=[package.pk])
    before = [line.description for line in package.lines.all()]
    data = form_values(admin_client.get(url).content)
    extra = int(data["lines-TOTAL_FORMS"]) - 1  # the empty form the page offers
    data[f"lines-{extra}-description"] = "Visita técnica"
    data[f"lines-{extra}-quantity"] = "1"
    data[f"lines-{extra}-unit_price"] = "1200"
    resp = admin_client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()
    assert [line.description for line in package.lines.all()] == [*before, "Visita técnica"]


def test_editing_a_clients_package_lines_untouched_keeps_them(
    admin_client, subscriber, package, admin_user
):
    assignment = services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=date(2026, 1, 15)
    )
    url = reverse("contracts:package_assignment_edit", args=[assignment.pk])
    before = [(line.description, line.quantity) for line in assignment.lines.all()]
    resp = admin_client.post(url, form_values(admin_client.get(url).content))
    assert resp.status_code == 302, resp.content.decode()
    assert [(line.description, line.quantity) for line in assignment.lines.all()] == before


def test_the_equipment_technician_choice_offers_the_technicians(
    admin_client, make_user, subscriber
):
    technician = make_user(TECHNICIAN, username="tecnico1", first_name="Tomás")
    seller = make_user(SELLER, username="vende1")
    make_user(TECHNICIAN, username="baja", is_active=False)
    page = admin_client.get(reverse("contracts:equipment_create", args=[subscriber.pk]))
    choices = page.context["form"].fields["technician"].queryset
    assert list(choices) == [technician]
    assert seller not in choices


def test_after_an_upload_error_the_typed_description_is_still_there(admin_client, subscriber):
    from lxml import html as lxml_html

    url = reverse("contracts:document_upload", args=[subscriber.pk])
    exe = SimpleUploadedFile("contrato.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf")
    resp = admin_client.post(url, {"file": exe, "title": "Contrato de alta firmado en 2026"})
    page = lxml_html.fromstring(resp.content.decode())
    assert page.xpath("//input[@name='title']/@value") == ["Contrato de alta firmado en 2026"]
    errors = " ".join(e.text_content() for e in page.xpath("//*[@role='alert']"))
    assert "no es un PDF ni una imagen" in errors
    back = reverse("clients:section", args=[subscriber.pk, "contratos-firmados"])
    assert page.xpath(f"//a[@href='{back}']")
    assert not SignedDocument.objects.exists()
