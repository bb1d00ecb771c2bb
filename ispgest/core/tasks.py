"""Periodic housekeeping of core: files of finished background jobs that expired."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from ispgest.core.models import Job

logger = logging.getLogger(__name__)

BATCH = 500


def delete_expired_job_files(now=None) -> int:
    """Delete the files of jobs (exports...) whose link expired; the Job row stays, with its
    file cleared, so the history still says what was exported. Returns how many were
    deleted; a file already gone from storage counts too (reruns are harmless)."""
    now = now or timezone.now()
    deleted = 0
    while True:
        batch = list(
            Job.objects.filter(expires_at__lt=now)
            .exclude(result_file="")
            .order_by("id")
            .values_list("id", "result_file")[:BATCH]
        )
        if not batch:
            return deleted
        storage = Job._meta.get_field("result_file").storage
        for job_id, name in batch:
            try:
                storage.delete(name)
            except OSError:  # unreadable: leave the row as it is, report it, go on
                logger.exception("could not delete %s of job %s", name, job_id)
                continue
            deleted += Job.objects.filter(pk=job_id, result_file=name).update(result_file="")
        if len(batch) < BATCH:
            return deleted


@task()
def expired_job_files_cleanup() -> int:
    return delete_expired_job_files()
