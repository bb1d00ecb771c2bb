"""Clients' dashboard snapshot and the list filters its figures link to."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ispgest.billing.tests.factories import make_client, make_contract, make_plan, setup_billing
from ispgest.catalog.models import Seller, Zone
from ispgest.clients import services
from ispgest.clients.models import Client
from ispgest.clients.scoping import ClientScope
from ispgest.clients.stats import client_figures, refresh_client_tallies
from ispgest.contracts.models import ContractStatus

pytestmark = pytest.mark.django_db
ALL = ClientScope(all=True)


@pytest.fixture
def town(db):
    entity = setup_billing()
    north, south = Zone.objects.create(name="Norte"), Zone.objects.create(name="Sur")
    seller = Seller.objects.create(name="Ana")
    clients = {
        "a": make_client(entity, zone=north, seller=seller, name="Alba Ruiz"),
        "b": make_client(entity, zone=north, name="Bruno Paz"),
        "c": make_client(entity, zone=south, name="Carla Sol"),
        "d": make_client(entity, name="Darío Luz"),
    }
    last_month = timezone.now() - timedelta(days=40)
    Client.objects.filter(pk=clients["d"].pk).update(created_at=last_month)
    services.client_deactivate(actor=None, client=clients["c"])
    make_contract(clients["b"], make_plan(), status=ContractStatus.SUSPENDED)
    return {"north": north, "south": south, "seller": seller, **clients}


def test_the_snapshot_counts_active_new_gone_and_suspended_clients(town):
    refresh_client_tallies()
    figures = client_figures(ALL)
    assert figures.ready
    assert (figures.active, figures.inactive) == (3, 1)
    assert figures.created_in_month == 3  # d was created last month
    assert figures.deactivated_in_month == 1
    assert figures.suspended == 1
    assert figures.by_zone[0] == (town["north"].pk, 2)
    assert (0, 1) in figures.by_zone  # no zone


def test_a_seller_sees_only_its_clients_figures(town):
    refresh_client_tallies()
    figures = client_figures(ClientScope(seller_id=town["seller"].pk))
    assert (figures.active, figures.suspended) == (1, 0)
    assert client_figures(ClientScope()).active == 0


def test_last_months_snapshot_does_not_pass_for_this_months_flows(town):
    refresh_client_tallies(now=timezone.now() - timedelta(days=40))
    figures = client_figures(ALL)
    assert figures.created_in_month is None and figures.deactivated_in_month is None


def test_the_list_filters_deactivated_in_a_period_overdue_and_wallet(admin_client, town):
    from ispgest.billing import services as billing
    from ispgest.billing.services import LineInput
    from ispgest.billing.tests.dated import invoice_due

    url = reverse("clients:list")
    first = timezone.localdate().replace(day=1).isoformat()
    html = admin_client.get(url, {"status": "inactive", "deactivated_from": first}).content
    assert town["c"].name.encode() in html and town["a"].name.encode() not in html
    invoice_due(town["a"], "50", due_in=-3)
    billing.document_create(
        actor=None, client=town["b"], lines=[LineInput("Servicio", "1", "50")], notify=False
    )
    html = admin_client.get(url, {"status": "all", "overdue": "on"}).content.decode()
    assert town["a"].name in html and town["b"].name not in html
    billing.wallet_deposit(actor=None, client=town["b"], amount="10", concept="Adelanto")
    html = admin_client.get(url, {"status": "all", "wallet": "on"}).content.decode()
    assert town["b"].name in html and town["a"].name not in html
