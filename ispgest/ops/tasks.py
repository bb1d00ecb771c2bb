"""The one task the scheduler enqueues: run a declared job and record how it went."""

from __future__ import annotations

import logging
import traceback

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.utils import normalize_json

from ispgest.core import schedule as core_schedule
from ispgest.ops.models import JobRun

logger = logging.getLogger(__name__)


@task()
def run_scheduled_job(run_id: int) -> str:
    """Claim the run (queued -> running), call the job's task in this worker, record the
    end, result and error. A duplicate delivery of the same run finds it claimed and does
    nothing; a job that raises is recorded as failed and raised again (the task backend
    logs it too), and the job runs again at its next slot."""
    claimed = JobRun.objects.filter(pk=run_id, status=JobRun.Status.QUEUED).update(
        status=JobRun.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "not-queued"
    run = JobRun.objects.get(pk=run_id)
    job = core_schedule.scheduled_jobs().get(run.job_name)
    if job is None:
        _finish(run_id, JobRun.Status.FAILED, error="La tarea ya no está declarada en el código.")
        return JobRun.Status.FAILED
    try:
        value = import_string(job.task).call()
    except Exception as exc:
        logger.exception("scheduled job %s failed", run.job_name)
        _finish(
            run_id,
            JobRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[-8000:],
        )
        raise
    try:
        result = normalize_json(value)
    except TypeError:
        result = str(value)
    _finish(run_id, JobRun.Status.SUCCEEDED, result=result)
    return JobRun.Status.SUCCEEDED


def _finish(run_id: int, status: str, *, error: str = "", result=None) -> None:
    # Only a run still marked running is closed: one the scheduler gave up on
    # (interrupted) keeps that verdict, with the late outcome in its error text.
    updated = JobRun.objects.filter(pk=run_id, status=JobRun.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), error=error, result=result
    )
    if not updated:
        run = JobRun.objects.get(pk=run_id)
        late = f"Terminó después de darse por interrumpida ({JobRun.Status(status).label})."
        JobRun.objects.filter(pk=run_id).update(
            finished_at=timezone.now(), error=f"{run.error}\n{late}\n{error}".strip()[-8000:]
        )


@task()
def backup_task() -> dict:
    """Scheduled job `ops.backup`."""
    from ispgest.ops.backup import backup_create

    result = backup_create()
    return {
        "archive": str(result.path),
        "bytes": result.size,
        "deleted": [p.name for p in result.deleted],
    }


@task()
def prune_task_results() -> int:
    """Scheduled job `ops.task_results_prune`: finished results of the database queue
    older than 14 days (failed ones: 30). Nothing to do on other backends."""
    from datetime import timedelta

    from django.conf import settings

    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db"):
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    done, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - timedelta(days=14)
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - timedelta(days=30)
    ).delete()
    return done + failed
