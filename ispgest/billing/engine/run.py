"""The billing run: chunks of whole clients, each written in one transaction; resumable
and idempotent."""

from __future__ import annotations

import time
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from ispgest.billing import numbering
from ispgest.billing.calc import ZERO, DocumentDraft
from ispgest.billing.engine.drafts import Catalogs, build_drafts
from ispgest.billing.engine.issuing import issue_drafts
from ispgest.billing.engine.periods import billable_contracts, period_for
from ispgest.billing.models import BillingRun, DocumentKind, Invoice
from ispgest.core.bulk import in_ids

CHUNK_SIZE = 5000


def _chunks_by_client(pairs, size: int):
    chunk: list[int] = []
    last_client = None
    for contract_id, client_id in pairs:
        if len(chunk) >= size and client_id != last_client:
            yield chunk
            chunk = []
        chunk.append(contract_id)
        last_client = client_id
    if chunk:
        yield chunk


def _after_chunk(run: BillingRun, index: int) -> None:
    """Hook between committed chunks (tests use it to kill a run half-way)."""


def billing_run_execute(run: BillingRun, *, chunk_size: int = CHUNK_SIZE, notify: bool = True):
    """Issue every invoice the run's date calls for; resumable and idempotent."""
    from ispgest.billing.tasks import send_invoice_emails
    from ispgest.core.models import Job

    started = time.monotonic()
    cat = Catalogs.load()
    pairs = list(billable_contracts(run.run_date))
    period_start, _ = period_for(run.run_date)
    if run.job_id:
        Job.objects.filter(pk=run.job_id).update(
            status=Job.Status.RUNNING, started_at=timezone.now(), total=len(pairs), done=0
        )
    done = issued = skipped = 0
    total = ZERO
    errors: list[dict] = []
    for index, chunk in enumerate(_chunks_by_client(pairs, chunk_size)):
        drafts, chunk_errors = build_drafts(chunk, run.run_date, cat)
        errors.extend(chunk_errors)
        for attempt in range(3):
            try:
                with transaction.atomic():
                    todo = _lock_and_filter(drafts, period_start)
                    issued_now = issue_drafts(todo, actor=run.created_by, run=run)
                    # E-mails (a PDF each) go out in small tasks so workers share them.
                    for start in range(0, len(issued_now.ids) if notify else 0, 200):
                        ids = issued_now.ids[start : start + 200]
                        transaction.on_commit(lambda ids=ids: send_invoice_emails.enqueue(ids))
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        issued += len(issued_now.ids)
        skipped += len(drafts) - len(todo)
        total += sum(issued_now.totals, ZERO)
        done += len(chunk)
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                done=done, message=f"{issued} facturas emitidas"
            )
        _after_chunk(run, index)
    run.contracts_seen = len(pairs)
    run.invoices_issued = issued
    run.already_invoiced = skipped
    run.total = total
    run.errors = errors[:500]
    run.status = BillingRun.Status.DONE
    run.finished_at = timezone.now()
    run.seconds = round(time.monotonic() - started, 3)
    run.save(
        update_fields=[
            "contracts_seen",
            "invoices_issued",
            "already_invoiced",
            "total",
            "errors",
            "status",
            "finished_at",
            "seconds",
        ]
    )
    if run.job_id:
        Job.objects.filter(pk=run.job_id).update(
            status=Job.Status.DONE,
            finished_at=timezone.now(),
            done=len(pairs),
            message=f"{issued} facturas emitidas",
            result={"invoices": issued, "already_invoiced": skipped, "errors": len(errors)},
        )
    return run


def _lock_and_filter(drafts: list[DocumentDraft], period_start: date) -> list[DocumentDraft]:
    """Lock the sequences the drafts need, then drop contracts already invoiced.

    Whoever inserts invoices for these sequences holds the same locks, so once we have them
    the check below sees every committed invoice of a concurrent worker.
    """
    if not drafts:
        return []
    keys = {(d.billing_entity_id, d.kind, d.invoice_type_id, d.point_of_sale_id) for d in drafts}
    ids = sorted(
        numbering.get_sequence(entity_id=e, kind=k, invoice_type_id=t, pos_id=p).id
        for e, k, t, p in keys
    )
    from ispgest.billing.models import NumberSequence

    list(NumberSequence.objects.select_for_update().filter(id__in=ids).order_by("id"))
    existing = set(
        Invoice.objects.filter(
            kind=DocumentKind.INVOICE,
            period_start=period_start,
        )
        .filter(in_ids("contract_id", [d.contract_id for d in drafts]))
        .values_list("contract_id", flat=True)
    )
    return [d for d in drafts if d.contract_id not in existing]
