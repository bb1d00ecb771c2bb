"""Corte por impago with two workers at once: real threads, each with its own PostgreSQL
connection, run the cut-off and the restore together. Each contract is cut once (one status
change, one history row, one e-mail) and a client still in debt is never restored.

It is about row locks, so it needs PostgreSQL: SQLite's in-memory test database reports
"table is locked" instead of waiting.
"""

import threading

import pytest
from django.db import connection

from ispgest.billing import services as billing
from ispgest.billing.tests.dated import invoice_due
from ispgest.billing.tests.factories import (
    make_client,
    make_contract,
    make_plan,
    method,
    setup_billing,
)
from ispgest.clients.models import ClientEvent
from ispgest.contracts.models import ContractStatus, ContractStatusChange
from ispgest.messaging.models import EmailMessage
from ispgest.network import cutoff
from ispgest.network.models import CutoffRule, ServiceCut

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks between two connections need PostgreSQL",
    ),
]

QUEUED_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def at_once(*jobs):
    """Run each job in its own thread and connection, released together; their results
    in order. An exception in any job fails the test."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def worker(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # checked below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def _moves(contract, to_status):
    return ContractStatusChange.objects.filter(contract=contract, to_status=to_status).count()


def _history(client):
    return ClientEvent.objects.filter(client=client, action="contract.status_changed").count()


def test_two_workers_cut_each_contract_once_and_restore_only_who_paid(smtp_server, settings):
    entity = setup_billing()
    plan = make_plan("50.00")
    rule = CutoffRule.objects.create(name="General", billing_entity=entity, grace_days=10)
    debtors = [make_client(entity, email=f"deudor{i}@cliente.test") for i in range(6)]
    contracts = [make_contract(c, plan) for c in debtors]
    on_time = make_client(entity, email="al-dia@cliente.test")
    on_time_contract = make_contract(on_time, plan)
    exempt = make_client(entity, email="exento@cliente.test")
    exempt_contract = make_contract(exempt, plan)
    rule.exempt_clients.add(exempt)
    invoice_due(exempt, "50", due_in=-40)  # oldest first: numbering is chronological
    invoices = [invoice_due(c, "50", due_in=-20) for c in debtors]
    invoice_due(on_time, "50", due_in=-3)  # inside the grace days

    first, second = at_once(cutoff.run_cutoff, cutoff.run_cutoff)
    assert first["cut"] + second["cut"] == 6
    assert at_once(cutoff.run_cutoff, cutoff.run_cutoff) == [{"cut": 0, "restored": 0}] * 2
    assert ServiceCut.objects.count() == 6
    for client, contract in zip(debtors, contracts, strict=True):
        contract.refresh_from_db()
        assert contract.status == ContractStatus.SUSPENDED
        assert _moves(contract, ContractStatus.SUSPENDED) == 1
        assert _history(client) == 1
        assert EmailMessage.objects.filter(template="service_cut", client=client).count() == 1
    for contract in (on_time_contract, exempt_contract):
        contract.refresh_from_db()
        assert contract.status == ContractStatus.ACTIVE
    cut_mail = sorted(m.rcpt_tos[0] for m in smtp_server.received)
    assert cut_mail == sorted(c.email for c in debtors)

    # Three pay in full, one pays part, two pay nothing. The payments only queue their
    # restore, so the two workers below do every restore between them.
    settings.TASKS = QUEUED_TASKS
    cash = method("cash")
    for client, invoice, amount in zip(
        debtors[:4], invoices, ["50", "50", "50", "20"], strict=False
    ):
        billing.payment_register(
            actor=None, client=client, method=cash, amount=amount, invoices=[invoice], notify=False
        )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    smtp_server.received.clear()

    def restore_each():
        return sum(cutoff.restore_client(c.pk) for c in debtors)

    by_run, by_client = at_once(cutoff.run_cutoff, restore_each)
    assert by_run["cut"] == 0
    assert by_run["restored"] + by_client == 3
    assert at_once(cutoff.run_cutoff, restore_each) == [{"cut": 0, "restored": 0}, 0]
    for i, (client, contract) in enumerate(zip(debtors, contracts, strict=True)):
        contract.refresh_from_db()
        paid = i < 3
        assert contract.status == (ContractStatus.ACTIVE if paid else ContractStatus.SUSPENDED)
        assert _moves(contract, ContractStatus.ACTIVE) == (1 if paid else 0)
        assert _moves(contract, ContractStatus.SUSPENDED) == 1
        assert _history(client) == (2 if paid else 1)
        restored_mail = EmailMessage.objects.filter(template="service_restored", client=client)
        assert restored_mail.count() == (1 if paid else 0)
        still_cut = ServiceCut.objects.filter(contract=contract, restored_at__isnull=True)
        assert still_cut.count() == (0 if paid else 1)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == sorted(
        c.email for c in debtors[:3]
    )
