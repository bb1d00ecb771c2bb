"""The client header's balance and unpaid invoices are money: they need clients.view_money
(core.visibility) besides billing.view_invoice."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from lxml import html as lxml_html

from ispgest.accounts.roles import BILLING
from ispgest.billing.models import ClientBalance
from ispgest.clients.models import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def debtor(db):
    client = Client(name="Debe Mucho")
    client.refresh_search_fields()
    client.save()
    ClientBalance.objects.create(client=client, unpaid_count=3, unpaid_total=Decimal("4321.98"))
    return client


def _facts(client, debtor) -> str:
    page = lxml_html.fromstring(client.get(reverse("clients:detail", args=[debtor.pk])).content)
    return page.xpath("string(//*[@id='client-facts'])")


def _with(user, *names):
    for name in names:
        app, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


def test_reading_invoices_without_the_money_permission_shows_no_balance(client, make_user, debtor):
    user = _with(
        make_user(None),
        "clients.view_client",
        "clients.view_all_clients",
        "billing.view_invoice",
    )
    client.force_login(user)
    facts = _facts(client, debtor)
    assert "Debe Mucho" in client.get(reverse("clients:detail", args=[debtor.pk])).content.decode()
    assert "Saldo" not in facts and "Facturas impagas" not in facts


def test_billing_sees_the_balance_and_unpaid_invoices(client, make_user, debtor):
    client.force_login(make_user(BILLING))
    facts = _facts(client, debtor)
    assert "Saldo" in facts and "Facturas impagas" in facts
