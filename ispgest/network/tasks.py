"""Background work of the network app: one sync task per router (see network/sync.py) and
the job that retries routers whose backoff has passed."""

from django.db import transaction
from django_tasks import task

from ispgest.network import sync


@task()
def sync_router_task(router_id: int) -> str:
    return sync.sync_router(router_id)


@task()
def sync_due_task() -> int:
    """Every router with pending changes whose retry time has come gets its sync task."""
    ids = list(sync.due_routers())
    for router_id in ids:
        sync_router_task.enqueue(router_id)
    return len(ids)


def enqueue_sync(router_id: int) -> None:
    """Queue the router's sync once the current transaction commits."""
    transaction.on_commit(lambda: sync_router_task.enqueue(router_id))


@task()
def drift_check_task() -> int:
    """Compare every active router with the database and record what differs."""
    from ispgest.network.models import Router
    from ispgest.network.reconcile import record_drift

    checked = 0
    for router in Router.objects.filter(active=True).order_by("id"):
        record_drift(router)
        checked += 1
    return checked


@task()
def cutoff_task() -> dict:
    from ispgest.network.cutoff import run_cutoff

    return run_cutoff()


@task()
def restore_client_task(client_id: int) -> int:
    from ispgest.network.cutoff import restore_client

    return restore_client(client_id)


@task()
def usage_sample_task() -> dict:
    """One reading of the PPPoE sessions' byte counters of every active router."""
    from ispgest.network.usage import sample_all

    return sample_all()


@task()
def usage_rollup_task() -> int:
    from ispgest.network.usage import usage_rollup

    return usage_rollup()
