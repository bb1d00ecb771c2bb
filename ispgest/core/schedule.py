"""Periodic jobs, declared by each app and fired by the scheduler (`ispgest.ops`).

An app with work that runs by itself defines `ispgest/<app>/jobs.py` holding

    JOBS = [
        ScheduledJob(
            name="messaging.email_retry",
            title="Reintento de e-mails",
            task="ispgest.messaging.tasks.retry_due_emails",
            every=timedelta(minutes=5),
        ),
    ]

`task` is the dotted path of a django-tasks task that takes no arguments; the scheduler only
enqueues it, a worker runs it. A job has either a cron expression (five fields, read in the
ISP's time zone) or an interval. `enabled` is the default of its on/off switch, which an
administrator can change on the "Tareas programadas" page (with the schedule itself).

The task must be idempotent: a manual "Ejecutar ahora", a rerun after a crash or two
workers may run it twice. The scheduler never starts a job while its previous run is still
queued or running; a run that has neither finished nor failed after `timeout` is taken as
interrupted (its worker died) and the job may start again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ispgest.core.modules import app_modules


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    title: str
    task: str
    cron: str | None = None
    every: timedelta | None = None
    enabled: bool = True
    description: str = ""
    timeout: timedelta = timedelta(hours=1)

    def __post_init__(self):
        if (self.cron is None) == (self.every is None):
            raise ValueError(f"{self.name}: give either cron or every")
        if self.every is not None and self.every < timedelta(minutes=1):
            raise ValueError(f"{self.name}: the interval must be at least one minute")
        if self.cron is not None:
            from croniter import croniter

            if len(self.cron.split()) != 5 or not croniter.is_valid(self.cron):
                raise ValueError(f"{self.name}: invalid cron expression {self.cron!r}")


def scheduled_jobs() -> dict[str, ScheduledJob]:
    """Every declared job, by name, from the `jobs` module of each installed ispgest app."""
    jobs: dict[str, ScheduledJob] = {}
    for module in app_modules("jobs"):
        for job in getattr(module, "JOBS", []):
            if job.name in jobs:
                raise LookupError(f"Two scheduled jobs are named {job.name}")
            jobs[job.name] = job
    return jobs
