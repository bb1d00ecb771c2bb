"""The clients' own site: portal accounts (not staff users), login throttling and the
portal's configuration ("Configuración del Portal de Clientes")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel


class PortalAccount(TimeStampedModel):
    """A client's access to the portal. The login is the client's principal e-mail
    (`Client.email`); only an argon2 hash of the password is kept. Staff users are a
    different model with a different session key: neither opens the other's pages."""

    client = models.OneToOneField(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="portal_account",
    )
    password = models.CharField(_("Contraseña"), max_length=255, blank=True)
    password_set_at = models.DateTimeField(_("Contraseña establecida el"), null=True, blank=True)
    last_login = models.DateTimeField(_("Último acceso"), null=True, blank=True)

    class Meta:
        verbose_name = _("Cuenta del portal")
        verbose_name_plural = _("Cuentas del portal")

    def __str__(self) -> str:
        return str(self.client)

    @property
    def has_password(self) -> bool:
        return bool(self.password)


class LoginThrottle(models.Model):
    """Failed portal logins per e-mail address (a SHA-256 of the lowercased address), kept
    whether or not a client has that address, so a lockout reveals nothing."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Intentos fallidos del portal")
        verbose_name_plural = _("Intentos fallidos del portal")

    def __str__(self) -> str:
        return self.key[:12]


class Section(models.TextChoices):
    INVOICES = "facturas", _("Facturas")
    PAYMENTS = "pagos", _("Pagos")
    WALLET = "monedero", _("Monedero")
    CONTRACTS = "contratos", _("Contratos")
    USAGE = "consumo", _("Consumo")
    TICKETS = "tickets", _("Tickets")
    GATEWAYS = "pasarelas", _("Pasarelas de pago")


def _all_sections() -> list[str]:
    return [s.value for s in Section]


class PortalSettings(models.Model):
    """How the portal behaves (one row, pk=1; `portal.selectors.portal_settings()`). The
    ISP's name, logo and colours are `core.IspIdentity`, edited on the same page."""

    enabled = models.BooleanField(_("Portal de clientes activo"), default=True)
    welcome_text = models.TextField(
        _("Texto de bienvenida"),
        blank=True,
        max_length=2000,
        help_text=_("Se muestra en la página de acceso y en Inicio."),
    )
    sections = models.JSONField(_("Secciones visibles"), default=_all_sections, blank=True)
    clients_edit_phones = models.BooleanField(
        _("Los clientes pueden editar sus teléfonos"), default=True
    )
    clients_edit_notify_emails = models.BooleanField(
        _("Los clientes pueden editar sus emails a notificar"), default=False
    )
    updated_at = models.DateTimeField(_("Última modificación"), auto_now=True)

    class Meta:
        verbose_name = _("Configuración del Portal de Clientes")
        verbose_name_plural = _("Configuración del Portal de Clientes")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def shows(self, section: str) -> bool:
        return section in (self.sections or [])


class GatewayInstructions(models.Model):
    """Payment instructions the portal shows beside the client's reference at a gateway."""

    gateway = models.OneToOneField(
        "catalog.PaymentGateway",
        verbose_name=_("Pasarela de pago"),
        on_delete=models.CASCADE,
        related_name="portal_instructions",
    )
    text = models.TextField(_("Instrucciones de pago"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("Instrucciones de pago de una pasarela")
        verbose_name_plural = _("Instrucciones de pago de las pasarelas")

    def __str__(self) -> str:
        return str(self.gateway)
