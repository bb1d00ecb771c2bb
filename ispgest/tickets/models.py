"""Support tickets: a client's (or an internal) request, its thread and its files.

- `Ticket.status` moves only along `TRANSITIONS` (tickets.services.ticket_transition); a
  resolved ticket can be reopened, a closed one is final.
- `TicketMessage.kind`: public replies are shown to the client (portal) and e-mailed to its
  principal address; internal notes are for staff only, never shown nor sent to the client.
- `TicketAttachment`: files checked by core/uploads.py (type from the bytes, size limit,
  generated storage name); an attachment belongs to a message and is as visible as it.
- `due_at` comes from the priority (`PriorityDueTime`, editable by administrators).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel


class Priority(models.TextChoices):
    LOW = "baja", _("Baja")
    NORMAL = "normal", _("Normal")
    HIGH = "alta", _("Alta")
    URGENT = "urgente", _("Urgente")


class Status(models.TextChoices):
    NEW = "nuevo", _("Nuevo")
    OPEN = "abierto", _("Abierto")
    WAITING = "en_espera", _("En espera del cliente")
    RESOLVED = "resuelto", _("Resuelto")
    CLOSED = "cerrado", _("Cerrado")


TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED),
    Status.OPEN: (Status.WAITING, Status.RESOLVED, Status.CLOSED),
    Status.WAITING: (Status.OPEN, Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (Status.OPEN, Status.CLOSED),
    Status.CLOSED: (),
}
# Statuses in which the ticket still needs work (counted as open, can be overdue).
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)

# Default hours to resolve by priority (PriorityDueTime rows override them).
DEFAULT_DUE_HOURS = {
    Priority.LOW: 120,
    Priority.NORMAL: 48,
    Priority.HIGH: 24,
    Priority.URGENT: 4,
}


class TicketCategory(TimeStampedModel):
    name = models.CharField(_("Nombre"), max_length=120, unique=True)
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Categoría de ticket")
        verbose_name_plural = _("Categorías de ticket")

    def __str__(self) -> str:
        return self.name


class PriorityDueTime(models.Model):
    """How long a ticket of each priority has to be resolved ("Plazos por prioridad")."""

    priority = models.CharField(
        _("Prioridad"), max_length=10, choices=Priority.choices, unique=True
    )
    hours = models.PositiveIntegerField(_("Horas para resolver"))

    class Meta:
        ordering = ["hours"]
        verbose_name = _("Plazo por prioridad")
        verbose_name_plural = _("Plazos por prioridad")

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.hours} h"


class Ticket(TimeStampedModel):
    class Source(models.TextChoices):
        STAFF = "staff", _("Personal")
        PORTAL = "portal", _("Portal de clientes")
        EMAIL = "email", _("Correo")
        API = "api", _("API")

    Status = Status
    Priority = Priority

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    subject = models.CharField(_("Asunto"), max_length=200)
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("Categoría"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    priority = models.CharField(
        _("Prioridad"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Asignado a"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Creado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tickets",
    )
    source = models.CharField(
        _("Origen"), max_length=10, choices=Source.choices, default=Source.STAFF
    )
    due_at = models.DateTimeField(_("Vence el"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("Resuelto el"), null=True, blank=True)
    closed_at = models.DateTimeField(_("Cerrado el"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("Último mensaje"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Ticket")
        verbose_name_plural = _("Tickets")
        indexes = [
            models.Index(fields=["status", "due_at"], name="ticket_status_due_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["client", "-id"], name="ticket_client_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_active and self.due_at and self.due_at < timezone.now())

    @property
    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Respuesta pública")
        INTERNAL = "internal", _("Nota interna")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("Tipo"), max_length=10, choices=Kind.choices, default=Kind.PUBLIC)
    body = models.TextField(_("Mensaje"))
    # Exactly one author: a staff user, or the ticket's client (portal or e-mail reply).
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Autor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_messages",
    )
    author_client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente autor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket_messages",
    )
    # The e-mail that carried it: the one sent to the client, or the client's reply received.
    email = models.ForeignKey(
        "messaging.EmailMessage",
        verbose_name=_("Correo"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Mensaje de ticket")
        verbose_name_plural = _("Mensajes de ticket")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmsg_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.get_kind_display()}"

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC

    @property
    def from_client(self) -> bool:
        return self.author_client_id is not None

    @property
    def author_label(self) -> str:
        if self.author_client_id is not None:
            return str(self.author_client)
        if self.author_user_id is not None:
            user = self.author_user
            return user.get_full_name() or user.get_username()
        return "sistema"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    # A generated storage name (never the uploader's file name).
    file = models.FileField(_("Archivo"), max_length=255)
    original_name = models.CharField(_("Nombre original"), max_length=255)
    content_type = models.CharField(_("Tipo de contenido"), max_length=100)
    size = models.PositiveIntegerField(_("Tamaño (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Subido por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Adjunto de ticket")
        verbose_name_plural = _("Adjuntos de ticket")

    def __str__(self) -> str:
        return self.original_name

    @property
    def size_display(self) -> str:
        from ispgest.core.uploads import human_size

        return human_size(self.size)
