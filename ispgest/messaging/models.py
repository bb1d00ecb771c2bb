from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailMessage(models.Model):
    """Every e-mail sent (and received) for the ISP: the log staff read in a client's "Correo" tab."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        SENT = "sent", _("Enviado")
        RETRYING = "retrying", _("Reintentando")
        FAILED = "failed", _("Fallido")
        RECEIVED = "received", _("Recibido")

    class Direction(models.TextChoices):
        OUTBOUND = "out", _("Enviado")
        INBOUND = "in", _("Recibido")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    direction = models.CharField(
        _("Dirección"), max_length=3, choices=Direction.choices, default=Direction.OUTBOUND
    )
    template = models.CharField(_("Plantilla"), max_length=60, blank=True)
    from_email = models.CharField(_("De"), max_length=254)
    to = models.JSONField(_("Para"), default=list)
    cc = models.JSONField(_("CC"), default=list, blank=True)
    subject = models.CharField(_("Asunto"), max_length=255)
    body_text = models.TextField(_("Texto"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    error = models.TextField(_("Error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("Intentos"), default=0)
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("Enviado el"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("Próximo intento"), null=True, blank=True)
    # What the message is about (an invoice, a ticket...), so a reply can find its way back.
    related_type = models.CharField(_("Relacionado con"), max_length=100, blank=True)
    related_id = models.CharField(_("ID relacionado"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Correo")
        verbose_name_plural = _("Correos")
        indexes = [models.Index(fields=["client", "-created_at"], name="email_client_idx")]

    def __str__(self) -> str:
        return self.subject


class EmailAttachment(models.Model):
    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    file = models.FileField(upload_to="mail/%Y/%m/")
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.filename
