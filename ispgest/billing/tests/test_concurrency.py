"""Concurrency: real threads, each with its own database connection, on PostgreSQL.

SQLite's in-memory test database (shared cache) reports "table is locked" instead of
waiting, so there the same workers run one after another: the rules are still checked.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ispgest.billing import engine, services
from ispgest.billing.models import BillingRun, ClientBalance, Invoice, Wallet, WalletMovement
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
)


def in_threads(n, fn):
    errors = []
    if connection.vendor != "postgresql":
        for i in range(n):
            try:
                fn(i)
            except Exception as exc:
                errors.append(exc)
        return errors
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait()
            fn(i)
        except Exception as exc:  # collected and checked by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_50_concurrent_wallet_payments_never_overdraw_and_the_ledger_sums():
    client = make_client(setup_billing())
    invoices = [
        services.document_create(
            actor=None, client=client, lines=[LineInput("Cuota", "1", "10")], notify=False
        )
        for _ in range(50)
    ]
    services.wallet_deposit(actor=None, client=client, amount="105", concept="Depósito")
    wallet_method = method("wallet")

    def pay(i):
        services.payment_register(
            actor=None,
            client=client,
            method=wallet_method,
            amount="10",
            invoices=[invoices[i]],
            notify=False,
        )

    errors = in_threads(50, pay)
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert len(errors) == 40  # 10 payments fit in 105
    wallet = Wallet.objects.get(pk=client.pk)
    assert wallet.balance == Decimal("5.00")
    ledger = sum(m.amount for m in WalletMovement.objects.filter(wallet=wallet))
    assert ledger == wallet.balance
    balance = ClientBalance.objects.get(client=client)
    assert balance.wallet_balance == Decimal("5.00")
    assert balance.unpaid_count == 40 and balance.unpaid_total == Decimal("400.00")


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_gapless_under_concurrency_with_rollbacks():
    client = make_client(setup_billing())

    def issue(i):
        with transaction.atomic():
            services.document_create(
                actor=None, client=client, lines=[LineInput("Cuota", "1", "10")], notify=False
            )
            if i % 4 == 0:
                raise RuntimeError("rolled back after taking a number")

    errors = in_threads(16, issue)
    assert len(errors) == 4 and all(isinstance(e, RuntimeError) for e in errors)
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, 13))


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_billing_at_once_issue_each_contract_once():
    entity = setup_billing()
    for _ in range(12):
        make_contract(make_client(entity), make_plan())
    runs = [BillingRun.objects.create(run_date=date(2026, 11, 1)) for _ in range(2)]

    errors = in_threads(
        2, lambda i: engine.billing_run_execute(runs[i], chunk_size=3, notify=False)
    )
    assert errors == []
    assert Invoice.objects.count() == 12
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, 13))
    assert ClientBalance.objects.filter(unpaid_count=1).count() == 12


def _balances_match_the_documents(clients) -> None:
    """Each client's running balance equals one recomputed from its documents and wallet."""
    from ispgest.billing.selectors import compute_client_balances

    ids = [c.pk for c in clients]
    truth = compute_client_balances(ids)
    for c in clients:
        balance = ClientBalance.objects.get(client_id=c.pk)
        assert (balance.unpaid_count, balance.unpaid_total) == truth.get(c.pk, (0, 0)), c
        wallet = Wallet.objects.filter(pk=c.pk).first()
        ledger = sum((m.amount for m in WalletMovement.objects.filter(wallet_id=c.pk)), Decimal(0))
        assert balance.wallet_balance == (wallet.balance if wallet else 0) == ledger, c


@pytest.mark.django_db(transaction=True)
def test_a_sepa_batch_and_counter_payments_at_once_neither_deadlock_nor_charge_twice(settings):
    """The batch pays its clients one after another in one transaction while a clerk takes
    payments of the same clients' other invoices: both take the receipt sequence before any
    client's balance row (the fixed lock order), so neither waits on the other in a cycle."""
    from datetime import timedelta

    from django.utils import timezone

    from ispgest.billing.models import Payment, Receipt, SepaBatch
    from ispgest.billing.sepa import sepa_batch_create
    from ispgest.billing.tests.factories import mandate

    entity = setup_billing()
    settings.ISPGEST_COUNTRY = "ES"  # SEPA collects in euros
    today = timezone.localdate()
    dd, cash = method("direct_debit"), method("cash")
    clients = []
    for _ in range(12):
        client = make_client(entity, payment_method=dd)
        mandate(client)
        clients.append(client)

    def issue(client, day):
        return services.document_create(
            actor=None,
            client=client,
            lines=[LineInput("Cuota", "1", "10")],
            issue_date=day,
            notify=False,
        )

    for client in clients:  # due ten days after issue: in the batch
        issue(client, today - timedelta(days=20))
    # Due after the batch's horizon: the clerk takes these in cash meanwhile.
    later = [issue(client, today) for client in clients]

    def work(i):
        if i == 0:
            sepa_batch_create(
                actor=None,
                entity=entity,
                due_until=today - timedelta(days=5),
                collection_date=today + timedelta(days=5),
            )
            return
        for inv in reversed(later):  # the clients the batch reaches last, first
            services.payment_register(
                actor=None,
                client=inv.client,
                method=cash,
                amount="15",
                invoices=[inv],
                notify=False,
                excess_to_wallet=True,
            )

    errors = in_threads(2, work)
    assert errors == []
    assert SepaBatch.objects.get().count == 12
    assert Payment.objects.count() == 24
    assert not Invoice.objects.exclude(status="paid").exists()
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 25))  # one receipt per payment, gapless
    _balances_match_the_documents(clients)
    assert sum(Wallet.objects.values_list("balance", flat=True)) == Decimal("60.00")


@pytest.mark.django_db(transaction=True)
def test_a_billing_run_and_payments_at_once_charge_each_contract_once_and_keep_balances():
    from django.utils import timezone

    from ispgest.billing.models import Payment

    entity = setup_billing()
    today = timezone.localdate()
    clients, earlier = [], []
    for _ in range(12):
        client = make_client(entity, day=today.day)
        make_contract(client, make_plan("100"))
        clients.append(client)
        earlier.append(
            services.document_create(
                actor=None, client=client, lines=[LineInput("Alta", "1", "40")], notify=False
            )
        )
    run = BillingRun.objects.create(run_date=today)
    cash = method("cash")

    def work(i):
        if i == 0:
            engine.billing_run_execute(run, chunk_size=3, notify=False)
            return
        for inv in reversed(earlier):
            services.payment_register(
                actor=None,
                client=inv.client,
                method=cash,
                amount="50",
                invoices=[inv],
                notify=False,
                excess_to_wallet=True,
            )

    errors = in_threads(2, work)
    assert errors == []
    assert Invoice.objects.filter(billing_run=run).count() == 12
    assert Invoice.objects.filter(contract__isnull=False).count() == 12  # each contract once
    assert Payment.objects.count() == 12
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 25))
    for client in clients:
        assert ClientBalance.objects.get(client=client).unpaid_count == 1
    _balances_match_the_documents(clients)
