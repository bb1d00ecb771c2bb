from django.db import models
from django.utils.translation import gettext_lazy as _


class ImmutableRowError(Exception):
    """Ledger rows are never edited or deleted: corrections are reversing rows."""


class ImmutableRow(models.Model):
    """A ledger row: inserted once, then never saved again nor deleted (PostgreSQL triggers
    refuse it too). Subclasses word the refusals."""

    edit_refusal = "Este movimiento no se modifica."
    delete_refusal = "Este movimiento no se borra."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            raise ImmutableRowError(self.edit_refusal)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(self.delete_refusal)


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


class AuditEntry(ImmutableRow):
    """One change to the ISP's data: who, when, what, old -> new, on which object.

    Written by `ispgest.core.audit.audit` inside the transaction of the service that makes
    the change, so the change and its trace commit or roll back together. Append-only.
    """

    edit_refusal = "Los registros de auditoría no se modifican."
    delete_refusal = "Los registros de auditoría no se borran."

    created_at = models.DateTimeField(_("Fecha"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("Usuario (al momento)"), max_length=150, blank=True)
    action = models.CharField(_("Acción"), max_length=80, db_index=True)
    object_type = models.CharField(_("Tipo de objeto"), max_length=100, db_index=True)
    object_id = models.CharField(_("ID del objeto"), max_length=64, blank=True)
    object_repr = models.CharField(_("Objeto"), max_length=255, blank=True)
    # The client the object belongs to, when it belongs to one (plain id: core sits below
    # clients in the layers).
    client_id = models.BigIntegerField(_("Cliente"), null=True, blank=True, db_index=True)
    summary = models.TextField(_("Resumen"), blank=True)
    changes = models.JSONField(_("Cambios"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Registro de auditoría")
        verbose_name_plural = _("Auditoría")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class IspIdentity(models.Model):
    """The ISP itself as its clients see it: name, logo and colours of the portal, the
    e-mails and the documents. One row (pk=1), read through `core.identity.isp_identity()`."""

    name = models.CharField(_("Nombre del ISP"), max_length=120, default="Mi ISP")
    legal_name = models.CharField(_("Razón social"), max_length=200, blank=True)
    logo = models.FileField(_("Logo"), upload_to="identity/", blank=True)
    primary_color = models.CharField(_("Color principal"), max_length=7, default="#0d6efd")
    accent_color = models.CharField(_("Color secundario"), max_length=7, default="#6c757d")
    website = models.URLField(_("Sitio web"), blank=True)
    support_email = models.EmailField(_("E-mail de atención"), blank=True)
    support_phone = models.CharField(_("Teléfono de atención"), max_length=40, blank=True)
    address = models.CharField(_("Dirección"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)

    class Meta:
        verbose_name = _("Identidad del ISP")
        verbose_name_plural = _("Identidad del ISP")

    def __str__(self) -> str:
        return self.name
