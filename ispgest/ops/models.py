"""Operations: the state of the scheduled jobs, their runs, and the scheduler's lease.

Jobs themselves are declared in code (`ispgest/<app>/jobs.py`, see core/schedule.py); a
`JobState` row holds what an administrator changed (on/off, schedule) and when the job is
due next. Each firing, scheduled or manual, is a `JobRun`; a partial unique constraint keeps
at most one queued-or-running run per job, so two schedulers, a manual "Ejecutar ahora" and a
scheduled slot can never overlap. `SchedulerLease` is the one row whose holder is the
scheduler allowed to fire jobs; its `heartbeat_at` is what /healthz reports.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class JobState(models.Model):
    name = models.CharField(_("Tarea"), max_length=100, unique=True)
    # None: the default declared in code.
    enabled = models.BooleanField(_("Activada"), null=True, blank=True)
    cron = models.CharField(_("Programación (cron)"), max_length=100, blank=True)
    every_minutes = models.PositiveIntegerField(_("Cada (minutos)"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("Próxima ejecución"), null=True, blank=True)
    # The slot that fired last: a wall-clock time repeated by a DST change fires once.
    last_slot_at = models.DateTimeField(_("Último turno"), null=True, blank=True)
    last_run = models.ForeignKey(
        "ops.JobRun",
        verbose_name=_("Última ejecución"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why the last slot did not start a run (the previous one was still going...).
    last_skip_at = models.DateTimeField(_("Último turno omitido"), null=True, blank=True)
    last_skip_reason = models.CharField(_("Motivo"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Modificada por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("Tarea programada")
        verbose_name_plural = _("Tareas programadas")
        permissions = [("run_jobstate", "Puede ejecutar tareas programadas ahora")]

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Programada")
        MANUAL = "manual", _("Manual")

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        RUNNING = "running", _("En curso")
        SUCCEEDED = "succeeded", _("Correcta")
        FAILED = "failed", _("Con error")
        INTERRUPTED = "interrupted", _("Interrumpida")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    job_name = models.CharField(_("Tarea"), max_length=100)
    trigger = models.CharField(
        _("Origen"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE
    )
    status = models.CharField(
        _("Estado"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    scheduled_for = models.DateTimeField(_("Turno"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("Encolada el"), auto_now_add=True)
    started_at = models.DateTimeField(_("Iniciada el"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Terminada el"), null=True, blank=True)
    result = models.JSONField(_("Resultado"), null=True, blank=True)
    error = models.TextField(_("Error"), blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Pedida por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-enqueued_at", "-id"]
        verbose_name = _("Ejecución de tarea")
        verbose_name_plural = _("Ejecuciones de tareas")
        indexes = [models.Index(fields=["job_name", "-enqueued_at"], name="jobrun_job_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["job_name"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_job",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_name} #{self.pk}"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None


class SchedulerLease(models.Model):
    """Who may fire jobs: the holder until `expires_at` (renewed on every tick)."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(_("Proceso"), max_length=120, blank=True)
    expires_at = models.DateTimeField(_("Vence el"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("Último latido"), null=True, blank=True)
    tick_seconds = models.PositiveIntegerField(default=5)
    acquired_at = models.DateTimeField(_("Tomado el"), null=True, blank=True)

    class Meta:
        verbose_name = _("Turno del programador")
        verbose_name_plural = _("Turnos del programador")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder}"
