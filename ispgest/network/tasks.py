"""Background work of the network app: one sync task per router (see network/sync.py) and
the job that retries routers whose backoff has passed."""

from weakref import WeakKeyDictionary

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


class _QueueSync:
    """The on-commit callback that queues one router's sync."""

    def __init__(self, router_id: int):
        self.router_id = router_id
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        sync_router_task.enqueue(self.router_id)


# Per connection, the last callback registered for each router and its index in the
# connection's run_on_commit, so that finding it again does not scan the whole list.
_registered: WeakKeyDictionary = WeakKeyDictionary()


def enqueue_sync(router_id: int) -> None:
    """Queue the router's sync once the current transaction commits, at most once per
    router and transaction (the sync sends whatever is pending when it runs, so an import
    of thousands of contracts on one router queues one). Outside a transaction the sync
    is queued at once."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and _still_queued(connection, router_id):
        return
    callback = _QueueSync(router_id)
    transaction.on_commit(callback)
    if connection.in_atomic_block:
        index = len(connection.run_on_commit) - 1
        _registered.setdefault(connection, {})[router_id] = (index, callback)


def _still_queued(connection, router_id: int) -> bool:
    """Whether this transaction's callbacks still hold one, not yet run, that queues the
    router's sync. It is looked up in the connection's own list: rolling back a savepoint
    drops the callbacks registered inside it, and then the next enqueue registers again."""
    hooks = connection.run_on_commit
    index, callback = _registered.get(connection, {}).get(router_id, (-1, None))
    if 0 <= index < len(hooks) and hooks[index][1] is callback:
        return not callback.ran
    for index, (_, func, _) in enumerate(hooks):
        if isinstance(func, _QueueSync) and func.router_id == router_id and not func.ran:
            _registered.setdefault(connection, {})[router_id] = (index, func)
            return True
    return False


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
