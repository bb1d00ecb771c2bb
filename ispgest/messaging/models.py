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
        REFUSED = "refused", _("Rechazado")

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
    # Threading (RFC 5322): our Message-ID for sent mail, the sender's for received mail.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(_("En respuesta a"), max_length=255, blank=True)
    references = models.TextField(_("Referencias"), blank=True)
    # The first message of the conversation (None for a message that starts one).
    thread = models.ForeignKey(
        "self",
        verbose_name=_("Conversación"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    mailbox = models.ForeignKey(
        "messaging.Mailbox",
        verbose_name=_("Buzón"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    # Received mail whose sender matches several clients: their ids, offered when assigning.
    suggested_clients = models.JSONField(_("Clientes sugeridos"), default=list, blank=True)
    size = models.PositiveIntegerField(_("Tamaño (bytes)"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Correo")
        verbose_name_plural = _("Correos")
        indexes = [
            models.Index(fields=["client", "-created_at"], name="email_client_idx"),
            models.Index(
                fields=["direction", "-created_at"],
                condition=models.Q(client__isnull=True),
                name="email_unassigned_idx",
            ),
        ]
        constraints = [
            # A received message is stored once, whoever fetched it and however often.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=models.Q(direction="in") & ~models.Q(message_id=""),
                name="uniq_inbound_message_id",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_inbound(self) -> bool:
        return self.direction == self.Direction.INBOUND


class EmailAttachment(models.Model):
    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    file = models.FileField(upload_to="mail/%Y/%m/", max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    # The same file as the client's repository shows it (received attachments, uploads).
    repository_file = models.ForeignKey(
        "messaging.RepositoryFile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return self.filename


class RepositoryFile(models.Model):
    """A file kept for a client ("Repositorio", seed 004): uploaded by staff, or a signed
    contract or a mail attachment listed here too. Kept permanently: removing one hides it;
    only an administrator purges it."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Subido al repositorio")
        CONTRACT = "contract", _("Contrato firmado")
        MAIL = "mail", _("Adjunto de correo")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="repository_files",
    )
    name = models.CharField(_("Nombre del recurso"), max_length=200)
    tag = models.CharField(_("Etiqueta"), max_length=60, blank=True)
    # A generated storage name (never the uploader's file name).
    file = models.FileField(_("Archivo"), max_length=255)
    original_name = models.CharField(_("Nombre original"), max_length=255)
    content_type = models.CharField(_("Tipo de contenido"), max_length=100)
    size = models.PositiveBigIntegerField(_("Tamaño (bytes)"))
    sha256 = models.CharField(max_length=64)
    source = models.CharField(
        _("Origen"), max_length=10, choices=Source.choices, default=Source.UPLOAD
    )
    source_id = models.CharField(_("Referencia del origen"), max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Subido por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Subido el"), auto_now_add=True)
    hidden_at = models.DateTimeField(_("Ocultado el"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Ocultado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Archivo del repositorio")
        verbose_name_plural = _("Archivos del repositorio")
        indexes = [
            models.Index(fields=["client", "-created_at", "-id"], name="repofile_client_idx"),
            models.Index(fields=["client", "tag"], name="repofile_client_tag_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~models.Q(source="upload"),
                name="uniq_repofile_source",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def type_label(self) -> str:
        from ispgest.core.uploads import LABELS

        return LABELS.get(self.content_type, self.content_type)


class MailTemplate(models.Model):
    """A saved text for "Enviar Email" ("plantilla") with placeholders filled per client."""

    name = models.CharField(_("Nombre"), max_length=120, unique=True)
    subject = models.CharField(_("Asunto"), max_length=200)
    body = models.TextField(_("Mensaje"), max_length=20_000)
    active = models.BooleanField(_("Activa"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Plantilla de correo")
        verbose_name_plural = _("Plantillas de correo")

    def __str__(self) -> str:
        return self.name


class Mailbox(models.Model):
    """An IMAP mailbox polled for the clients' mail (configured by an administrator)."""

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (IMAPS)")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("Sin cifrar")

    name = models.CharField(_("Nombre"), max_length=120)
    host = models.CharField(_("Servidor IMAP"), max_length=255)
    port = models.PositiveIntegerField(_("Puerto"), default=993)
    security = models.CharField(
        _("Seguridad"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("Usuario"), max_length=255)
    # Encrypted at rest like the routers' passwords (core/secrets.py).
    password_encrypted = models.TextField(blank=True)
    folder = models.CharField(_("Carpeta"), max_length=255, default="INBOX")
    active = models.BooleanField(_("Activo"), default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(_("Última consulta"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("Última consulta correcta"), null=True, blank=True)
    last_error = models.TextField(_("Último error"), blank=True)
    failures = models.PositiveIntegerField(_("Fallos seguidos"), default=0)
    # Claimed by one poller at a time (a conditional UPDATE); expires if the poller dies.
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Buzón de correo")
        verbose_name_plural = _("Buzones de correo")

    def __str__(self) -> str:
        return self.name

    @property
    def password(self) -> str:
        from ispgest.core.secrets import decrypt

        return decrypt(self.password_encrypted)
