"""Billing's dashboard figures: monthly money kept in the writing transaction, the rebuild,
the point-in-time snapshot, scopes, and the document/payment lists the figures link to."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.roles import SELLER
from ispgest.billing import services
from ispgest.billing.models import MonthlyMoney
from ispgest.billing.services import LineInput
from ispgest.billing.stats import (
    money_figures,
    rebuild_monthly_money,
    refresh_money_tallies,
)
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
)
from ispgest.catalog.models import Seller
from ispgest.clients.scoping import ClientScope
from ispgest.contracts.models import ContractStatus

pytestmark = pytest.mark.django_db
ALL = ClientScope(all=True)


def _invoice(client, amount, **kw):
    return services.document_create(
        actor=None, client=client, lines=[LineInput("Servicio", "1", amount)], notify=False, **kw
    )


def _pay(client, invoice, amount):
    return services.payment_register(
        actor=None,
        client=client,
        method=method("cash"),
        amount=amount,
        invoices=[invoice],
        notify=False,
    )


def test_invoices_payments_and_reversals_move_this_month_in_their_own_transaction():
    client = make_client(setup_billing())
    inv = _invoice(client, "1000")
    month = timezone.localdate().replace(day=1)
    row = MonthlyMoney.objects.get(month=month)
    assert (row.invoiced, row.invoices, row.collected) == (Decimal("1000.00"), 1, Decimal(0))
    payment = _pay(client, inv, "400")
    row.refresh_from_db()
    assert (row.collected, row.payments) == (Decimal("400.00"), 1)
    services.payment_reverse(actor=None, payment=payment, reason="cheque rechazado")
    row.refresh_from_db()
    assert (row.collected, row.payments) == (Decimal("0.00"), 0)
    services.credit_note_create(actor=None, invoice=inv, amount="100", reason="corte", notify=False)
    row.refresh_from_db()
    assert row.credited == Decimal("100.00") and row.invoiced == Decimal("1000.00")


def test_a_failed_payment_leaves_the_month_untouched():
    client = make_client(setup_billing())
    inv = _invoice(client, "100")
    with pytest.raises(Exception, match="supera lo adeudado"):
        _pay(client, inv, "500")
    assert MonthlyMoney.objects.get().collected == 0


def test_the_rebuild_matches_the_running_figures_and_repairs_drift():
    client = make_client(setup_billing())
    inv = _invoice(client, "1000")
    _pay(client, inv, "250")
    running = list(MonthlyMoney.objects.values("month", "invoiced", "collected", "payments"))
    MonthlyMoney.objects.update(invoiced=1, collected=999)  # drift: a loader wrote around
    rebuild_monthly_money()
    assert list(MonthlyMoney.objects.values("month", "invoiced", "collected", "payments")) == (
        running
    )


def test_the_snapshot_holds_recurring_revenue_debt_overdue_and_wallets():
    entity = setup_billing()
    plan = make_plan("1000.00")
    a, b, c = (make_client(entity) for _ in range(3))
    make_contract(a, plan)  # 1000
    make_contract(b, plan, price="750.00")  # a custom price on the assignment
    make_contract(c, plan, status=ContractStatus.SUSPENDED)  # not recurring revenue now
    invoice_due(a, "300", due_in=-30)
    _invoice(b, "200")  # unpaid, not due yet
    services.wallet_deposit(actor=None, client=c, amount="55", concept="Adelanto")
    refresh_money_tallies()
    figures = money_figures(ALL)
    assert figures.ready
    assert figures.mrr == Decimal("1750.00") and figures.active_contracts == 2
    assert figures.unpaid_total == Decimal("500.00") and figures.unpaid_clients == 2
    assert figures.overdue_total == Decimal("300.00") and figures.overdue_clients == 1
    assert figures.wallet_total == Decimal("55.00") and figures.wallet_clients == 1
    assert len(figures.months) == 12 and figures.this_month.invoiced == Decimal("200.00")


def test_a_seller_scope_sums_only_that_sellers_clients():
    entity = setup_billing()
    north, south = Seller.objects.create(name="Norte"), Seller.objects.create(name="Sur")
    _invoice(make_client(entity, seller=north), "100")
    _invoice(make_client(entity, seller=south), "900")
    refresh_money_tallies()
    mine = money_figures(ClientScope(seller_id=north.pk))
    assert mine.unpaid_total == Decimal("100.00")
    assert mine.this_month.invoiced == Decimal("100.00")
    assert money_figures(ALL).this_month.invoiced == Decimal("1000.00")
    assert money_figures(ClientScope()).this_month.invoiced == 0


def test_the_document_list_filters_by_issue_dates_and_overdue(admin_client):
    client = make_client(setup_billing())
    today = timezone.localdate()
    old = invoice_due(client, "10", due_in=-50)
    new = _invoice(client, "20")
    url = reverse("billing:invoice_list")
    html = admin_client.get(url, {"desde": today.replace(day=1).isoformat()}).content.decode()
    assert new.number_display in html and old.number_display not in html
    html = admin_client.get(url, {"vencidas": "on"}).content.decode()
    assert old.number_display in html and new.number_display not in html
    html = admin_client.get(url, {"desde": "2026-05-02", "hasta": "2026-05-01"}).content.decode()
    assert "La fecha final es anterior a la inicial" in html


def test_the_payment_list_shows_the_visible_clients_payments_and_their_total(client, make_user):
    entity = setup_billing()
    north = Seller.objects.create(name="Norte")
    mine = make_client(entity, seller=north, name="Cliente Propio")
    other = make_client(entity, name="Cliente Ajeno")
    _pay(mine, _invoice(mine, "100"), "100")
    _pay(other, _invoice(other, "900"), "900")
    user = make_user(SELLER, seller=north)
    client.force_login(user)
    first = date.today().replace(day=1).isoformat()
    response = client.get(reverse("billing:payment_list"), {"desde": first})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cliente Propio" in html and "Cliente Ajeno" not in html
    assert "100,00" in html and "900,00" not in html


def test_a_contract_without_an_open_assignment_counts_its_plans_price():
    from ispgest.contracts.models import PlanAssignment

    entity = setup_billing()
    plan = make_plan("1000.00")
    a, b = make_client(entity), make_client(entity)
    make_contract(a, plan, price="750.00")
    closed = make_contract(b, plan, price="300.00")
    PlanAssignment.objects.filter(contract=closed).update(end_date=date(2026, 1, 31))
    refresh_money_tallies()
    figures = money_figures(ALL)
    # 750 from a's open assignment, b's plan price (1000) for the contract without one
    assert figures.mrr == Decimal("1750.00") and figures.active_contracts == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the plan shape is PostgreSQL's; the SQLite run checks the figures above",
)
def test_contracts_without_an_open_assignment_are_found_by_an_anti_join():
    from ispgest.billing.stats import contracts_without_open_assignment

    plan = contracts_without_open_assignment().explain()
    # NOT IN (subquery) would be a (hashed) SubPlan, rescanned per row once it outgrows
    # work_mem; NOT EXISTS is an anti join whatever the size
    assert "Anti Join" in plan and "SubPlan" not in plan, plan
