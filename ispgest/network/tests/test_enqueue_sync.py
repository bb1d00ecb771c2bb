"""A router's sync is queued at most once per transaction, whatever number of writes ask
for it, and a savepoint rolled back never leaves a router that changed without its sync.

Real transactions (`transaction=True`) and the database task backend: the tasks counted
are the rows the backend stores when the transaction commits."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ispgest.network.models import Router
from ispgest.network.tasks import enqueue_sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _queued_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def routers():
    return [
        Router.objects.create(name="Nodo Norte", host="10.9.0.1"),
        Router.objects.create(name="Nodo Sur", host="10.9.0.2"),
    ]


def queued() -> list[int]:
    """The router ids of the sync tasks stored, sorted."""
    rows = DBTaskResult.objects.filter(task_path="ispgest.network.tasks.sync_router_task")
    return sorted(r.args_kwargs["args"][0] for r in rows)


class Boom(Exception):
    pass


def test_many_enqueues_for_one_router_in_a_transaction_queue_one_sync_at_commit(routers):
    north, _south = routers
    with transaction.atomic():
        for _ in range(500):
            enqueue_sync(north.pk)
        assert queued() == []
    assert queued() == [north.pk]


def test_two_routers_get_one_sync_each(routers):
    north, south = routers
    with transaction.atomic():
        for _ in range(3):
            enqueue_sync(north.pk)
            enqueue_sync(south.pk)
    assert queued() == sorted([north.pk, south.pk])


def test_a_savepoint_rolled_back_after_the_first_enqueue_still_leaves_one_sync(routers):
    """The callback registered inside the savepoint goes with it; the enqueue after the
    rollback registers a new one."""
    north, south = routers
    with transaction.atomic():
        enqueue_sync(south.pk)
        with pytest.raises(Boom), transaction.atomic():
            enqueue_sync(north.pk)
            raise Boom
        enqueue_sync(north.pk)
        enqueue_sync(north.pk)
    assert queued() == sorted([north.pk, south.pk])


def test_a_savepoint_released_keeps_its_sync_for_the_commit(routers):
    north, _south = routers
    with transaction.atomic():
        with transaction.atomic():
            enqueue_sync(north.pk)
        enqueue_sync(north.pk)
    assert queued() == [north.pk]


def test_a_rolled_back_transaction_queues_nothing(routers):
    north, south = routers
    with pytest.raises(Boom), transaction.atomic():
        enqueue_sync(north.pk)
        enqueue_sync(south.pk)
        raise Boom
    assert queued() == []
    with transaction.atomic():
        enqueue_sync(north.pk)
    assert queued() == [north.pk]


def test_outside_a_transaction_each_enqueue_queues_at_once(routers):
    north, _south = routers
    enqueue_sync(north.pk)
    assert queued() == [north.pk]
    enqueue_sync(north.pk)
    assert queued() == [north.pk, north.pk]


def test_the_next_transaction_queues_its_own_sync(routers):
    north, _south = routers
    for _ in range(2):
        with transaction.atomic():
            enqueue_sync(north.pk)
            enqueue_sync(north.pk)
    assert queued() == [north.pk, north.pk]
