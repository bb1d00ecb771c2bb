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
from ispgest.catalog.models import Seller, Zone
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
        from_email="a@b.c", to=["x@y.z"], subject="s", body_text="t", status="failed"
    )
    old = EmailMessage.objects.create(
        from_email="a@b.c", to=["x@y.z"], subject="s", body_text="t", status="failed"
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
