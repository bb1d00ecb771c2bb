"""`manage.py demo_data` (what `make run` loads the first time) leaves Inicio with figures:
the summary rows are computed from the bulk-loaded data, collections included."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from ispgest.billing.models import MonthlyMoney, Payment
from ispgest.billing.stats import money_figures
from ispgest.clients.models import Client
from ispgest.clients.scoping import ClientScope
from ispgest.clients.stats import client_figures

pytestmark = pytest.mark.django_db


def test_demo_data_leaves_the_dashboard_computed():
    call_command("demo_data", clients=30, stdout=io.StringIO())
    everyone = ClientScope(all=True)
    clients = client_figures(everyone)
    assert clients.ready
    assert clients.active == Client.objects.filter(status="active").count() > 0
    money = money_figures(everyone)
    assert money.ready and money.mrr > 0
    paid = Payment.objects.aggregate(s=Sum("amount"))["s"]
    assert paid and MonthlyMoney.objects.aggregate(s=Sum("collected"))["s"] == paid
