from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from ispgest.billing import engine
from ispgest.billing.models import BillingRun, ClientBalance, Invoice
from ispgest.billing.selectors import unpaid_summary
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    setup_billing,
    tax,
)
from ispgest.clients.models import ClientEvent
from ispgest.contracts.models import ContractStatus, ContractStatusChange, PlanAssignment

RUN = date(2026, 11, 1)  # invoices October 2026 (31 days)

pytestmark = pytest.mark.django_db


def run(day=RUN, **kw):
    return engine.billing_run_execute(BillingRun.objects.create(run_date=day), notify=False, **kw)


def test_it_issues_one_invoice_per_contract_never_one_for_several():
    entity = setup_billing()
    client = make_client(entity, billing_tax=tax())
    plan = make_plan("1210.00")
    c1 = make_contract(client, plan)
    c2 = make_contract(client, plan)
    result = run()
    assert result.invoices_issued == 2
    invoices = list(Invoice.objects.order_by("number"))
    assert {i.contract_id for i in invoices} == {c1.pk, c2.pk}
    assert [i.number for i in invoices] == [1, 2]
    assert invoices[0].number_display == "B 00003-00000001"
    assert invoices[0].total == Decimal("1210.00")
    assert invoices[0].subtotal == Decimal("1000.00")
    assert invoices[0].tax_total == Decimal("210.00")
    assert invoices[0].period_start == date(2026, 10, 1)
    assert invoices[0].client_address == client.address
    summary = unpaid_summary([client.pk])[client.pk]
    assert summary["unpaid_count"] == 2 and summary["unpaid_total"] == Decimal("2420.00")
    assert ClientEvent.objects.filter(client=client, action="invoice.issued").count() == 2


def test_it_adds_tax_when_not_included_and_rounds_per_line_half_up():
    entity = setup_billing()
    client = make_client(entity, billing_tax=tax("IVA 10,5%", "10.50", included=False))
    make_contract(client, make_plan("100.05"))
    run()
    inv = Invoice.objects.get()
    # 100.05 x 10.5% = 10.50525 -> 10.51
    assert (inv.subtotal, inv.tax_total, inv.total) == (
        Decimal("100.05"),
        Decimal("10.51"),
        Decimal("110.56"),
    )


def test_it_prorates_start_plan_change_and_suspension_by_days():
    entity = setup_billing()
    client = make_client(entity)
    started = make_contract(client, make_plan("3100.00"), start=date(2026, 10, 22))  # 10 days
    changed = make_contract(client, make_plan("3100.00"), start=date(2025, 1, 1))
    PlanAssignment.objects.filter(contract=changed).update(end_date=date(2026, 10, 11))
    PlanAssignment.objects.create(
        contract=changed,
        plan=make_plan("6200.00"),
        price=Decimal("6200.00"),
        start_date=date(2026, 10, 11),
    )
    suspended = make_contract(client, make_plan("3100.00"), start=date(2025, 1, 1))
    ContractStatusChange.objects.create(
        contract=suspended,
        from_status="active",
        to_status="suspended",
        effective_date=date(2026, 10, 6),
    )
    ContractStatusChange.objects.create(
        contract=suspended,
        from_status="suspended",
        to_status="active",
        effective_date=date(2026, 10, 16),
    )
    run()
    by_contract = {i.contract_id: i for i in Invoice.objects.all()}
    assert by_contract[started.pk].total == Decimal("1000.00")
    # 10 days at 3100 + 21 days at 6200
    assert by_contract[changed.pk].total == Decimal("1000.00") + Decimal("4200.00")
    assert by_contract[suspended.pk].total == Decimal("2100.00")  # 21 of 31 days


def test_running_twice_issues_nothing_twice():
    entity = setup_billing()
    for _ in range(3):
        make_contract(make_client(entity), make_plan())
    assert run().invoices_issued == 3
    second = run()
    assert second.invoices_issued == 0 and second.already_invoiced == 3
    assert Invoice.objects.count() == 3


def test_a_run_killed_half_way_and_rerun_invoices_each_contract_once_gapless(monkeypatch):
    entity = setup_billing()
    contracts = [make_contract(make_client(entity), make_plan()) for _ in range(7)]

    def boom(run, index):
        if index == 1:
            raise RuntimeError("killed")

    monkeypatch.setattr("ispgest.billing.engine.run._after_chunk", boom)
    with pytest.raises(RuntimeError):
        run(chunk_size=2)
    assert Invoice.objects.count() == 4
    monkeypatch.setattr("ispgest.billing.engine.run._after_chunk", lambda run, index: None)
    run(chunk_size=2)
    assert sorted(Invoice.objects.values_list("contract_id", flat=True)) == sorted(
        c.pk for c in contracts
    )
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, 8))


def test_preview_equals_what_the_run_issues():
    entity = setup_billing()
    client = make_client(entity, billing_tax=tax("IVA 21%", "21", included=False))
    make_contract(client, make_plan("999.99"), start=date(2026, 10, 9))
    make_contract(client, make_plan("123.45"))
    run_date, drafts, errors = engine.preview_client(client, today=date(2026, 10, 20))
    assert run_date == RUN and not errors
    assert Invoice.objects.count() == 0  # never stored
    run()
    issued = {i.contract_id: i for i in Invoice.objects.prefetch_related("lines")}
    for d in drafts:
        inv = issued[d.contract_id]
        assert (d.subtotal, d.tax_total, d.total) == (inv.subtotal, inv.tax_total, inv.total)
        assert [ln.description for ln in d.lines] == [ln.description for ln in inv.lines.all()]


def test_clients_without_entity_are_reported_not_invoiced():
    entity = setup_billing()
    client = make_client(entity)
    client.invoice_type = None
    client.save()
    make_contract(client, make_plan())
    result = run()
    assert result.invoices_issued == 0
    assert "tipo de factura" in result.errors[0]["message"]


def test_cancelled_and_pending_contracts():
    entity = setup_billing()
    client = make_client(entity)
    make_contract(client, make_plan("3100"), status=ContractStatus.PENDING_INSTALLATION)
    cancelled = make_contract(
        client, make_plan("3100"), status=ContractStatus.CANCELLED, end=date(2026, 10, 11)
    )
    run()
    inv = Invoice.objects.get()
    assert inv.contract_id == cancelled.pk and inv.total == Decimal("1000.00")
    assert ClientBalance.objects.get(client=client).unpaid_count == 1


def test_demo_generates_runs_payments_and_unpaid_invoices():
    import random
    from types import SimpleNamespace

    from ispgest.billing import demo
    from ispgest.billing.models import Payment, Receipt

    entity = setup_billing()
    for _ in range(20):
        make_contract(make_client(entity), make_plan("100"), start=date(2024, 1, 1))
    ctx = SimpleNamespace(rng=random.Random(1), data={}, log=lambda text: None)
    demo.generate(ctx)
    assert Invoice.objects.count() == 40  # two months of 20 contracts
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"paid", "partially_paid", "pending"} <= statuses
    receipts = sorted(Receipt.objects.values_list("number", flat=True))
    assert receipts == list(range(1, Payment.objects.count() + 1))
    assert Receipt.objects.order_by("number").first().number_display == "REC-00000001"
    # Balances match the documents after the bulk payments.
    from ispgest.billing.selectors import compute_client_balances

    computed = compute_client_balances(ClientBalance.objects.values_list("client_id", flat=True))
    for row in ClientBalance.objects.all():
        assert (row.unpaid_count, row.unpaid_total) == computed.get(row.client_id, (0, 0))


def test_exempt_tax_condition_gets_no_tax():
    from ispgest.catalog.models import TaxCondition

    entity = setup_billing()
    client = make_client(
        entity, billing_tax=tax(), condition=TaxCondition.objects.get(name="Exento")
    )
    make_contract(client, make_plan("1000"))
    run()
    inv = Invoice.objects.get()
    assert (inv.subtotal, inv.tax_total, inv.total) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("1000.00"),
    )


@pytest.mark.parametrize("today", [date(2026, 11, 1), date(2026, 10, 20)])
def test_the_preview_skips_a_run_already_done_and_shows_the_next_invoice(today):
    """On the cycle's day after its run, or after a run made in advance, the preview shows
    the invoice of the next period, not "nothing to invoice" for the period already billed."""
    entity = setup_billing()
    client = make_client(entity, billing_tax=tax())
    contract = make_contract(client, make_plan("1210.00"))
    run()  # the run of 2026-11-01: October is invoiced
    run_date, drafts, errors = engine.preview_client(client, today=today)
    assert run_date == date(2026, 12, 1) and not errors
    assert [d.contract_id for d in drafts] == [contract.pk]
    assert (drafts[0].period_start, drafts[0].period_end) == (date(2026, 11, 1), date(2026, 12, 1))
    run(date(2026, 12, 1))
    issued = Invoice.objects.get(period_start=date(2026, 11, 1))
    assert issued.total == drafts[0].total


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the plan shape is PostgreSQL's; SQLite gets a plain IN list",
)
def test_the_runs_id_filters_are_no_join_when_statistics_say_the_table_is_empty():
    """A first run on a fresh installation fills billing_invoice inside its transaction
    while the statistics still say it is empty; an id filter planned as a join against
    that table is then a nested loop over every invoice written so far, once per chunk."""
    from ispgest.core.bulk import in_ids

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_invoice")
    ids = list(range(1_000_000, 1_005_000))
    plan = (
        Invoice.objects.filter(kind="invoice", period_start=RUN)
        .filter(in_ids("contract_id", ids))
        .values_list("contract_id", flat=True)
        .explain()
    )
    assert "Nested Loop" not in plan and "Join" not in plan, plan
    assert "ANY" in plan, plan
