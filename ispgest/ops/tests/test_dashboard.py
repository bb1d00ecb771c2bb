"""Inicio: every app's cards and charts, per role, each figure a link, in few queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.roles import SELLER, TECHNICIAN
from ispgest.billing import services as billing
from ispgest.billing.services import LineInput
from ispgest.billing.stats import refresh_money_tallies
from ispgest.billing.tests.factories import make_client, make_contract, make_plan, setup_billing
from ispgest.catalog.models import InvoiceType, Seller, TaxCondition, Zone
from ispgest.clients.stats import refresh_client_tallies
from ispgest.ops.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def isp(db):
    entity = setup_billing()
    zone = Zone.objects.create(name="Centro")
    ana = Seller.objects.create(name="Ana")
    plan = make_plan("1500.00")
    own = make_client(entity, zone=zone, seller=ana, name="Propia Uno")
    other = make_client(entity, zone=zone, name="Ajena Dos")
    make_contract(own, plan)
    make_contract(other, plan)
    billing.document_create(
        actor=None, client=own, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    billing.document_create(
        actor=None, client=other, lines=[LineInput("Servicio", "1", "900")], notify=False
    )
    refresh_client_tallies()
    refresh_money_tallies()
    return {"zone": zone, "ana": ana}


def _card(html: str, key: str) -> str:
    match = re.search(rf'data-card="{re.escape(key)}".*?</div></div></div>', html, re.S)
    assert match, f"no card {key}"
    return match.group(0)


def test_an_administrator_sees_clients_money_and_system_figures_with_links(admin_client, isp):
    html = admin_client.get(reverse("home")).content.decode()
    for title in ("Clientes", "Cobros y facturación", "Sistema"):
        assert f">{title}</h2>" in html
    active = _card(html, "clients.active")
    assert ">2<" in active and 'href="/clientes/?status=active"' in active
    invoiced = _card(html, "billing.invoiced")
    assert "1.000,00" in invoiced and "/facturacion/documentos/?kind=invoice&amp;desde=" in invoiced
    assert "3.000,00" in _card(html, "billing.mrr")
    assert "overdue=on" in _card(html, "billing.overdue")
    assert "Nunca arrancó" in _card(html, "ops.scheduler")
    # Charts are inline SVG, bars are links to the list behind them; no script anywhere.
    assert '<svg viewBox="0 0 640' in html
    assert f'href="/clientes/?status=active&amp;zone={isp["zone"].pk}"' in html
    assert "<script>" not in html.replace('<script src="', "")


def test_a_technician_sees_no_money(client, make_user, isp):
    client.force_login(make_user(TECHNICIAN))
    html = client.get(reverse("home")).content.decode()
    assert 'data-card="clients.active"' in html
    assert "billing." not in html and "Ingreso mensual" not in html and "Sistema" not in html


def test_a_seller_sees_its_own_clients_figures(client, make_user, isp):
    client.force_login(make_user(SELLER, seller=isp["ana"]))
    html = client.get(reverse("home")).content.decode()
    assert ">1<" in _card(html, "clients.active")
    assert "100,00" in _card(html, "billing.invoiced")
    assert "1.500,00" in _card(html, "billing.mrr")
    assert 'data-card="ops.queue"' not in html


def test_the_page_costs_the_same_queries_at_any_size(admin_client, isp):
    admin_client.get(reverse("home"))
    with CaptureQueriesContext(connection) as small:
        admin_client.get(reverse("home"))
    entity = setup_billing.__globals__["BillingEntity"].objects.first()
    for i in range(30):
        zone = Zone.objects.create(name=f"Zona {i}")
        make_client(entity, zone=zone, seller=Seller.objects.create(name=f"S{i}"))
    refresh_client_tallies()
    refresh_money_tallies()
    with CaptureQueriesContext(connection) as large:
        admin_client.get(reverse("home"))
    assert len(large) == len(small)
    assert len(small) <= 25, [q["sql"] for q in small.captured_queries]


def test_system_cards_count_failures_of_the_last_day(admin_client, isp, settings):
    from ispgest.messaging.models import EmailMessage

    EmailMessage.objects.create(
        from_email="a@b.c",
        to=["x@y.z"],
        subject="Factura de hoy",
        body_text="t",
        status="failed",
        error="550 buzón inexistente",
    )
    old = EmailMessage.objects.create(
        from_email="a@b.c",
        to=["x@y.z"],
        subject="Factura de anteayer",
        body_text="t",
        status="failed",
    )
    EmailMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from ispgest.ops.tests.sample_tasks import explode, note

    note.enqueue()
    explode.enqueue()
    html = admin_client.get(reverse("home")).content.decode()
    assert ">1<" in _card(html, "ops.failed_emails")
    assert ">2<" in _card(html, "ops.queue")
    assert JobRun.objects.count() == 0
    queue_page = admin_client.get(reverse("ops:task_list")).content.decode()
    assert "ispgest.ops.tests.sample_tasks.note" in queue_page
    failed_mail = admin_client.get(_hrefs(html)["ops.failed_emails"]).content.decode()
    assert 'id="failed-emails"' in failed_mail and "550 buzón inexistente" in failed_mail
    assert "Factura de hoy" in failed_mail and "Factura de anteayer" not in failed_mail


def test_an_english_speaking_administrator_reads_inicio_in_english(client, make_user, isp):
    from ispgest.accounts.roles import ADMIN

    user = make_user(ADMIN, language="en")
    client.post(
        reverse("accounts:login"), {"username": user.username, "password": "secreto-123456"}
    )
    html = client.get(reverse("home")).content.decode()
    for text in ("Active clients", "Monthly recurring revenue", "Invoiced this month", "System"):
        assert text in html
    assert "Clientes activos" not in html


def _hrefs(html: str) -> dict[str, str]:
    """The link of every card (by key) and every chart bar (by its label) on Inicio."""
    from html import unescape

    links = {}
    for key, body in re.findall(r'data-card="([^"]+)"(.*?)</div></div></div>', html, re.S):
        match = re.search(r'href="([^"]+)"', body)
        links[key] = unescape(match.group(1)) if match else ""
    for i, href in enumerate(re.findall(r'<a href="([^"]+)"><rect ', html)):
        links[f"bar{i}"] = unescape(href)
    return links


@pytest.fixture
def busy_isp(isp):
    """Besides `isp`: a suspended contract, an overdue invoice, a wallet, a deactivated
    client, a client without zone; then fresh snapshots."""
    from ispgest.billing.tests.dated import invoice_due
    from ispgest.clients.models import Client
    from ispgest.clients.services import client_deactivate
    from ispgest.contracts.models import Contract
    from ispgest.contracts.services import contract_suspend

    entity = setup_billing.__globals__["BillingEntity"].objects.first()
    plan = make_plan("700.00")
    # Type A (its own number sequence): `isp` already issued today's B invoices, and numbering
    # is chronological, so this back-dated overdue invoice cannot join their sequence.
    late = make_client(
        entity,
        zone=isp["zone"],
        seller=isp["ana"],
        name="Morosa Tres",
        condition=TaxCondition.objects.get(name="Responsable Inscripto"),
        invoice_type=InvoiceType.objects.get(code="A"),
    )
    make_contract(late, plan)
    invoice_due(late, "70", due_in=-6)
    billing.wallet_deposit(actor=None, client=late, amount="15", concept="Adelanto")
    cut = make_client(entity, zone=isp["zone"], name="Cortada Cuatro")
    contract_suspend(actor=None, contract=make_contract(cut, plan), reason="Impago")
    gone = make_client(entity, zone=isp["zone"], seller=isp["ana"], name="Baja Cinco")
    client_deactivate(actor=None, client=gone)
    make_client(entity, name="Sin Zona Seis")
    assert Contract.objects.filter(status="suspended").count() == 1
    assert Client.objects.exclude(deactivated_at=None).count() == 1
    refresh_client_tallies()
    refresh_money_tallies()
    return isp


@pytest.mark.parametrize("role", ["admin", SELLER, TECHNICIAN])
def test_every_figure_opens_the_list_behind_it_with_the_same_count(
    client, make_user, busy_isp, role
):
    """Each card and bar the user sees is a link its user may open (no 403, no 404); a
    client count opens the client list filtered to exactly that many clients."""
    from ispgest.accounts.roles import ADMIN

    user = make_user(ADMIN if role == "admin" else role, seller=busy_isp["ana"])
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    links = _hrefs(html)
    cards = [k for k in links if not k.startswith("bar")]
    assert "clients.active" in cards and any(k.startswith("bar") for k in links)
    counted = {"clients.active", "clients.new", "clients.churn", "clients.suspended"}
    if role != TECHNICIAN:
        counted.add("billing.overdue")
    assert counted <= set(cards)
    for key, url in links.items():
        assert url, f"{key} has no link"
        response = client.get(url)
        assert response.status_code == 200, (key, url, response.status_code)
        if key in counted:
            value = re.search(r'class="display-value"><a[^>]*>([^<]+)<', _card(html, key))
            shown = re.search(r'id="result-count"[^>]*>([\d.]+) client', response.content.decode())
            assert value and shown, (key, url)
            assert value.group(1) == shown.group(1), (key, url, value.group(1), shown.group(1))
