"""Webhooks: subscriptions of outside systems to the domain events, the events sent, and
every delivery attempt (see docs/webhooks.md)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel


class EventType(models.TextChoices):
    CLIENT_CREATED = "client.created", _("Cliente creado")
    CLIENT_UPDATED = "client.updated", _("Cliente modificado")
    CLIENT_DEACTIVATED = "client.deactivated", _("Cliente desactivado")
    CONTRACT_CREATED = "contract.created", _("Contrato creado")
    CONTRACT_STATUS_CHANGED = "contract.status_changed", _("Contrato: cambio de estado")
    INVOICE_ISSUED = "invoice.issued", _("Documento emitido")
    PAYMENT_REGISTERED = "payment.registered", _("Pago registrado")
    PAYMENT_REVERSED = "payment.reversed", _("Pago anulado")
    TICKET_CREATED = "ticket.created", _("Ticket creado")
    TICKET_UPDATED = "ticket.updated", _("Ticket modificado")
    TEST = "webhook.test", _("Prueba")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(TimeStampedModel):
    name = models.CharField(_("Nombre"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("Eventos"), default=list)
    secret = models.CharField(_("Secreto"), max_length=100, default=new_secret)
    active = models.BooleanField(_("Activa"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Responsable"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    failing_since = models.DateTimeField(_("Falla desde"), null=True, blank=True)
    paused_at = models.DateTimeField(_("Pausada el"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Webhook")
        verbose_name_plural = _("Webhooks")

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """One domain event as sent: the body every subscription receives."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("Tipo"), max_length=40, choices=EventType.choices)
    created_at = models.DateTimeField(_("Fecha"), auto_now_add=True, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    data = models.JSONField(_("Objeto"), default=dict)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Evento")
        verbose_name_plural = _("Eventos")

    def __str__(self) -> str:
        return f"{self.type} {self.object_type}:{self.object_id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        RETRYING = "retrying", _("Reintentando")
        DELIVERED = "delivered", _("Entregado")
        FAILED = "failed", _("Fallido")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # The event's object, for the per-object order.
    object_key = models.CharField(max_length=110)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("Intentos"), default=0)
    next_attempt_at = models.DateTimeField(_("Próximo intento"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("Entregado el"), null=True, blank=True)
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Entrega")
        verbose_name_plural = _("Entregas")
        indexes = [
            models.Index(fields=["subscription", "object_key", "id"], name="delivery_order_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.subscription_id}"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("Fecha"), auto_now_add=True)
    status_code = models.PositiveIntegerField(_("Código HTTP"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("Duración (ms)"), default=0)
    response_excerpt = models.TextField(_("Respuesta"), blank=True)
    error = models.TextField(_("Error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Intento de entrega")
        verbose_name_plural = _("Intentos de entrega")

    def __str__(self) -> str:
        return f"{self.status_code or self.error[:40]}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
