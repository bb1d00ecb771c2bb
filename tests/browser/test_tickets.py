"""Tickets in a real Chromium: a technician opens a ticket from the client's workspace with
an attachment, answers it with a public reply (which reaches a real SMTP server) and an
internal note (which does not), sees the client's reply with a `<script>` shown as text,
assigns it to itself, resolves and reopens it, and finds it in "Mis tickets"."""

import re

import pytest
from playwright.sync_api import expect

from ispgest.accounts.roles import TECHNICIAN
from ispgest.clients.models import Client, ClientEvent
from ispgest.tickets import services
from ispgest.tickets.models import Status, Ticket, TicketCategory
from ispgest.tickets.tests.conftest import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_technician_works_a_ticket_from_the_client_workspace(page, login, make_user, smtp_server):
    TicketCategory.objects.get_or_create(name="Sin conexión")
    client = Client(name="Ana Pérez", email="ana@correo.test")
    client.refresh_search_fields()
    client.save()
    tech = make_user(TECHNICIAN, username="tomas", first_name="Tomás", last_name="Ruiz")
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    login(tech)

    page.goto(f"/clientes/{client.pk}/seccion/tickets/")
    expect(page.locator("#client-tickets")).to_contain_text("El cliente no tiene tickets.")
    page.locator("#client-ticket-create").click()
    expect(page.get_by_role("navigation", name="Secciones del cliente")).to_be_visible()
    page.get_by_label("Asunto").fill("Sin conexión desde ayer")
    page.get_by_label("Categoría").select_option(label="Sin conexión")
    page.get_by_label("Prioridad").select_option(label="Urgente")
    page.get_by_label("Mensaje").fill("El router tiene la luz roja.")
    page.get_by_label("Adjuntos").set_input_files(
        [{"name": "foto-router.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.get_by_label("Enviar acuse de recibo al cliente por e-mail").uncheck()
    page.get_by_role("button", name="Crear ticket").click()

    ticket = Ticket.objects.get()
    expect(page.locator("#ticket-title")).to_have_text(f"#{ticket.pk} · Sin conexión desde ayer")
    expect(page.locator("#ticket-status")).to_have_text("Nuevo")
    expect(page.get_by_role("link", name=re.compile("foto-router.pdf"))).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("foto-router.pdf")).click()
    assert download.value.suggested_filename == "foto-router.pdf"

    form = page.locator("#reply-form")
    form.get_by_label("Mensaje").fill("Reinicie el equipo y avísenos, por favor.")
    form.get_by_label("Estado después de responder").select_option(label="En espera del cliente")
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator("#messages")).to_contain_text("Respuesta enviada al cliente.")
    expect(page.locator("#ticket-status")).to_have_text("En espera del cliente")

    form = page.locator("#reply-form")
    form.get_by_label("Mensaje").fill("Posible falla de la ONT: llevar repuesto.")
    form.get_by_label("Nota interna (no se muestra ni se envía al cliente)").check()
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator("#messages")).to_contain_text("Nota interna guardada.")
    expect(page.locator("#ticket-thread [data-kind=internal]")).to_contain_text("llevar repuesto")

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["ana@correo.test"]
    assert f"[#{ticket.pk}]" in mail.subject
    assert "Reinicie el equipo" in mail.text() and "repuesto" not in mail.text()

    services.ticket_client_reply(
        client=client, ticket=ticket, body="Ya reinicié <script>alert('x')</script>"
    )
    page.reload()
    expect(page.locator("#ticket-thread li").last).to_contain_text(
        "Ya reinicié <script>alert('x')</script>"
    )
    expect(page.locator("#ticket-status")).to_have_text("Abierto")
    assert alerts == []

    page.locator("#assign-form").get_by_label("Asignado a").select_option(label="Tomás Ruiz")
    page.locator("#assign-form").get_by_role("button", name="Asignar").click()
    expect(page.locator("#ticket-assignee")).to_have_text("Tomás Ruiz")

    page.locator("#ticket-transitions").get_by_role("button", name="Resuelto").click()
    expect(page.locator("#ticket-status")).to_have_text("Resuelto")
    page.locator("#ticket-transitions").get_by_role("button", name="Reabrir").click()
    expect(page.locator("#ticket-status")).to_have_text("Abierto")

    page.locator("#ticket-client-link").click()
    expect(page.locator("#client-tickets")).to_contain_text("Sin conexión desde ayer")
    page.get_by_role("link", name="Tickets", exact=True).first.click()
    page.locator("#nav-my-tickets").click()
    expect(page.locator("#ticket-table")).to_contain_text("Sin conexión desde ayer")
    page.get_by_label("Buscar").fill("inexistente")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("#ticket-table")).to_contain_text("No hay tickets con estos filtros.")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.assignee == tech
    actions = set(ClientEvent.objects.filter(client=client).values_list("action", flat=True))
    assert {
        "ticket.created",
        "ticket.replied",
        "ticket.note",
        "ticket.client_replied",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.reopened",
    } <= actions
