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
