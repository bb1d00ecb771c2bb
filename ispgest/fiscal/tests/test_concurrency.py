"""The chain under concurrency and crashes: real threads with their own connections and a
process killed with SIGKILL, on PostgreSQL.

SQLite's in-memory test database cannot wait on locks between connections nor be shared with
another process: there the workers run one after another (the chain rules are still checked)
and the kill test does not apply (test_records covers the same crash as an exception).
"""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest
from django.db import connection

from ispgest.billing import engine, services
from ispgest.billing.models import BillingRun, Invoice, NumberSequence
from ispgest.billing.services import LineInput
from ispgest.billing.tests.test_concurrency import in_threads
from ispgest.fiscal.models import Issuer, Record
from ispgest.fiscal.tests.factories import make_contract, plan, spanish_client, spanish_entity
from ispgest.fiscal.verifactu import records


@pytest.mark.django_db(transaction=True)
def test_a_run_and_manual_invoices_at_once_make_one_gapless_chain():
    entity = spanish_entity()
    p = plan("25.00")
    for _ in range(40):
        make_contract(spanish_client(entity), p, start=date(2025, 1, 1))
    simplified = [spanish_client(entity, simplified=True, tax_id="") for _ in range(4)]

    def work(i):
        if i == 0:
            engine.billing_run_execute(
                BillingRun.objects.create(run_date=date(2026, 11, 1)), chunk_size=10, notify=False
            )
        else:
            for n in range(20):
                services.document_create(
                    actor=None,
                    client=simplified[n % 4],
                    lines=[LineInput("Bono", "1", "9.90")],
                    notify=False,
                )

    assert in_threads(2, work) == []
    issuer = Issuer.objects.get()
    rows = list(Record.objects.filter(issuer=issuer).order_by("position"))
    assert [r.position for r in rows] == list(range(1, 61))
    assert records.chain_problems(issuer) == []
    assert issuer.chain.length == 60 and issuer.chain.last_huella == rows[-1].huella
    # Within each number sequence, chain order is issue order.
    numbers = dict(Invoice.objects.values_list("id", "number"))
    seqs = dict(Invoice.objects.values_list("id", "sequence_id"))
    by_seq: dict = {}
    for r in rows:
        by_seq.setdefault(seqs[r.invoice_id], []).append(numbers[r.invoice_id])
    assert len(by_seq) == 2
    for nums in by_seq.values():
        assert nums == sorted(nums) == list(range(1, len(nums) + 1))
    assert Record.objects.values("invoice_id").distinct().count() == 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database two processes share"
)
def test_a_process_killed_between_numbering_and_record_leaves_neither(settings):
    entity = spanish_entity()
    client = spanish_client(entity)
    first = services.document_create(
        actor=None, client=client, lines=[LineInput("Fibra", "1", "30")], notify=False
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    code = textwrap.dedent(
        f"""
        import os, signal, django
        django.setup()
        from ispgest.billing import services
        from ispgest.billing.services import LineInput
        from ispgest.clients.models import Client
        from ispgest.fiscal.verifactu import records

        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        records.append_records = killed
        services.document_create(
            actor=None, client=Client.objects.get(pk={client.pk}),
            lines=[LineInput("Fibra", "1", "30")], notify=False,
        )
        """
    )
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="ispgest.settings",
        ISPGEST_VERIFACTU_PRODUCER_NIF=settings.ISPGEST_VERIFACTU_PRODUCER_NIF,
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert Invoice.objects.count() == 1 and Record.objects.count() == 1
    assert NumberSequence.objects.get(pk=first.sequence_id).last_number == 1
    again = services.document_create(
        actor=None, client=client, lines=[LineInput("Fibra", "1", "30")], notify=False
    )
    assert again.number == 2
    assert (
        Record.objects.get(invoice=again).previous_huella
        == Record.objects.get(invoice=first).huella
    )
