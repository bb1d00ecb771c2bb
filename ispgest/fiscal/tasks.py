"""Background work of the fiscal layer: thin tasks that call the queue (idempotent: two
workers, reruns and a task that finds nothing due are all harmless)."""

from __future__ import annotations

from django_tasks import task

from ispgest.fiscal.verifactu import queue


@task()
def submit_issuer(issuer_id: int) -> int:
    """Send what is due for one issuer; returns the number of submissions made."""
    return len(queue.submit_issuer(issuer_id))


@task()
def submit_due() -> int:
    """The scheduled job: every issuer with records waiting whose wait has passed."""
    return sum(len(queue.submit_issuer(issuer_id)) for issuer_id in queue.due_issuers())


@task()
def submit_issuer_now(issuer_id: int) -> int:
    """ "Reintentar" on the page: send one issuer's queue without waiting for the pause."""
    return len(queue.submit_issuer(issuer_id, force=True))
