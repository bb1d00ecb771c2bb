"""Reads of operations: the jobs page and the scheduler's heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ispgest.core import schedule as core_schedule
from ispgest.core.schedule import ScheduledJob
from ispgest.ops.models import JobRun, JobState, SchedulerLease
from ispgest.ops.schedule import Schedule, describe, effective_schedule
from ispgest.ops.scheduler import LEASE_NAME, job_enabled

# A heartbeat older than this many ticks (and at least STALE_MIN_SECONDS) means the
# scheduler stopped.
STALE_TICKS = 6
STALE_MIN_SECONDS = 60


@dataclass
class JobRow:
    job: ScheduledJob
    state: JobState | None
    schedule: Schedule
    enabled: bool
    last_run: JobRun | None
    active_run: JobRun | None

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def schedule_text(self) -> str:
        return describe(self.schedule)

    @property
    def customised(self) -> bool:
        return bool(self.state and (self.state.cron or self.state.every_minutes))

    @property
    def next_run_at(self) -> datetime | None:
        return self.state.next_run_at if (self.state and self.enabled) else None


def job_rows() -> list[JobRow]:
    """Every declared job with its state, last run and active run, in three queries."""
    jobs = core_schedule.scheduled_jobs()
    states = {s.name: s for s in JobState.objects.filter(name__in=list(jobs))}
    last_ids = [s.last_run_id for s in states.values() if s.last_run_id]
    runs = JobRun.objects.in_bulk(last_ids)
    active = {
        r.job_name: r for r in JobRun.objects.filter(status__in=JobRun.ACTIVE, job_name__in=jobs)
    }
    rows = []
    for name in sorted(jobs, key=lambda n: str(jobs[n].title).lower()):
        job, state = jobs[name], states.get(name)
        rows.append(
            JobRow(
                job=job,
                state=state,
                schedule=effective_schedule(job, state),
                enabled=job_enabled(job, state),
                last_run=runs.get(state.last_run_id) if state else None,
                active_run=active.get(name),
            )
        )
    return rows


def job_runs(name: str, limit: int = 50) -> list[JobRun]:
    return list(JobRun.objects.filter(job_name=name).select_related("requested_by")[:limit])


@dataclass
class Heartbeat:
    status: str  # ok | stale | missing
    age_seconds: float | None
    holder: str
    at: datetime | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def scheduler_heartbeat() -> Heartbeat:
    lease = SchedulerLease.objects.filter(name=LEASE_NAME).first()
    if lease is None or lease.heartbeat_at is None:
        return Heartbeat("missing", None, "", None)
    age = max(0.0, (timezone.now() - lease.heartbeat_at).total_seconds())
    limit = max(STALE_MIN_SECONDS, STALE_TICKS * (lease.tick_seconds or 5))
    status = "ok" if age <= limit else "stale"
    return Heartbeat(status, round(age, 1), lease.holder, lease.heartbeat_at)


def scheduler_health() -> dict:
    """The /healthz entry: "ok" while the scheduler ticks, else "error" with the reason."""
    beat = scheduler_heartbeat()
    if beat.status == "missing":
        return {"status": "error", "error": "never_ticked", "heartbeat_age_seconds": None}
    body = {"heartbeat_age_seconds": beat.age_seconds}
    if beat.ok:
        return {"status": "ok", **body}
    return {"status": "error", "error": "stale_heartbeat", **body}
