"""Writes of operations: the administrator's switches on scheduled jobs, and manual runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ispgest.core import schedule as core_schedule
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.core.schedule import ScheduledJob
from ispgest.ops.models import JobRun, JobState
from ispgest.ops.schedule import Schedule, clean_cron, effective_schedule, next_slot
from ispgest.ops.scheduler import enqueue_run, job_enabled

MAX_EVERY_MINUTES = 60 * 24 * 31


def _job(name: str) -> ScheduledJob:
    job = core_schedule.scheduled_jobs().get(name)
    if job is None:
        raise DomainError(f"No existe la tarea programada «{name}».", field="name")
    return job


def _state_for_update(name: str) -> JobState:
    JobState.objects.get_or_create(name=name)
    return JobState.objects.select_for_update().get(name=name)


@transaction.atomic
def job_set_enabled(*, actor, name: str, enabled: bool) -> JobState:
    """Switch a job on (its next slot counts from now: missed ones never fire) or off."""
    job = _job(name)
    state = _state_for_update(name)
    before = job_enabled(job, state)
    state.enabled = bool(enabled)
    state.next_run_at = (
        next_slot(effective_schedule(job, state), after=timezone.now()) if enabled else None
    )
    state.updated_by = actor if getattr(actor, "pk", None) else None
    state.save(update_fields=["enabled", "next_run_at", "updated_by", "updated_at"])
    audit(
        actor=actor,
        action="job.enabled" if enabled else "job.disabled",
        obj=state,
        summary=f"Tarea «{job.title}» {'activada' if enabled else 'desactivada'}",
        changes={"Activada": ["Sí" if before else "No", "Sí" if enabled else "No"]},
    )
    return state


@transaction.atomic
def job_set_schedule(
    *, actor, name: str, cron: str = "", every_minutes: int | None = None
) -> JobState:
    """Give a job the administrator's own schedule (a cron expression or an interval in
    minutes), or the one declared in code when both are empty."""
    job = _job(name)
    cron = (cron or "").strip()
    if cron and every_minutes:
        raise ValidationError(
            {"cron": "Indique una expresión cron o un intervalo en minutos, no ambos."}
        )
    if cron:
        cron = clean_cron(cron)
    if every_minutes is not None and every_minutes != "":
        try:
            every_minutes = int(every_minutes)
        except (TypeError, ValueError):
            raise ValidationError({"every_minutes": "El intervalo debe ser un número de minutos."})
        if not 1 <= every_minutes <= MAX_EVERY_MINUTES:
            raise ValidationError(
                {"every_minutes": f"El intervalo debe estar entre 1 y {MAX_EVERY_MINUTES} minutos."}
            )
    else:
        every_minutes = None
    state = _state_for_update(name)
    before = effective_schedule(job, state).text
    state.cron = cron
    state.every_minutes = every_minutes
    if job_enabled(job, state):
        state.next_run_at = next_slot(effective_schedule(job, state), after=timezone.now())
    state.updated_by = actor if getattr(actor, "pk", None) else None
    state.save(update_fields=["cron", "every_minutes", "next_run_at", "updated_by", "updated_at"])
    after = effective_schedule(job, state).text
    audit(
        actor=actor,
        action="job.schedule_changed",
        obj=state,
        summary=f"Programación de «{job.title}»: {after}",
        changes={"Programación": [before, after]} if before != after else {},
    )
    return state


@transaction.atomic
def job_run_now(*, actor, name: str) -> JobRun:
    """ "Ejecutar ahora": enqueue a run at once (even when the job is switched off), unless
    one is still queued or running."""
    job = _job(name)
    state = _state_for_update(name)
    busy = f"«{job.title}» ya está en cola o en curso: espere a que termine."
    if JobRun.objects.filter(job_name=name, status__in=JobRun.ACTIVE).exists():
        raise DomainError(busy)
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job_name=name,
                trigger=JobRun.Trigger.MANUAL,
                requested_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise DomainError(busy)
    state.last_run = run
    state.save(update_fields=["last_run", "updated_at"])
    audit(actor=actor, action="job.run_now", obj=state, summary=f"Ejecutar ahora: «{job.title}»")
    enqueue_run(run)
    return run


__all__ = ["Schedule", "job_run_now", "job_set_enabled", "job_set_schedule"]
