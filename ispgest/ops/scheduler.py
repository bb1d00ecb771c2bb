"""The scheduler: one process (`manage.py scheduler`) that enqueues due jobs, nothing more.

Every tick (5 s by default) it tries to hold the lease, a row in `ops_schedulerlease`
renewed with a conditional UPDATE against the database's clock: while one scheduler holds
it, others started beside it (a second host, a restarted unit) only wait. The holder

1. records its heartbeat on the lease row (what /healthz reports);
2. creates a `JobState` for every job declared in code that has none;
3. gives up on runs that outlived their job's timeout (their worker died), so the job can
   start again;
4. for each enabled job whose `next_run_at` has passed, moves `next_run_at` to the next slot
   with a compare-and-swap on its old value (so a slot fires once even if two holders
   overlapped) and, unless a run of the job is still queued or running, creates a `JobRun`
   and enqueues `ops.tasks.run_scheduled_job`. A job whose schedule cannot be computed is
   reported on its state and skipped; the others go on.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now
from django.utils import timezone

from ispgest.core import schedule as core_schedule
from ispgest.core.schedule import ScheduledJob
from ispgest.ops.models import JobRun, JobState, SchedulerLease
from ispgest.ops.schedule import effective_schedule, next_slot

logger = logging.getLogger("ispgest.scheduler")

LEASE_NAME = "scheduler"
DEFAULT_TICK = 5
LEASE_SECONDS = 30


def job_enabled(job: ScheduledJob, state: JobState | None) -> bool:
    if state is None or state.enabled is None:
        return job.enabled
    return state.enabled


def enqueue_run(run: JobRun) -> None:
    """Enqueue the run's task: in this transaction on the database queue (the run and its
    task commit together), after commit on any other backend."""
    from ispgest.ops.tasks import run_scheduled_job

    backend = run_scheduled_job.get_backend()
    if type(backend).__module__.startswith("django_tasks_db"):
        result = run_scheduled_job.enqueue(run.pk)
        JobRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))
        return

    def _after_commit(run_id=run.pk):
        try:
            result = run_scheduled_job.enqueue(run_id)
        except Exception as exc:  # queue down: the run fails, the next slot tries again
            logger.exception("could not enqueue run %s", run_id)
            JobRun.objects.filter(pk=run_id, status=JobRun.Status.QUEUED).update(
                status=JobRun.Status.FAILED,
                finished_at=timezone.now(),
                error=f"No se pudo encolar la tarea: {type(exc).__name__}: {exc}",
            )
            return
        JobRun.objects.filter(pk=run_id).update(task_result_id=str(result.id))

    transaction.on_commit(_after_commit)


def sync_states(jobs: dict[str, ScheduledJob], now) -> dict[str, JobState]:
    """The JobState of every declared job, creating the missing ones with their first slot."""
    states = {s.name: s for s in JobState.objects.filter(name__in=list(jobs))}
    for name, job in jobs.items():
        if name in states:
            continue
        state = JobState(name=name)
        if job_enabled(job, None):
            state.next_run_at = next_slot(effective_schedule(job), after=now)
        JobState.objects.bulk_create([state], ignore_conflicts=True)
        states[name] = JobState.objects.get(name=name)
    return states


def reap_stale_runs(jobs: dict[str, ScheduledJob], now) -> int:
    """Mark runs that outlived their job's timeout as interrupted; returns how many."""
    reaped = 0
    active = JobRun.objects.filter(status__in=JobRun.ACTIVE).only(
        "id", "job_name", "status", "enqueued_at", "started_at"
    )
    for run in active:
        job = jobs.get(run.job_name)
        timeout = job.timeout if job is not None else timedelta(hours=1)
        since = run.started_at or run.enqueued_at
        if since + timeout > now:
            continue
        waited = "en cola" if run.status == JobRun.Status.QUEUED else "en curso"
        reaped += JobRun.objects.filter(pk=run.pk, status=run.status).update(
            status=JobRun.Status.INTERRUPTED,
            finished_at=now,
            error=f"Seguía {waited} tras {_duration(timeout)}: se da por interrumpida "
            "(el trabajador se detuvo o la tarea se perdió).",
        )
    return reaped


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hora" if hours == 1 else f"{hours} horas"
    return f"{minutes} minutos"


def fire(job: ScheduledJob, state: JobState, now) -> JobRun | None:
    """Fire the due slot of `job` once: advance next_run_at (compare-and-swap) and start a
    run unless one is still going. Returns the run, or None when nothing started."""
    slot = state.next_run_at
    upcoming = next_slot(effective_schedule(job, state), after=now, last_slot=slot)
    with transaction.atomic():
        swapped = JobState.objects.filter(pk=state.pk, next_run_at=slot).update(
            next_run_at=upcoming, last_slot_at=slot
        )
        if not swapped:
            return None  # another scheduler fired this slot
        if JobRun.objects.filter(job_name=job.name, status__in=JobRun.ACTIVE).exists():
            JobState.objects.filter(pk=state.pk).update(
                last_skip_at=now,
                last_skip_reason="La ejecución anterior seguía en curso.",
            )
            return None
        try:
            with transaction.atomic():
                run = JobRun.objects.create(
                    job_name=job.name, trigger=JobRun.Trigger.SCHEDULE, scheduled_for=slot
                )
        except IntegrityError:  # a manual run started in between
            JobState.objects.filter(pk=state.pk).update(
                last_skip_at=now, last_skip_reason="La ejecución anterior seguía en curso."
            )
            return None
        JobState.objects.filter(pk=state.pk).update(last_run=run)
        enqueue_run(run)
    return run


def tick(now=None) -> list[JobRun]:
    """One pass of the lease holder over every declared job; returns the runs started."""
    now = now or timezone.now()
    jobs = core_schedule.scheduled_jobs()
    states = sync_states(jobs, now)
    reap_stale_runs(jobs, now)
    started = []
    for name in sorted(jobs):
        job, state = jobs[name], states[name]
        try:
            if not job_enabled(job, state):
                continue
            if state.next_run_at is None:
                first = next_slot(effective_schedule(job, state), after=now)
                JobState.objects.filter(pk=state.pk, next_run_at__isnull=True).update(
                    next_run_at=first
                )
                continue
            if state.next_run_at > now:
                continue
            run = fire(job, state, now)
            if run is not None:
                started.append(run)
        except Exception as exc:  # one broken job never stops the others
            logger.exception("scheduler: job %s", name)
            JobState.objects.filter(pk=state.pk).update(
                last_skip_at=now, last_skip_reason=f"{type(exc).__name__}: {exc}"[:255]
            )
    return started


class Scheduler:
    """The loop of `manage.py scheduler`: hold the lease, tick, sleep; stop on a signal."""

    def __init__(self, *, tick_seconds: int = DEFAULT_TICK, lease_seconds: int = LEASE_SECONDS):
        self.tick_seconds = tick_seconds
        self.lease_seconds = max(lease_seconds, 3 * tick_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:120]
        self.stopping = threading.Event()
        self.leading = False

    def acquire(self) -> bool:
        """Take or renew the lease (database clock); True while this process holds it."""
        expires = ExpressionWrapper(
            Now() + timedelta(seconds=self.lease_seconds), output_field=DateTimeField()
        )
        mine = Q(holder=self.holder)
        free = Q(expires_at__isnull=True) | Q(expires_at__lt=Now())
        fields = {
            "holder": self.holder,
            "expires_at": expires,
            "heartbeat_at": Now(),
            "tick_seconds": self.tick_seconds,
        }
        updated = SchedulerLease.objects.filter(Q(name=LEASE_NAME) & (mine | free)).update(**fields)
        if not updated:
            _, created = SchedulerLease.objects.get_or_create(name=LEASE_NAME)
            if created:
                updated = SchedulerLease.objects.filter(Q(name=LEASE_NAME) & free).update(**fields)
        if updated and not self.leading:
            SchedulerLease.objects.filter(name=LEASE_NAME, holder=self.holder).update(
                acquired_at=Now()
            )
            logger.info("scheduler %s holds the lease", self.holder)
        elif not updated and self.leading:
            logger.warning("scheduler %s lost the lease", self.holder)
        self.leading = bool(updated)
        return self.leading

    def release(self) -> None:
        SchedulerLease.objects.filter(name=LEASE_NAME, holder=self.holder).update(
            expires_at=None, holder=""
        )
        self.leading = False

    def run_once(self) -> list[JobRun]:
        if not self.acquire():
            return []
        return tick()

    def run_forever(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        logger.info("scheduler %s started (tick %s s)", self.holder, self.tick_seconds)
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    self.run_once()
                except Exception:  # database down, a broken declaration...: log, go on
                    logger.exception("scheduler: tick failed; retrying")
                    close_old_connections()
                self.stopping.wait(self.tick_seconds)
        finally:
            try:
                self.release()
            except DatabaseError:
                logger.exception("scheduler: could not release the lease")
            logger.info("scheduler %s stopped", self.holder)
