"""The task queue as the dashboard and the "Cola de tareas" page read it: pending depth and
oldest, failures of the last day, on the database queue (indexed reads) or on Redis."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

WINDOW = timedelta(hours=24)


@dataclass
class QueueState:
    backend: str  # db | rq | other
    pending: int | None = None
    oldest_pending_at: datetime | None = None
    failed_recent: int | None = None  # failed in the last 24 h (db); in the registry (rq)
    error: str = ""
    failed_rows: list = field(default_factory=list)
    pending_rows: list = field(default_factory=list)

    @property
    def oldest_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_pending_at if self.oldest_pending_at else None


def _backend() -> str:
    path = settings.TASKS["default"]["BACKEND"]
    if path.startswith("django_tasks_db"):
        return "db"
    if path.startswith("django_tasks_rq"):
        return "rq"
    return "other"


def queue_state(*, rows: int = 0) -> QueueState:
    """Counts, and with `rows` the latest pending and failed tasks (db backend)."""
    kind = _backend()
    state = QueueState(backend=kind)
    if kind == "db":
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        pending = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        state.pending = pending.count()
        state.oldest_pending_at = (
            pending.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        )
        failed = DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=timezone.now() - WINDOW
        )
        state.failed_recent = failed.count()
        if rows:
            state.failed_rows = list(
                failed.order_by("-finished_at").only(
                    "id", "task_path", "finished_at", "exception_class_path", "traceback"
                )[:rows]
            )
            state.pending_rows = list(
                pending.order_by("enqueued_at").only("id", "task_path", "enqueued_at", "run_after")[
                    :rows
                ]
            )
    elif kind == "rq":
        try:
            import django_rq

            queue = django_rq.get_queue("default")
            state.pending = queue.count
            state.failed_recent = queue.failed_job_registry.count
        except Exception as exc:  # Redis down: say so, don't break the page
            state.error = type(exc).__name__
    return state


def _failed_emails():
    from ispgest.messaging.models import EmailMessage

    return EmailMessage.objects.filter(
        status=EmailMessage.Status.FAILED, created_at__gte=timezone.now() - WINDOW
    )


def failed_emails_recent() -> int:
    return _failed_emails().count()


def failed_emails_rows(limit: int = 100) -> list:
    """The latest e-mails that failed in the last 24 h, with their client's name."""
    return list(
        _failed_emails()
        .select_related("client")
        .only("id", "to", "subject", "template", "error", "attempts", "created_at", "client__name")
        .order_by("-created_at")[:limit]
    )
