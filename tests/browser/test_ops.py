"""The operations "Done when" flow in a real Chromium: an administrator sees Inicio with
real figures and charts, opens Configuración → Tareas programadas, runs the due-date
reminder job now, and the reminder arrives at a real SMTP server."""

import re

import pytest
from playwright.sync_api import expect

from ispgest.billing.stats import refresh_money_tallies
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import make_client, make_contract, make_plan, setup_billing
from ispgest.catalog.models import Zone
from ispgest.clients.stats import refresh_client_tallies
from ispgest.ops.models import JobRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_reads_the_figures_and_runs_the_reminders_now(
    page, login, admin_user, smtp_server
):
    entity = setup_billing()
    north, south = Zone.objects.create(name="Zona Norte"), Zone.objects.create(name="Zona Sur")
    plan = make_plan("2500.00", name="Fibra 300")
    ana = make_client(entity, name="Ana Gómez", email="ana@cliente.test", zone=north)
    make_contract(ana, plan)
    for i in range(3):
        make_contract(make_client(entity, name=f"Vecino {i}", zone=south), plan)
    invoice = invoice_due(ana, "2500", due_in=2, text="Abono Fibra 300")
    refresh_client_tallies()
    refresh_money_tallies()

    login(admin_user)
    page.goto("/")
    active = page.locator('[data-card="clients.active"]')
    expect(active).to_contain_text("Clientes activos")
    expect(active.locator(".display-value")).to_have_text("4")
    expect(page.locator('[data-card="billing.mrr"] .display-value')).to_contain_text("10.000,00")
    expect(page.locator('[data-card="billing.invoiced"] .display-value')).to_contain_text(
        "2.500,00"
    )
    zones = page.locator("#chart-clients-by-zone svg")
    expect(zones).to_be_visible()
    expect(zones.locator("text", has_text="Zona Sur")).to_have_count(1)
    expect(page.locator("#chart-invoiced-collected svg rect")).to_have_count(24)
    # A bar is the list behind it.
    page.locator("#chart-clients-by-zone a").first.click()
    page.wait_for_url(re.compile(rf"/clientes/\?status=active&zone={south.pk}$"))
    expect(page.get_by_text("Vecino 0")).to_be_visible()
    expect(page.get_by_text("Ana Gómez")).to_have_count(0)

    page.goto("/")
    page.get_by_role("link", name="Configuración", exact=True).first.click()
    page.get_by_role("link", name="Tareas programadas").click()
    expect(page.get_by_role("heading", name="Tareas programadas")).to_be_visible()
    row = page.locator('tr[data-job="billing.due_reminders"]')
    expect(row).to_contain_text("Recordatorios de vencimiento")
    expect(row).to_contain_text("A las 09:00")
    row.get_by_role("button", name="Ejecutar ahora").click()
    expect(page.locator("#messages .alert-success")).to_contain_text("encolada")
    expect(page.locator('tr[data-job="billing.due_reminders"]')).to_contain_text("Correcta")

    reminders = [m for m in smtp_server.received if invoice.number_display in m.subject]
    assert len(reminders) == 1
    mail = reminders[0]
    assert mail.rcpt_tos == ["ana@cliente.test"]
    assert "2.500,00" in mail.text() and "vence" in mail.subject
    run = JobRun.objects.get(job_name="billing.due_reminders")
    assert run.trigger == JobRun.Trigger.MANUAL and run.result == {"before": 1, "after": 0}
