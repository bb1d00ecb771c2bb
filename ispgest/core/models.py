from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)

    class Meta:
        abstract = True


class Job(models.Model):
    """A long piece of background work a user started (export, mass update, billing run...).

    The task updates `done`/`total` as it goes so the page can show a progress bar; a file it
    produces is kept in `result_file` until `expires_at`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("En cola")
        RUNNING = "running", _("En curso")
        DONE = "done", _("Terminado")
        FAILED = "failed", _("Fallido")

    kind = models.CharField(_("Tipo"), max_length=40, db_index=True)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        "accounts.User", verbose_name=_("Usuario"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)
    started_at = models.DateTimeField(_("Iniciado el"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Terminado el"), null=True, blank=True)
    params = models.JSONField(_("Parámetros"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("Total"), default=0)
    done = models.PositiveIntegerField(_("Hechos"), default=0)
    message = models.TextField(_("Mensaje"), blank=True)
    error = models.TextField(_("Error"), blank=True)
    result = models.JSONField(_("Resultado"), default=dict, blank=True)
    result_file = models.FileField(_("Archivo"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("Nombre del archivo"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("Caduca el"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Trabajo en segundo plano")
        verbose_name_plural = _("Trabajos en segundo plano")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
