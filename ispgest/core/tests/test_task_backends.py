"""A real task (e-mail delivery) through the database queue and through RQ on Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction

from ispgest.messaging.emails import send_email
from ispgest.messaging.models import EmailMessage
from ispgest.messaging.tasks import deliver_email

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/0"


def _send():
    return send_email(template="test_message", to=["a@example.com"], context={"name": "Ana"})


@pytest.mark.django_db(transaction=True)  # the worker closes the connection when done
def test_a_task_enqueued_on_commit_runs_in_the_database_worker(settings, smtp_server):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with transaction.atomic():
        message = _send()
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    row = DBTaskResult.objects.get()
    assert row.status == TaskResultStatus.READY
    assert row.task_path == "ispgest.messaging.tasks.deliver_email"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "sent"
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    assert [m.subject for m in smtp_server.received] == ["Prueba de envío para Ana"]


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis answers on 127.0.0.1:6379")
def test_a_task_runs_through_rq_on_redis(settings, smtp_server):
    import django_rq
    from rq import SimpleWorker

    # A queue of its own so parallel runs (SQLite and PostgreSQL) never take each other's jobs.
    queue_name = f"test-{uuid.uuid4().hex[:12]}"
    settings.RQ_QUEUES = {
        "default": {"URL": REDIS_URL},  # results are fetched through this connection
        queue_name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    message = EmailMessage.objects.create(
        template="test_message",
        from_email="ispgest <no-reply@ispgest.local>",
        to=["b@example.com"],
        subject="Por RQ",
        body_text="Hola",
    )
    result = deliver_email.using(queue_name=queue_name).enqueue(message.pk, 0)
    queue = django_rq.get_queue(queue_name)
    try:
        assert queue.count == 1
        # SimpleWorker runs jobs in this process, so it sees the test's database; the job
        # class comes from settings.RQ, as for `manage.py rqworker`.
        worker = django_rq.get_worker(queue_name, worker_class=SimpleWorker)
        worker.work(burst=True)
        result.refresh()
        assert result.status.name == "SUCCESSFUL"
        assert result.return_value == "sent"
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    assert [m.subject for m in smtp_server.received] == ["Por RQ"]


def test_settings_select_rq_by_environment():
    """ISPGEST_TASKS_BACKEND=rq gives a configuration that passes Django's checks."""
    env = {
        **os.environ,
        "ISPGEST_TASKS_BACKEND": "rq",
        "DJANGO_SETTINGS_MODULE": "ispgest.settings",
    }
    env.pop("DATABASE_URL", None)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.TASKS['default']['BACKEND'], list(settings.RQ_QUEUES))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["django_tasks_rq.RQBackend", "['default']"]
    from django_tasks_rq import RQBackend

    backend = RQBackend("default", {"QUEUES": ["default"], "OPTIONS": {}})
    assert backend.supports_defer
